"""kedro-viz draws the whole project: pipelines, datasets, layers, namespaces, previews.

One full run (env ``test``) and a ``predict`` run in a throw-away copy of the project,
then ``kedro viz build --include-previews`` there: the static site kedro-viz writes
holds, under ``build/api/``, the very JSON its web app reads (``main``,
``pipelines/<id>``, ``nodes/<id>``). No server and no browser: the test reads that JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import copy_project, run_kedro

pytestmark = pytest.mark.slow

MODEL_NAMESPACES = ("snn", "bnn", "bnn_study", "adam")
# The project's layers, in the order the flow goes through them.
LAYER_ORDER = (
    "raw",
    "primary",
    "feature",
    "model_input",
    "models",
    "model_output",
    "reporting",
)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def viz(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the flow in a project copy, build kedro-viz's static site there, read its JSON."""
    project = copy_project(tmp_path_factory.mktemp("viz") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        run_kedro(project)
        run_kedro(project, "predict")  # so that `predictions` exists and has a preview

        from kedro.config import OmegaConfigLoader
        from kedro.framework.startup import bootstrap_project

        from art_genre.pipeline_registry import register_pipelines

        # A session run with `pipeline_names` leaves Kedro's pipeline discovery filtered
        # to those names (Kedro 1.7's lazy loading); configuring the project resets it.
        bootstrap_project(project)
        pipelines = register_pipelines()
        # The catalog configuration of the environment kedro-viz reads (the default).
        catalog_config = OmegaConfigLoader(
            str(project / "conf"), base_env="base", default_run_env="local"
        )["catalog"]

    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    env.pop("KEDRO_ENV", None)
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build", "--include-previews"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    api = project / "build" / "api"
    # `kedro viz build` reports its own failures as a message and exits 0: check both.
    assert result.returncode == 0 and "Success" in output, output
    assert (project / "build" / "index.html").is_file() and (api / "main").is_file(), (
        output
    )
    return {
        "project": project,
        "api": api,
        "pipelines": pipelines,
        "catalog_config": catalog_config,
        "main": _load(api / "main"),
        "views": {p.name: _load(p) for p in (api / "pipelines").iterdir()},
    }


def _names(
    view: dict[str, Any], kinds: tuple[str, ...] = ("data", "parameters")
) -> set[str]:
    return {n["name"] for n in view["nodes"] if n["type"] in kinds}


def _dataset_names(pipeline: Any) -> set[str]:
    """Every dataset a pipeline's nodes read or write (transcoding suffixes dropped)."""
    return {name.split("@")[0] for name in pipeline.datasets()}


def test_every_registered_pipeline_has_its_view(viz):
    registered = set(viz["pipelines"])
    assert {p["id"] for p in viz["main"]["pipelines"]} == registered
    assert set(viz["views"]) == registered
    assert viz["main"]["selected_pipeline"] == "__default__"
    for name, view in viz["views"].items():
        assert view["selected_pipeline"] == name


def test_every_dataset_of_every_pipeline_is_drawn(viz):
    for name, pipeline in viz["pipelines"].items():
        missing = _dataset_names(pipeline) - _names(viz["views"][name])
        assert not missing, f"pipeline {name!r}: {sorted(missing)} not drawn"
    default_and_predict = _dataset_names(
        viz["pipelines"]["__default__"]
    ) | _dataset_names(viz["pipelines"]["predict"])
    drawn = set().union(*(_names(view) for view in viz["views"].values()))
    assert default_and_predict <= drawn


def test_every_catalog_entry_is_drawn_with_a_layer(viz):
    entries = {name for name in viz["catalog_config"] if "{" not in name}
    assert {"painting_index", "model_input", "metrics", "predictions"} <= entries
    data_nodes = {
        n["name"]: n
        for view in viz["views"].values()
        for n in view["nodes"]
        if n["type"] == "data"
    }
    # run_manifest is written by a hook after the run (art_genre.hooks), not by a node.
    missing = entries - set(data_nodes) - {"run_manifest"}
    assert not missing, f"catalog entries not drawn: {sorted(missing)}"
    # Every declared dataset has a layer: the plain entries, and every dataset that a
    # pattern ("{model}.model", "plot_{name}") made a file of. Only the in-memory
    # datasets that no catalog entry names may go without.
    unlayered = sorted(
        name
        for name, node in data_nodes.items()
        if not node["layer"]
        and (
            name in entries or node["dataset_type"] != "io.memory_dataset.MemoryDataset"
        )
    )
    assert not unlayered, f"no kedro-viz layer in the catalog metadata: {unlayered}"


def test_layers_are_drawn_in_the_order_of_the_flow(viz):
    # kedro-viz draws no layers at all (and logs a warning) when they form a cycle.
    layers = viz["views"]["__default__"]["layers"]
    assert set(LAYER_ORDER) <= set(layers), layers
    positions = [layers.index(layer) for layer in LAYER_ORDER]
    assert positions == sorted(positions), layers
    for name, view in viz["views"].items():
        assert view["layers"], f"pipeline {name!r}: layers disabled (a cycle?)"


def test_the_model_pipelines_are_collapsible_namespaces(viz):
    main = viz["main"]
    modular = main["modular_pipelines"]
    assert set(MODEL_NAMESPACES) <= set(modular)
    drawn = {n["id"] for n in main["nodes"] if n["type"] == "modularPipeline"}
    assert set(MODEL_NAMESPACES) <= drawn
    by_name = {n["name"]: n for n in main["nodes"]}
    for namespace in MODEL_NAMESPACES:
        tree = modular[namespace]
        assert tree["children"] and tree["inputs"] and tree["outputs"]
        for dataset in ("model", "predictions"):
            assert namespace in by_name[f"{namespace}.{dataset}"]["modular_pipelines"]
        # Each model pipeline has its own view with its namespace in it.
        assert (
            namespace
            in viz["views"]["bnn" if namespace == "bnn_study" else namespace][
                "modular_pipelines"
            ]
        )


def _metadata(viz: dict[str, Any], name: str) -> dict[str, Any]:
    node = next(
        n for n in viz["main"]["nodes"] if n["name"] == name and n["type"] == "data"
    )
    return _load(viz["api"] / "nodes" / node["id"])


def test_tables_json_and_plots_have_previews(viz):
    table = _metadata(viz, "painting_index")
    assert table["preview_type"] == "TablePreview"
    assert {"image_id", "genres", "split"} <= set(table["preview"]["columns"])
    assert len(table["preview"]["data"]) == 10  # preview_args: nrows: 10

    metrics = _metadata(viz, "metrics")
    assert metrics["preview_type"] == "JSONPreview"
    assert set(json.loads(metrics["preview"])) >= set(MODEL_NAMESPACES)

    plot = _metadata(viz, "plot_model_comparison")
    assert plot["preview_type"] == "ImagePreview"
    assert plot["preview"].startswith("iVBORw0KGgo")  # a base64 PNG


def test_every_dataset_that_can_be_previewed_is(viz):
    """A preview that fails (bad ``preview_args``, say) only logs a warning in kedro-viz."""
    failed = []
    for node in viz["main"]["nodes"] + viz["views"]["predict"]["nodes"]:
        if node["type"] != "data":
            continue
        metadata = _load(viz["api"] / "nodes" / node["id"])
        if metadata.get("preview_type") and metadata.get("preview") is None:
            failed.append(node["name"])
    assert not failed, f"previews failed for {sorted(set(failed))}"
