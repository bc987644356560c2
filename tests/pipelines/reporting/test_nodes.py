"""The gathering and scoring nodes on fake predictions of four models."""

from __future__ import annotations

import pytest
from kedro_datasets.json import JSONDataset

from art_genre.pipelines.reporting.nodes import (
    collect_timings,
    evaluate_models,
    gather_by_model,
)

from .conftest import GENRES, MODELS, fake_predictions


def test_gather_keeps_the_parameter_order_and_selection():
    wired = {m: f"out-{m}" for m in MODELS}
    assert gather_by_model(["adam", "snn"], **wired) == {
        "adam": "out-adam",
        "snn": "out-snn",
    }
    with pytest.raises(ValueError, match="MODELS"):
        gather_by_model(["snn", "xgboost"], **wired)
    with pytest.raises(ValueError, match="empty"):
        gather_by_model([], **wired)


def test_evaluate_models_shapes(predictions):
    metrics, thresholds, table = evaluate_models(predictions)
    assert list(metrics) == MODELS
    assert all(list(metrics[m]) == ["val", "test"] for m in MODELS)
    assert list(thresholds) == MODELS and all(
        list(thresholds[m]) == GENRES for m in MODELS
    )
    assert list(table.columns) == [
        "model",
        "split",
        "thresholds",
        "genre",
        "threshold",
        "precision",
        "recall",
        "f1",
        "support",
    ]
    assert len(table) == len(MODELS) * 2 * 2 * len(GENRES)
    assert "train_seconds" not in str(metrics)


def test_metrics_file_is_identical_for_identical_inputs(tmp_path):
    paths = []
    for run in range(2):
        metrics, _, _ = evaluate_models(fake_predictions(seed=0))
        path = tmp_path / f"metrics_{run}.json"
        JSONDataset(filepath=str(path), save_args={"indent": 2}).save(metrics)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_collect_timings(timings, histories):
    result = collect_timings(timings, histories)
    assert list(result) == MODELS
    assert result["bnn"] == {
        "train_seconds": 3.0,
        "inference_seconds": 0.01,
        "epochs_run": 9,
    }
