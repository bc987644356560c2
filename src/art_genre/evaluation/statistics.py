"""Uncertainty of the comparison: bootstrap intervals over test images, paired tests.

A model's headline score is the mean over its seeds. Its 95 % interval comes from a
seeded bootstrap over the test images: each resample draws the test images with
replacement (the same resample for every model and seed), every seed's score is
recomputed on it and the seeds are averaged; the interval is the 2.5th and 97.5th
percentile of that mean. A paired comparison of two models takes the difference of their
means on each resample, so it accounts for images that are hard for both; the difference
is *distinguishable from zero* when its interval excludes 0. The intervals are
percentile intervals and are not adjusted for the number of pairs compared.

Scores are recomputed from per-image counts weighted by how often each image was drawn
(``W @ counts``), so thousands of resamples cost a few matrix products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .metrics import DECIMALS, DEFAULT_LOGIT
from .runs import ModelRuns

CONFIDENCE = 0.95


def resample_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` images is drawn in each of ``n_boot`` resamples.

    Returns:
        Counts, shape ``(n_boot, n)``, each row summing to ``n``.
    """
    if n < 1:
        raise ValueError("Cannot bootstrap an empty test split.")
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float64)


def any_match_weighted(W: np.ndarray, Y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Any-match accuracy on each resample (``W``: resample counts, shape ``(B, n)``)."""
    hit = Y[np.arange(len(Y)), np.argmax(scores, axis=1)].astype(np.float64)
    return W @ hit / W.sum(axis=1)


def macro_f1_weighted(
    W: np.ndarray, Y: np.ndarray, predicted: np.ndarray, genres: np.ndarray
) -> np.ndarray:
    """Macro-F1 over the columns ``genres`` on each resample.

    A genre's F1 is ``2 TP / (2 TP + FP + FN)``, 0 where that is 0 / 0 (scikit-learn's
    ``zero_division=0``).
    """
    Y = Y.astype(np.float64)
    predicted = predicted.astype(np.float64)
    tp = W @ (Y * predicted)
    fp = W @ ((1 - Y) * predicted)
    fn = W @ (Y * (1 - predicted))
    denominator = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    if not genres.size:
        return np.zeros(W.shape[0])
    return f1[:, genres].mean(axis=1)


def score_distribution(
    W: np.ndarray,
    runs: ModelRuns,
    cuts: Sequence[np.ndarray],
    metric: str,
    setting: str,
) -> np.ndarray:
    """The seed-mean of one test metric on each resample.

    Args:
        W: Resample counts, shape ``(B, n_test)``.
        runs: The model's runs.
        cuts: Per seed, the tuned per-genre logit thresholds.
        metric: ``any_match_accuracy`` or ``macro_f1`` (over the genres present in the
            whole test split).
        setting: ``none``, ``0.5`` or ``tuned``.

    Returns:
        Shape ``(B,)``.
    """
    test = runs.test
    present = np.flatnonzero(test.Y.sum(axis=0) > 0)
    per_seed = []
    for s in range(len(runs.seeds)):
        logits = test.logits[s]
        if metric == "any_match_accuracy":
            per_seed.append(any_match_weighted(W, test.Y, logits))
            continue
        if metric != "macro_f1":
            raise ValueError(f"No bootstrap for metric {metric!r}")
        cut = cuts[s] if setting == "tuned" else np.full(logits.shape[1], DEFAULT_LOGIT)
        per_seed.append(macro_f1_weighted(W, test.Y, logits >= cut, present))
    return np.mean(per_seed, axis=0)


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _check_same_test_images(runs: Mapping[str, ModelRuns]) -> None:
    reference = next(iter(runs.values()))
    for model, run in runs.items():
        if run.test.image_ids != reference.test.image_ids:
            raise ValueError(
                f"{model} was tested on other images than {reference.model}: rerun "
                "both on the same feature_engineering output."
            )


def bootstrap_comparison(
    runs: Mapping[str, ModelRuns],
    cuts: Mapping[str, Sequence[np.ndarray]],
    headline: Sequence[tuple[str, str]],
    n_boot: int = 2000,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bootstrap intervals of every model's headline scores and of every paired difference.

    Args:
        runs: ``{model: ModelRuns}``, all on the same test images.
        cuts: ``{model: [per-seed tuned logit thresholds]}``.
        headline: ``(metric, thresholds)`` pairs to bootstrap.
        n_boot: Resamples.
        seed: Seed of the resampling.
        confidence: Interval coverage.

    Returns:
        ``intervals`` (``model``, ``metric``, ``thresholds``, ``estimate``, ``low``,
        ``high``, ``n_boot``; the estimate is the seed-mean on the full test split) and
        ``pairwise`` (``metric``, ``thresholds``, ``model_a``, ``model_b``,
        ``difference`` (a - b), ``low``, ``high``, ``p_value`` (two-sided bootstrap),
        ``distinguishable``).
    """
    _check_same_test_images(runs)
    n = next(iter(runs.values())).test.n_images
    W = resample_weights(n, n_boot, np.random.default_rng(seed))
    full = np.ones((1, n))
    interval_rows, pair_rows = [], []
    for metric, setting in headline:
        samples, estimates = {}, {}
        for model, run in runs.items():
            samples[model] = score_distribution(W, run, cuts[model], metric, setting)
            estimates[model] = float(
                score_distribution(full, run, cuts[model], metric, setting)[0]
            )
            low, high = _interval(samples[model], confidence)
            interval_rows.append([model, metric, setting, estimates[model], low, high, n_boot])
        for a, b in combinations(runs, 2):
            diff = samples[a] - samples[b]
            low, high = _interval(diff, confidence)
            p = min(1.0, 2 * min(np.mean(diff <= 0), np.mean(diff >= 0)))
            pair_rows.append(
                [metric, setting, a, b, estimates[a] - estimates[b], low, high, p,
                 bool(low > 0 or high < 0)]
            )
    return _comparison_tables(interval_rows, pair_rows)


def _comparison_tables(
    interval_rows: list[list[Any]], pair_rows: list[list[Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of :func:`bootstrap_comparison` as its two tables, floats rounded."""
    intervals = pd.DataFrame(
        interval_rows,
        columns=["model", "metric", "thresholds", "estimate", "low", "high", "n_boot"],
    )
    pairwise = pd.DataFrame(
        pair_rows,
        columns=["metric", "thresholds", "model_a", "model_b", "difference", "low",
                 "high", "p_value", "distinguishable"],
    )
    for table in (intervals, pairwise):
        numeric = table.select_dtypes("float").columns
        table[numeric] = table[numeric].round(DECIMALS)
    return intervals, pairwise
