"""docs/results.md and the README cannot drift from the runs they cite.

Every results table in ``docs/results.md`` names its committed source
(``docs/results/<subset>.csv``: per model and headline metric, the mean and sd over
seeds and the two-level bootstrap interval); each row must equal what
:func:`results_row` makes of that file. Every pair the page calls distinguishable must
be distinguishable in ``docs/results/<subset>-pairwise.csv`` (Holm-adjusted).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "results.md"
SUBSETS = ("best-artworks", "wikiart-styles")
COLUMNS = (
    ("any_match_accuracy", "none"),
    ("macro_f1", "0.5"),
    ("macro_f1", "tuned"),
)
"""The table's score columns, then ECE before → after temperature scaling."""


def _cell(row: pd.Series) -> str:
    spread = f" ± {row['sd']:.3f}" if row["sd"] > 0 else " (seeds equal)"
    interval = f" [{row['low']:.3f}, {row['high']:.3f}]" if pd.notna(row["low"]) else ""
    return f"{row['mean']:.3f}{spread}{interval}"


def results_row(table: pd.DataFrame, model: str) -> str:
    """One model's Markdown row of the docs' results table, from the committed CSV."""
    rows = table[table["model"] == model].set_index(["metric", "thresholds"])
    cells = [_cell(rows.loc[key]) for key in COLUMNS]
    ece = rows.loc[("ece", "none")]
    scaled = rows.loc[("ece_calibrated", "none")] if ("ece_calibrated", "none") in rows.index else None
    cells.append(f"{ece['mean']:.3f} → {scaled['mean']:.3f}" if scaled is not None
                 else f"{ece['mean']:.3f}")
    return "| " + " | ".join([model, *cells]) + " |"


def _committed(subset: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / "docs" / "results" / f"{subset}.csv", dtype={"thresholds": str})


@pytest.mark.parametrize("subset", SUBSETS)
def test_results_tables_equal_the_committed_results(subset):
    text = PAGE.read_text(encoding="utf-8")
    table = _committed(subset)
    for model in dict.fromkeys(table["model"]):
        assert results_row(table, model) in text, f"{subset}: row of {model} differs"


@pytest.mark.parametrize("subset", SUBSETS)
def test_claimed_differences_are_distinguishable_after_adjustment(subset):
    """Claims are written ``a > b (metric)`` in the page's section of the subset."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split(f"## {subset}", 1)[1].split("\n## ", 1)[0]
    pairwise = pd.read_csv(ROOT / "docs" / "results" / f"{subset}-pairwise.csv",
                           dtype={"thresholds": str})
    claims = re.findall(r"`(\w+)`\s+>\s+`(\w+)`\s+\((\w+)\s+([\w.]+)\)", section)
    assert claims, f"no claim found in the {subset} section"
    for better, worse, metric, setting in claims:
        rows = pairwise[(pairwise["metric"] == metric) & (pairwise["thresholds"] == setting)
                        & pairwise["model_a"].isin([better, worse])
                        & pairwise["model_b"].isin([better, worse])]
        assert len(rows) == 1, (better, worse, metric, setting)
        row = rows.iloc[0]
        sign = 1 if row["model_a"] == better else -1
        assert row["distinguishable"] and sign * row["difference"] > 0, (better, worse)


def test_ablation_table_equals_the_committed_effects():
    """Every distinguishable macro-F1 effect is a row of the page's ablation table, and
    every row of that table is distinguishable, figures as committed."""
    effects = pd.read_csv(ROOT / "docs" / "results" / "best-artworks-ablations.csv",
                          dtype={"thresholds": str})
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## Ablations (best-artworks)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| fix")]
    real = effects[(effects["metric"] == "macro_f1") & effects["distinguishable"]]
    assert len(rows) == len(real)
    for r in real.itertuples(index=False):
        expected = (f"| {r.configuration} | {r.model} | {r.study:.3f} → {r.fixed:.3f} | "
                    f"{r.difference:+.3f} [{r.low:+.3f}, {r.high:+.3f}] | {r.p_adjusted:.3f} |")
        assert expected in rows, expected


def readme_row(model: str) -> str:
    """One model's row of the README's results table: macro-F1 at the tuned thresholds
    on each subset, from the committed CSVs."""
    cells = []
    for subset in SUBSETS:
        rows = _committed(subset)
        rows = rows[rows["model"] == model].set_index(["metric", "thresholds"])
        cells.append(_cell(rows.loc[("macro_f1", "tuned")]))
    return "| " + " | ".join([model, *cells]) + " |"


def test_the_readme_results_table_equals_the_committed_results():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| model")]
    models = list(dict.fromkeys(_committed(SUBSETS[0])["model"]))
    assert rows == [readme_row(m) for m in models]
