"""The whole flow on the bundled sample, offline, as `kedro run --env test` runs it."""

from __future__ import annotations

import numpy as np
import pytest

from art_genre.datasets import ArrayBundleDataset
from art_genre.pipeline_registry import register_pipelines
from tests.conftest import ROOT, copy_project, run_kedro

MODELS = ("snn", "bnn", "bnn_study", "adam")


def test_every_pipeline_is_registered_and_default_is_the_training_flow():
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    pipelines = register_pipelines()
    for name in ("data_processing", "feature_engineering", "snn", "bnn", "adam"):
        assert name in pipelines and pipelines[name].nodes
    default = {n.name for n in pipelines["__default__"].nodes}
    for name in ("data_processing", "feature_engineering", "snn", "bnn", "adam"):
        assert {n.name for n in pipelines[name].nodes} <= default
    if "predict" in pipelines:
        assert not {n.name for n in pipelines["predict"].nodes} & default


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """One full default run in a throw-away project copy, shared by this module's tests."""
    project = copy_project(tmp_path_factory.mktemp("full") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        run_kedro(project)
    return project


def test_full_run_writes_every_model_and_its_predictions(full_run):
    for name in MODELS:
        versions = list((full_run / "data/06_models" / f"{name}.npz").glob("*/*.npz"))
        assert len(versions) == 1
        assert (versions[0].parent / f"{name}.json").exists()
        predictions = ArrayBundleDataset(
            filepath=str(full_run / f"data/07_model_output/{name}_predictions.npz")
        ).load()
        for split in ("val", "test"):
            proba = predictions[split]["proba"]
            assert proba.shape == predictions[split]["Y"].shape
            assert np.isfinite(proba).all() and ((proba >= 0) & (proba <= 1)).all()


@pytest.mark.parametrize("name", ["snn", "bnn", "adam", "feature_engineering"])
def test_a_pipeline_runs_alone_after_one_full_run(full_run, monkeypatch, name):
    monkeypatch.chdir(full_run)
    run_kedro(full_run, name)


def test_the_models_learn_the_sample_styles(full_run):
    """On the generated sample the genres are learnable: every model beats chance clearly."""
    import json

    metrics = json.loads((full_run / "data/08_reporting/metrics.json").read_text())
    for name in MODELS:
        assert metrics[name]["test"]["macro_roc_auc"] > 0.85, name
    assert metrics["adam"]["test"]["any_match_accuracy"] >= 0.6
