"""The gathering and scoring nodes on fake predictions of four networks and two baselines."""

from __future__ import annotations

import pytest
from kedro_datasets.json import JSONDataset

from art_genre.pipelines.reporting.nodes import (
    collect_timings,
    evaluate_models,
    gather_by_model,
    gather_networks,
)
from tests.reporting_fakes import GENRES, MODELS, NETWORKS, SEEDS, fake_predictions


def test_gather_keeps_the_parameter_order_and_selection():
    wired = {m: f"out-{m}" for m in MODELS}
    assert gather_by_model(["adam", "snn"], **wired) == {
        "adam": "out-adam",
        "snn": "out-snn",
    }
    with pytest.raises(ValueError, match="roster"):
        gather_by_model(["snn", "xgboost"], **wired)
    with pytest.raises(ValueError, match="wired for"):  # in the roster, not wired here
        gather_by_model(["snn", "mlp"], **wired)
    with pytest.raises(ValueError, match="empty"):
        gather_by_model([], **wired)


def test_gather_networks_leaves_the_baselines_out():
    wired = {m: f"out-{m}" for m in NETWORKS}
    assert gather_networks(["adam", "prior", "logreg", "snn"], **wired) == {
        "adam": "out-adam",
        "snn": "out-snn",
    }
    with pytest.raises(ValueError, match="roster"):
        gather_networks(["snn", "xgboost"], **wired)


def test_evaluate_models_shapes(evaluated):
    metrics, thresholds, table = (
        evaluated["metrics"],
        evaluated["thresholds"],
        evaluated["per_genre_metrics"],
    )
    assert list(metrics) == MODELS
    assert all(list(metrics[m]) == ["configuration", "seeds", "val", "test"] for m in MODELS)
    assert all(metrics[m]["seeds"] == SEEDS for m in MODELS)
    assert list(thresholds) == MODELS
    for m in MODELS:
        assert thresholds[m]["seed"] == SEEDS[0]
        assert list(thresholds[m]["genres"]) == GENRES
    assert list(table.columns) == [
        "model", "seed", "split", "thresholds", "genre", "threshold", "precision",
        "recall", "f1", "support",
    ]
    assert len(table) == len(MODELS) * len(SEEDS) * 2 * 2 * len(GENRES)
    assert "train_seconds" not in str(metrics)
    n_pairs = len(MODELS) * (len(MODELS) - 1) // 2
    assert len(evaluated["pairwise"]) == 3 * n_pairs  # three headline metrics
    assert len(evaluated["intervals"]) == 3 * len(MODELS)


def test_outputs_are_identical_for_identical_inputs(
    tmp_path, split_summary, painting_index, calibrations, reporting_params
):
    paths = []
    for run in range(2):
        results, metrics, *_ , pairwise = evaluate_models(
            fake_predictions(seed=0), calibrations, split_summary, painting_index,
            reporting_params
        )
        path = tmp_path / f"metrics_{run}.json"
        JSONDataset(filepath=str(path), save_args={"indent": 2}).save(metrics)
        paths.append(path)
        results.to_csv(tmp_path / f"results_{run}.csv", index=False)
        pairwise.to_csv(tmp_path / f"pairwise_{run}.csv", index=False)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    for name in ("results", "pairwise"):
        assert (tmp_path / f"{name}_0.csv").read_bytes() == (tmp_path / f"{name}_1.csv").read_bytes()


def test_collect_timings(timings, histories):
    result = collect_timings(timings, histories)
    assert list(result) == MODELS
    assert result["bnn"] == {
        "train_seconds": 3.0,
        "train_seconds_all_seeds": 6.0,
        "inference_seconds": 0.01,
        "epochs_run": 9,
    }
    assert result["prior"]["epochs_run"] is None  # baselines have no history


def test_the_configured_rule_chooses_the_thresholds(
    split_summary, painting_index, calibrations, reporting_params
):
    """``reporting.thresholds.rule: checked`` keeps every cut within its bounds (a
    genre with p >= 0.9 is always assigned); ``per_genre`` may leave them."""
    checked = {**reporting_params, "thresholds": {**reporting_params["thresholds"],
                                                  "rule": "checked", "bounds": [0.2, 0.6]}}
    outputs = evaluate_models(
        fake_predictions(seed=0), calibrations, split_summary, painting_index, checked
    )
    thresholds = outputs[2]
    for model in MODELS:
        cuts = [t["probability"] for t in thresholds[model]["genres"].values()]
        assert all(0.2 - 1e-9 <= p <= 0.6 + 1e-9 for p in cuts), (model, cuts)
    with pytest.raises(ValueError, match="bounds"):
        evaluate_models(
            fake_predictions(seed=0), calibrations, split_summary, painting_index,
            {**checked, "thresholds": {**checked["thresholds"], "bounds": [0.6, 0.2]}},
        )
