"""Copy a run's headline results into docs/results/, the files the docs cite.

From a run's ``data/08_reporting`` folder it writes ``docs/results/<name>.csv`` (per
model and headline metric: the test mean and sd over seeds, and the two-level bootstrap
interval from ``intervals.csv``) and ``docs/results/<name>-pairwise.csv`` (the run's
``pairwise.csv``). ``tests/test_docs_results.py`` checks docs/results.md and the
README's results table against them.

Usage::

    python scripts/results_summary.py data/08_reporting best-artworks
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HEADLINE = [
    ("any_match_accuracy", "none"),
    ("macro_roc_auc", "none"),
    ("brier_score", "none"),
    ("ece", "none"),
    ("brier_score_calibrated", "none"),
    ("ece_calibrated", "none"),
    ("macro_f1", "0.5"),
    ("macro_f1", "tuned"),
]
"""The (metric, thresholds) pairs kept, in this order within each model."""


def summary(results: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Per model (report order) and headline metric: mean, sd, seeds, and interval."""
    test = results[(results["split"] == "test") & (results["configuration"] == "main")]
    stats = (
        test.groupby(["model", "thresholds", "metric"], sort=False)["value"]
        .agg(mean="mean", sd="std", n_seeds="count")
        .reset_index()
    )
    stats["sd"] = stats["sd"].fillna(0.0)
    keep = intervals[["model", "thresholds", "metric", "estimate", "low", "high",
                      "n_boot", "units"]]
    table = stats.merge(keep, on=["model", "thresholds", "metric"], how="left")
    order = {key: n for n, key in enumerate(HEADLINE)}
    table = table[[(m, t) in order for m, t in zip(table["metric"], table["thresholds"],
                                                   strict=True)]]
    models = {m: n for n, m in enumerate(dict.fromkeys(results["model"]))}
    table = table.assign(
        _model=table["model"].map(models),
        _metric=[order[(m, t)] for m, t in zip(table["metric"], table["thresholds"],
                                               strict=True)],
    ).sort_values(["_model", "_metric"]).drop(columns=["_model", "_metric"])
    for column in ("mean", "sd", "estimate", "low", "high"):
        table[column] = table[column].round(6)
    return table.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reporting", type=Path, help="a run's data/08_reporting folder")
    parser.add_argument("name", help="the subset's name, e.g. best-artworks")
    args = parser.parse_args()
    out = ROOT / "docs" / "results"
    results = pd.read_csv(args.reporting / "results.csv", dtype={"thresholds": str})
    intervals = pd.read_csv(args.reporting / "intervals.csv", dtype={"thresholds": str})
    summary(results, intervals).to_csv(out / f"{args.name}.csv", index=False)
    shutil.copy(args.reporting / "pairwise.csv", out / f"{args.name}-pairwise.csv")
    print(f"wrote docs/results/{args.name}.csv and {args.name}-pairwise.csv")


if __name__ == "__main__":
    main()
