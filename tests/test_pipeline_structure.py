"""The shape of the registered pipelines: groups for kedro-viz, stage tags for ``--tags``.

No run: the pipelines are built and checked against the catalog of the ``base`` env.
"""

from __future__ import annotations

from typing import Any

import pytest

from art_genre.modelling import BASELINE_NAMES, MODEL_NAMES
from art_genre.tags import STAGES
from tests.conftest import ROOT

# pipeline -> the namespace its nodes are drawn in (kedro-viz: one collapsible group).
GROUPS = {
    "data_processing": "data_processing",
    "feature_engineering": "feature_engineering",
    "snn": "snn",
    "adam": "adam",
    "reporting": "reporting",
    "predict": "predict",
    "ablations": "ablations",
    "baselines": "baselines",
}


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    """The registered pipelines and the default env's catalog (no dataset is loaded)."""
    from kedro.config import OmegaConfigLoader
    from kedro.framework.startup import bootstrap_project
    from kedro.io import DataCatalog

    from art_genre.pipeline_registry import register_pipelines

    bootstrap_project(ROOT)
    config = OmegaConfigLoader(str(ROOT / "conf"), base_env="base", default_run_env="local")
    catalog = DataCatalog.from_config(config["catalog"])
    return {"pipelines": register_pipelines(), "catalog": catalog}


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_every_node_of_a_pipeline_is_in_its_group(project, name):
    namespaces = {node.namespace.split(".")[0] for node in project["pipelines"][name].nodes}
    assert namespaces == {GROUPS[name]}


def test_the_model_pipelines_are_one_group_per_model(project):
    for name in MODEL_NAMES:
        pipeline = project["pipelines"]["bnn" if name == "bnn_study" else name]
        assert {n.name for n in pipeline.nodes if n.namespace == name} == {
            f"{name}.train_model",
            f"{name}.predict_splits",
        }
    baselines = {n.namespace for n in project["pipelines"]["baselines"].nodes}
    assert baselines == {f"baselines.{name}" for name in BASELINE_NAMES}


def test_grouping_keeps_the_dataset_names(project):
    default = project["pipelines"]["__default__"]
    assert {"painting_index", "model_input", "pca", "results", "report_html"} <= set(
        default.datasets()
    )
    assert not any(
        name.startswith(("data_processing.", "feature_engineering.", "reporting."))
        for name in default.datasets()
    )


def test_every_node_has_a_stage_tag(project):
    for name, pipeline in project["pipelines"].items():
        untagged = [node.name for node in pipeline.nodes if not set(node.tags) & set(STAGES)]
        assert not untagged, f"{name}: {untagged}"
        unknown = {tag for node in pipeline.nodes for tag in node.tags} - set(STAGES)
        assert not unknown, f"{name}: unknown tags {unknown}"


def _in_memory(catalog: Any, dataset: str) -> bool:
    kind = catalog.get_type(dataset)
    return kind is None or kind.endswith("MemoryDataset")


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_runs_alone_after_a_full_run(project, stage):
    """``kedro run [--pipelines P] --tags STAGE`` reads only files and parameters.

    A stage that needed a dataset held in memory by another stage could not run alone.
    """
    catalog = project["catalog"]
    # The check tells the two kinds apart (patterns included).
    assert _in_memory(catalog, "reporting_predictions") and _in_memory(catalog, "snn.seed_models")
    assert not _in_memory(catalog, "results") and not _in_memory(catalog, "snn.predictions")
    for name, pipeline in project["pipelines"].items():
        if not any(stage in node.tags for node in pipeline.nodes):
            continue
        tagged = pipeline.only_nodes_with_tags(stage)
        needed = {
            dataset
            for dataset in tagged.inputs()
            if not dataset.startswith("params:") and dataset != "parameters"
        }
        in_memory = sorted(d for d in needed if _in_memory(catalog, d))
        assert not in_memory, f"kedro run --pipelines {name} --tags {stage}: {in_memory}"
