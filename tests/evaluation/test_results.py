"""The results table is the single source: metrics.json and the summaries derive from it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from art_genre.evaluation.results import metrics_document, summarise
from tests.reporting_fakes import MODELS, SEEDS


def test_metrics_json_agrees_with_the_results_table(evaluated):
    results, metrics = evaluated["results"], evaluated["metrics"]
    assert metrics == metrics_document(results)
    checked = 0
    for row in results.itertuples(index=False):
        record = metrics[row.model][row.split]
        if row.thresholds != "none":
            record = record["threshold_0.5" if row.thresholds == "0.5" else "tuned"]
        values = record[row.metric]["values"]
        value = values[SEEDS.index(row.seed)]
        assert (value is None and pd.isna(row.value)) or value == pytest.approx(row.value)
        checked += 1
    assert checked == len(results)
    group = results[(results["model"] == "adam") & (results["split"] == "test")
                    & (results["thresholds"] == "tuned") & (results["metric"] == "macro_f1")]
    entry = metrics["adam"]["test"]["tuned"]["macro_f1"]
    assert entry["mean"] == pytest.approx(group["value"].mean(), abs=1e-6)
    assert entry["sd"] == pytest.approx(group["value"].std(ddof=1), abs=1e-6)


def test_summary_is_mean_and_sample_sd_over_seeds(evaluated):
    results = evaluated["results"]
    summary = summarise(results)
    assert set(summary["model"]) == set(MODELS)
    assert (summary["n_seeds"] == len(SEEDS)).all()
    row = summary[(summary["model"] == "snn") & (summary["split"] == "test")
                  & (summary["thresholds"] == "none")
                  & (summary["metric"] == "any_match_accuracy")].iloc[0]
    values = results[(results["model"] == "snn") & (results["split"] == "test")
                     & (results["metric"] == "any_match_accuracy")]["value"].to_numpy(float)
    assert row["mean"] == pytest.approx(values.mean(), abs=1e-6)
    assert row["sd"] == pytest.approx(np.std(values, ddof=1), abs=1e-6)


def test_intervals_hold_the_seed_mean(evaluated):
    summary = summarise(evaluated["results"])
    for row in evaluated["intervals"].itertuples(index=False):
        mean = summary[(summary["model"] == row.model) & (summary["split"] == "test")
                       & (summary["thresholds"] == row.thresholds)
                       & (summary["metric"] == row.metric)]["mean"].iloc[0]
        assert row.estimate == pytest.approx(mean, abs=1e-5)
        assert row.low <= row.estimate + 1e-9 and row.estimate <= row.high + 1e-9
