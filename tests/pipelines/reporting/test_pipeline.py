"""The reporting pipeline's wiring, and a whole default run of the project on the sample."""

from __future__ import annotations

import json

import pytest

from art_genre.modelling import MODEL_NAMES
from art_genre.pipelines.reporting import create_pipeline
from art_genre.pipelines.reporting.pipeline import MODELS, PLOTS
from tests.conftest import copy_trained, run_kedro

pytestmark = pytest.mark.slow  # whole reporting runs


def test_pipeline_reads_every_model_and_writes_the_reports():
    pipeline = create_pipeline()
    for model in MODELS:
        for kind in ("predictions", "timing"):
            assert f"{model}.{kind}" in pipeline.inputs()
        assert (f"{model}.history" in pipeline.inputs()) == (model in MODEL_NAMES)
    outputs = pipeline.all_outputs()
    for name in (
        "results",
        "intervals",
        "pairwise",
        "metrics",
        "thresholds",
        "timings",
        "per_genre_metrics",
        "report_md",
        "report_html",
    ):
        assert name in outputs
    assert {f"plot_{name}" for name in PLOTS} <= outputs


def test_default_run_on_the_sample(trained_sample, tmp_path, monkeypatch):
    kedro_project = copy_trained(trained_sample, tmp_path / "project")
    monkeypatch.chdir(kedro_project)
    reporting = kedro_project / "data/08_reporting"
    metrics = json.loads((reporting / "metrics.json").read_text())
    assert list(metrics) == list(MODELS)
    assert all(set(metrics[m]) == {"configuration", "seeds", "val", "test"} for m in MODELS)
    assert all(len(metrics[m]["seeds"]) == 2 for m in MODELS)  # conf/test/globals.yml
    thresholds = json.loads((reporting / "thresholds.json").read_text())
    assert list(thresholds) == list(MODELS)
    html = (reporting / "report.html").read_text(encoding="utf-8")
    md = (reporting / "report.md").read_text(encoding="utf-8")
    # the manifest hook handed the report this run's commit, env and fingerprints
    assert "## This run" in md and "**Environment:** `test`" in md
    manifest = json.loads((reporting / "run_manifest.json").read_text())
    assert manifest["fingerprints"]["pca"][:16] in md
    assert html.count("data:image/png;base64,") == len(PLOTS) + 1  # and the CAM gallery
    for name in PLOTS:
        assert (reporting / "plots" / f"{name}.png").stat().st_size > 5_000
    first = (reporting / "metrics.json").read_bytes()
    run_kedro(
        kedro_project
    )  # the same configuration again: the same metrics, byte for byte
    assert (reporting / "metrics.json").read_bytes() == first
