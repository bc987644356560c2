"""The report's Summary: at most eight sentences, each from a fixed rule.

1. The best model(s) on the headline metric, with the interval, and the models not
   distinguishable from it after adjustment.
2. Which pairs among the networks and the strongest baseline are distinguishable after
   the Holm adjustment (or that none is).
3. The fix this run measures: ``bnn`` (real gradient boosting) against ``bnn_study``
   (the study's scheme), where both are reported.
4. Calibration: the ECE before and after temperature scaling, where measured.
5. The caveats that apply to this data: any-match saturated (the prior reaches
   :data:`SATURATED`), labels that belong to artists, a small test set
   (fewer than :data:`SMALL_TEST` images).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from art_genre.modelling import BASELINE_NAMES

SATURATED = 0.85
"""Any-match of the prior from which the metric says little about the models."""
SMALL_TEST = 500
"""Test images below which the report warns that intervals are wide."""
HEADLINE_METRIC = ("macro_f1", "tuned")
"""The metric the Summary and the one pairwise matrix use."""


def _estimates(intervals: pd.DataFrame, metric: str, setting: str) -> pd.DataFrame:
    part = intervals[(intervals["metric"] == metric) & (intervals["thresholds"] == setting)]
    return part.set_index("model")


def _pair(pairwise: pd.DataFrame, a: str, b: str, metric: str, setting: str) -> Any:
    part = pairwise[(pairwise["metric"] == metric) & (pairwise["thresholds"] == setting)]
    row = part[((part["model_a"] == a) & (part["model_b"] == b))
               | ((part["model_a"] == b) & (part["model_b"] == a))]
    return None if row.empty else row.iloc[0]


def _signed(row: Any, better: str) -> tuple[float, float, float]:
    """The difference ``better - other`` and its interval, from a pairwise row."""
    sign = 1 if row["model_a"] == better else -1
    low, high = sorted((sign * row["low"], sign * row["high"]))
    return sign * row["difference"], low, high


def best_models(intervals: pd.DataFrame, pairwise: pd.DataFrame) -> str:
    """Rule 1: the top model on the headline metric and its statistical ties."""
    metric, setting = HEADLINE_METRIC
    table = _estimates(intervals, metric, setting)
    if table.empty:
        return ""
    best = str(table["estimate"].idxmax())
    row = table.loc[best]
    ties = [m for m in table.index if m != best
            and not bool(_pair(pairwise, best, m, metric, setting)["distinguishable"])]
    sentence = (
        f"On the headline metric, macro-F1 at thresholds tuned on validation, `{best}` "
        f"scores highest: {row['estimate']:.3f} (95 % interval {row['low']:.3f} to "
        f"{row['high']:.3f}, over {_seeds(int(row['n_seeds']))} and the test {row['units']}s)."
    )
    if ties:
        sentence += (
            f" {_names(ties)} {'is' if len(ties) == 1 else 'are'} not distinguishable "
            "from it after adjustment for the number of comparisons."
        )
    return sentence


def _seeds(n: int) -> str:
    return "1 seed" if n == 1 else f"{n} seeds"


def _names(models: Sequence[str]) -> str:
    quoted = [f"`{m}`" for m in models]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def contenders(intervals: pd.DataFrame) -> list[str]:
    """The networks and the strongest baseline on the headline metric."""
    table = _estimates(intervals, *HEADLINE_METRIC)
    networks = [m for m in table.index if m not in BASELINE_NAMES]
    baselines = table.loc[[m for m in table.index if m in BASELINE_NAMES], "estimate"]
    return networks + ([str(baselines.idxmax())] if len(baselines) else [])


def distinguishable_pairs(intervals: pd.DataFrame, pairwise: pd.DataFrame) -> str:
    """Rule 2: which pairs among the contenders differ after the Holm adjustment."""
    metric, setting = HEADLINE_METRIC
    models = contenders(intervals)
    found = []
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            row = _pair(pairwise, a, b, metric, setting)
            if row is not None and bool(row["distinguishable"]):
                better = row["model_a"] if row["difference"] > 0 else row["model_b"]
                worse = b if better == a else a
                diff, _, _ = _signed(row, better)
                found.append(f"`{better}` over `{worse}` (+{diff:.3f}, adjusted p "
                             f"{row['p_adjusted']:.3g})")
    group = f"Among {_names(models)}"
    if not found:
        return f"{group}, no two are distinguishable on that metric after adjustment."
    return (f"{group}, after adjustment these differences are real: "
            + "; ".join(found) + "; the other pairs are not distinguishable.")


def fix_effect(intervals: pd.DataFrame, pairwise: pd.DataFrame) -> str:
    """Rule 3: real gradient boosting (``bnn``) against the study's (``bnn_study``)."""
    row = _pair(pairwise, "bnn", "bnn_study", "macro_f1", "0.5")
    if row is None:
        return ""
    diff, low, high = _signed(row, "bnn")
    verdict = "a real difference" if bool(row["distinguishable"]) else "not distinguishable"
    return (
        f"The fix measured in this run, real gradient boosting (`bnn`) against the study's "
        f"scheme (`bnn_study`), changes macro-F1 at threshold 0.5 by {diff:+.3f} (95 % "
        f"interval {low:+.3f} to {high:+.3f}): {verdict}; `kedro run --pipelines "
        "ablations` measures every fix."
    )


def calibration_sentence(summary: pd.DataFrame) -> str:
    """Rule 4: how far probabilities are from frequencies, before and after scaling."""
    test = summary[(summary["split"] == "test") & (summary["thresholds"] == "none")]
    ece = test[test["metric"] == "ece"].set_index("model")["mean"]
    after = test[test["metric"] == "ece_calibrated"].set_index("model")["mean"]
    if ece.empty:
        return ""
    text = (f"Probabilities are off by {ece.min():.3f} to {ece.max():.3f} on average "
            "(expected calibration error, test)")
    if not after.empty:
        text += (f"; temperature scaling fitted on validation brings that to "
                 f"{after.min():.3f} to {after.max():.3f} without changing any prediction")
    return text + "."


def caveat_sentences(
    summary: pd.DataFrame,
    intervals: pd.DataFrame,
    split_summary: Mapping[str, Any],
) -> list[str]:
    """Rule 5: the caveats that apply to this data."""
    out = []
    prior = summary[(summary["model"] == "prior") & (summary["split"] == "test")
                    & (summary["metric"] == "any_match_accuracy")]["mean"]
    if len(prior) and prior.iloc[0] >= SATURATED:
        out.append(f"Any-match accuracy is nearly saturated here (the `prior`, which "
                   f"ranks the commonest genre first for every painting, reaches "
                   f"{prior.iloc[0]:.3f}): judge the models by macro-F1.")
    reason = str(intervals["units_reason"].iloc[0]) if "units_reason" in intervals else ""
    if "belong to artists" in reason and split_summary.get("strategy") != "artist":
        artists = (split_summary.get("n_artists") or {}).get("test", "?")
        out.append(f"Labels belong to artists ({artists} in the test split, also seen in "
                   "training): the scores partly measure artist recognition, and with so "
                   "few artists the intervals are computed over images, so they are too "
                   "narrow.")
    n_test = int((split_summary.get("n_images") or {}).get("test", 0))
    if n_test and n_test < SMALL_TEST:
        width = (intervals["high"] - intervals["low"]).median()
        out.append(f"The test split has only {n_test} images: a typical interval is "
                   f"{width:.2f} wide, so small gaps between models are not resolvable.")
    return out


def summary_sentences(
    summary: pd.DataFrame,
    intervals: pd.DataFrame,
    pairwise: pd.DataFrame,
    split_summary: Mapping[str, Any],
) -> list[str]:
    """The Summary, at most eight sentences, by the rules of this module."""
    sentences = [
        best_models(intervals, pairwise),
        distinguishable_pairs(intervals, pairwise),
        fix_effect(intervals, pairwise),
        calibration_sentence(summary),
        *caveat_sentences(summary, intervals, split_summary),
    ]
    return [s for s in sentences if s][:8]
