"""The whole flow on the bundled sample, offline, as `kedro run --env test` runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from art_genre.datasets import ArrayBundleDataset
from art_genre.modelling import ADAM, BASELINE_NAMES, BNN, BNN_STUDY, MODEL_NAMES, SNN
from art_genre.pipeline_registry import register_pipelines
from tests.conftest import ROOT, copy_trained, run_kedro

pytestmark = pytest.mark.slow  # whole pipeline runs on the sample


def test_every_pipeline_is_registered_and_default_is_the_training_flow():
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    pipelines = register_pipelines()
    trained = ("data_processing", "feature_engineering", "snn", "bnn", "adam", "baselines")
    for name in trained:
        assert name in pipelines and pipelines[name].nodes
    default = {n.name for n in pipelines["__default__"].nodes}
    for name in trained:
        assert {n.name for n in pipelines[name].nodes} <= default
    for name in ("predict", "ablations"):
        assert not {n.name for n in pipelines[name].nodes} & default


@pytest.fixture(scope="module")
def full_run(trained_sample, tmp_path_factory):
    """One full default run in a throw-away project copy, shared by this module's tests."""
    return copy_trained(trained_sample, tmp_path_factory.mktemp("full") / "project")


def test_full_run_writes_every_model_and_its_predictions(full_run):
    for name in MODEL_NAMES:
        versions = list((full_run / "data/06_models" / f"{name}.npz").glob("*/*.npz"))
        assert len(versions) == 1
        assert (versions[0].parent / f"{name}.json").exists()
        predictions = ArrayBundleDataset(
            filepath=str(full_run / f"data/07_model_output/{name}_predictions.npz")
        ).load()
        assert predictions["seeds"] == [42, 7]  # conf/test/globals.yml
        for split in ("val", "test"):
            logits = predictions[split]["logits"]
            assert logits.shape == (2, *predictions[split]["Y"].shape)
            assert logits.dtype == np.float64 and np.isfinite(logits).all()


# What each pipeline writes that no other pipeline writes: its models' predictions.
PREDICTIONS = {
    "snn": {SNN},
    "bnn": {BNN, BNN_STUDY},
    "adam": {ADAM},
    "baselines": set(BASELINE_NAMES),
    "feature_engineering": set(),
}


@pytest.mark.parametrize("name", list(PREDICTIONS))
def test_a_pipeline_runs_alone_after_one_full_run(full_run, monkeypatch, name):
    """`kedro run --pipelines <name>` reruns that pipeline and nothing else: it rewrites
    its own outputs, leaves the other pipelines' (and the report) untouched, and
    feature_engineering reuses the feature cache."""
    monkeypatch.chdir(full_run)
    data = full_run / "data"
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()}
    run_kedro(full_run, name)
    after = {p: p.stat().st_mtime_ns for p in data.rglob("*") if p.is_file()}
    rewritten = {p.relative_to(data).as_posix() for p in after if before.get(p) != after[p]}
    assert rewritten, f"`kedro run --pipelines {name}` wrote nothing"
    predicted = {
        Path(p).name.removesuffix("_predictions.npz")
        for p in rewritten
        if p.endswith("_predictions.npz")
    }
    assert predicted == PREDICTIONS[name]
    for model in PREDICTIONS[name]:
        assert f"08_reporting/timing/{model}.json" in rewritten
        if model in MODEL_NAMES:  # a new version of the network, and its history
            assert any(p.startswith(f"06_models/{model}.npz/") for p in rewritten)
            assert f"08_reporting/history/{model}.json" in rewritten
    assert "08_reporting/metrics.json" not in rewritten  # reporting did not run
    if name == "feature_engineering":
        assert {"04_feature/painting_features.npz", "05_model_input/model_input.npz"} <= rewritten
        assert any(p.startswith("06_models/pca.npz") for p in rewritten)
        new_files = {p for p in after if p not in before}
        assert not [p for p in new_files if "feature_cache" in p.parts]  # cache reused


def test_the_models_learn_the_sample_styles(full_run):
    """On the generated sample the genres are learnable: every model beats chance clearly."""
    import json

    metrics = json.loads((full_run / "data/08_reporting/metrics.json").read_text())
    for name in MODEL_NAMES:
        assert metrics[name]["test"]["macro_roc_auc"]["mean"] > 0.85, name
    assert metrics["adam"]["test"]["any_match_accuracy"]["mean"] >= 0.6
    # the networks beat the genre prior, whose macro-F1 at 0.5 is 0 (it never fires)
    assert metrics["prior"]["test"]["threshold_0.5"]["macro_f1"]["mean"] == 0
    assert metrics["adam"]["test"]["tuned"]["macro_f1"]["mean"] > 0.4


def test_the_ablations_run_on_the_sample_after_a_full_run(full_run, monkeypatch):
    import pandas as pd

    monkeypatch.chdir(full_run)
    run_kedro(full_run, "ablations")
    effects = pd.read_csv(full_run / "data/08_reporting/ablation_effects.csv")
    assert {"he_init", "adam_step_counter", "pca_on_train", "class_weighting",
            "bnn_gradient", "tuned_thresholds", "all_fixes"} == set(effects["configuration"])
    md = (full_run / "data/08_reporting/ablations.md").read_text(encoding="utf-8")
    assert "Δ macro-F1" in md and (full_run / "data/08_reporting/plots/ablation_effects.png").exists()
