"""Uncertainty of the comparison: a two-level bootstrap over seeds and test units.

A model's headline score is the mean over its seeds. Two things could have come out
otherwise: the models (another seed trains another network) and the test set (other
paintings). Every resample therefore draws both:

- **seeds**, with replacement, within each model and independently per model (the
  seed-mean of the resample weights each seed by how often it was drawn);
- **test units**, with replacement, one draw shared by every model and seed, so that a
  paired difference cancels what is hard for both. The units are *artists* where the
  labels belong to artists and the test split has at least :data:`MIN_CLUSTERS` of them
  (every painting of an artist carries that artist's genres, so its paintings are not
  independent); otherwise they are *images*, and :class:`Units` says why.

Intervals are percentile intervals; a paired difference's two-sided p-value is
``min(1, 2 min(k₋ + 1, k₊ + 1) / (B + 1))`` with ``k₋`` (``k₊``) the resamples where
the difference is ``<= 0`` (``>= 0``); p-values are Holm–Bonferroni adjusted within each
metric family (one metric at one threshold setting: every pair of models), and a pair is
*distinguishable* when its adjusted p is below ``alpha``.

Macro-F1 averages, on each resample, the genres present in that resample, as the point
estimate averages the genres present in the test split. Scores are recomputed from
per-image counts weighted by how often each image was drawn (``W @ counts``), so ten
thousand resamples cost a few matrix products.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .metrics import DECIMALS, DEFAULT_LOGIT
from .runs import ModelRuns

CONFIDENCE = 0.95
ALPHA = 0.05
MIN_CLUSTERS = 20
"""Fewest artists for which the test units are artists (a cluster bootstrap over fewer
clusters is degenerate: with 4 artists it can only reshuffle four blocks)."""


@dataclass(frozen=True)
class Units:
    """What the bootstrap draws from the test split.

    Attributes:
        kind: ``artist`` or ``image``.
        index: Per test image, its unit (``0 .. n_units - 1``).
        reason: Why these units, in a sentence for the report.
    """

    kind: str
    index: np.ndarray
    reason: str

    @property
    def n_units(self) -> int:
        """How many units the test split has."""
        return int(self.index.max()) + 1 if self.index.size else 0


def choose_units(
    n_images: int, artists: Sequence[str] | None = None, min_clusters: int = MIN_CLUSTERS
) -> Units:
    """The test units: artists where labels come per artist and there are enough of them.

    Args:
        n_images: Test images.
        artists: Per test image, its artist (``""`` or ``None`` where labels come per
            image, as in labelled folders).
        min_clusters: Fewest artists for a cluster bootstrap.

    Returns:
        The units, with the reason for the choice.
    """
    images = np.arange(n_images)
    if artists is None or not any(artists):
        return Units("image", images, "labels come per image (labelled folders), so the "
                     "test images are the units")
    if len(artists) != n_images:
        raise ValueError(f"{len(artists)} artists given for {n_images} test images")
    names, index = np.unique(np.asarray(artists, dtype=str), return_inverse=True)
    if len(names) < min_clusters:
        return Units("image", images, f"labels belong to artists, but the test split has "
                     f"{len(names)} artist(s), fewer than the {min_clusters} a cluster "
                     "bootstrap needs: the units are images, so the intervals are too "
                     "narrow (one artist's paintings are not independent)")
    return Units("artist", index, f"labels belong to artists: the {len(names)} test "
                 "artists are resampled whole")


def resample_units(units: Units, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each test image is drawn in each resample of the units.

    Returns:
        Counts, shape ``(n_boot, n_images)``; an image counts as often as its unit was
        drawn.
    """
    k = units.n_units
    if k < 1:
        raise ValueError("Cannot bootstrap an empty test split.")
    return _draw_counts(k, n_boot, rng)[:, units.index]


def _draw_counts(k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, k)`` counts of ``k`` draws with replacement from ``k`` items per row
    (a multinomial, by one vectorised ``bincount``)."""
    drawn = rng.integers(0, k, size=(n_boot, k)) + k * np.arange(n_boot)[:, None]
    return np.bincount(drawn.ravel(), minlength=n_boot * k).reshape(n_boot, k).astype(
        np.float64
    )


def resample_weights(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each of ``n`` images is drawn in each of ``n_boot`` resamples.

    Returns:
        Counts, shape ``(n_boot, n)``, each row summing to ``n``.
    """
    return resample_units(choose_units(n), n_boot, rng)


def resample_seeds(n_seeds: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Each seed's share of each resample's seed-mean (seeds drawn with replacement).

    Returns:
        Shape ``(n_boot, n_seeds)``, rows summing to 1. One seed: all ones.
    """
    return _draw_counts(n_seeds, n_boot, rng) / n_seeds


def any_match_weighted(W: np.ndarray, Y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Any-match accuracy on each resample (``W``: resample counts, shape ``(B, n)``)."""
    hit = Y[np.arange(len(Y)), np.argmax(scores, axis=1)].astype(np.float64)
    return W @ hit / W.sum(axis=1)


def macro_f1_weighted(W: np.ndarray, Y: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Macro-F1 on each resample over the genres present in that resample.

    A genre's F1 is ``2 TP / (2 TP + FP + FN)``, 0 where that is 0 / 0 (scikit-learn's
    ``zero_division=0``); a genre without a true image among the drawn rows is left out
    of that resample's average, as the point estimate leaves out genres absent from the
    test split. All counts are integers, so no float rounding decides anything.
    """
    Y = Y.astype(np.float64)
    predicted = predicted.astype(np.float64)
    g = Y.shape[1]
    counts = W @ np.hstack([Y * predicted, Y, predicted])  # one product: TP, P, predicted
    tp, positives = counts[:, :g], counts[:, g:2 * g]
    denominator = positives + counts[:, 2 * g:]  # (TP + FN) + (TP + FP)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    present = positives > 0
    n_present = present.sum(axis=1)
    return np.where(n_present > 0, (f1 * present).sum(axis=1) / np.maximum(n_present, 1), 0.0)


def seed_scores(
    W: np.ndarray, runs: ModelRuns, cuts: Sequence[np.ndarray], metric: str, setting: str
) -> np.ndarray:
    """One test metric of every seed on each resample of the test units.

    Args:
        W: Resample counts, shape ``(B, n_test)``.
        runs: The model's runs.
        cuts: Per seed, the tuned per-genre logit thresholds.
        metric: ``any_match_accuracy`` or ``macro_f1``.
        setting: ``none``, ``0.5`` or ``tuned``.

    Returns:
        Shape ``(n_seeds, B)``.
    """
    test = runs.test
    per_seed = []
    for s in range(len(runs.seeds)):
        logits = test.logits[s]
        if metric == "any_match_accuracy":
            per_seed.append(any_match_weighted(W, test.Y, logits))
            continue
        if metric != "macro_f1":
            raise ValueError(f"No bootstrap for metric {metric!r}")
        cut = cuts[s] if setting == "tuned" else np.full(logits.shape[1], DEFAULT_LOGIT)
        per_seed.append(macro_f1_weighted(W, test.Y, logits >= cut))
    return np.stack(per_seed)


def score_distribution(
    W: np.ndarray,
    runs: ModelRuns,
    cuts: Sequence[np.ndarray],
    metric: str,
    setting: str,
    seed_weights: np.ndarray | None = None,
) -> np.ndarray:
    """The seed-mean of one test metric on each resample.

    Args:
        W: Resample counts of the test images, shape ``(B, n_test)``.
        runs, cuts, metric, setting: See :func:`seed_scores`.
        seed_weights: Shape ``(B, n_seeds)`` from :func:`resample_seeds`; ``None``
            averages every seed equally (the point estimate, or images-only resampling).

    Returns:
        Shape ``(B,)``.
    """
    per_seed = seed_scores(W, runs, cuts, metric, setting)
    if seed_weights is None:
        return per_seed.mean(axis=0)
    return np.einsum("bs,sb->b", seed_weights, per_seed)


def interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The percentile interval of bootstrap values."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_p(differences: np.ndarray) -> float:
    """Two-sided p of a difference being 0: ``min(1, 2 min(k₋+1, k₊+1) / (B+1))``."""
    below = int(np.sum(differences <= 0))
    above = int(np.sum(differences >= 0))
    return min(1.0, 2 * min(below + 1, above + 1) / (differences.size + 1))


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (step-down, monotone, at most 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    factors = len(p) - np.arange(len(p))
    adjusted = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def _check_same_test_images(runs: Mapping[str, ModelRuns]) -> None:
    reference = next(iter(runs.values()))
    for model, run in runs.items():
        if run.test.image_ids != reference.test.image_ids:
            raise ValueError(
                f"{model} was tested on other images than {reference.model}: rerun "
                "both on the same feature_engineering output."
            )


@dataclass(frozen=True)
class Draws:
    """One set of resamples: test-unit counts and, per model, seed shares.

    ``seeds`` maps a model to its ``(B, n_seeds)`` shares, or to ``None`` (images-only:
    the seeds are held fixed).
    """

    W: np.ndarray
    seeds: Mapping[str, np.ndarray | None]
    units: Units

    @property
    def n_boot(self) -> int:
        """Resamples."""
        return int(self.W.shape[0])


def draw(
    runs: Mapping[str, ModelRuns],
    n_boot: int,
    seed: int,
    units: Units | None = None,
    two_level: bool = True,
    shared_seeds: bool = False,
) -> Draws:
    """The resamples of a comparison, all from one seeded generator.

    Args:
        runs: ``{name: ModelRuns}``, all on the same test images.
        n_boot: Resamples.
        seed: Seed of the generator.
        units: The test units (default: images).
        two_level: Resample seeds too (``False``: images only, the seeds held fixed).
        shared_seeds: One seed draw for every entry of ``runs`` (they must have equal
            seed lists): for configurations of one model trained from the same seeds.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    _check_same_test_images(runs)
    rng = np.random.default_rng(seed)
    units = units or choose_units(next(iter(runs.values())).test.n_images)
    W = resample_units(units, n_boot, rng)
    if not two_level:
        return Draws(W, dict.fromkeys(runs), units)
    if shared_seeds:
        counts = {len(r.seeds) for r in runs.values()}
        if len(counts) != 1:
            raise ValueError(f"shared seed draws need equal seed counts, got {sorted(counts)}")
        shares = resample_seeds(counts.pop(), n_boot, rng)
        return Draws(W, dict.fromkeys(runs, shares), units)
    return Draws(W, {m: resample_seeds(len(r.seeds), n_boot, rng) for m, r in runs.items()},
                 units)


def bootstrap_comparison(
    runs: Mapping[str, ModelRuns],
    cuts: Mapping[str, Sequence[np.ndarray]],
    headline: Sequence[tuple[str, str]],
    n_boot: int,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    units: Units | None = None,
    two_level: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bootstrap intervals of every model's headline scores and of every paired difference.

    Args:
        runs: ``{model: ModelRuns}``, all on the same test images.
        cuts: ``{model: [per-seed tuned logit thresholds]}``.
        headline: ``(metric, thresholds)`` pairs to bootstrap.
        n_boot: Resamples.
        seed: Seed of the resampling.
        confidence: Interval coverage (``1 - confidence`` is the test level).
        units: The test units (default: images).
        two_level: Resample seeds within each model too (``False``: images only).

    Returns:
        ``intervals`` (``model``, ``metric``, ``thresholds``, ``estimate``, ``low``,
        ``high``, ``n_boot``, ``n_seeds``, ``units``; the estimate is the seed-mean on
        the full test split) and ``pairwise`` (``metric``, ``thresholds``, ``model_a``,
        ``model_b``, ``difference`` (a - b), ``low``, ``high``, ``p_value``,
        ``p_adjusted`` (Holm within the metric family), ``distinguishable``).
    """
    draws = draw(runs, n_boot, seed, units, two_level)
    full = np.ones((1, draws.W.shape[1]))
    alpha = 1 - confidence
    interval_rows, pair_rows = [], []
    for metric, setting in headline:
        samples, estimates = {}, {}
        for model, run in runs.items():
            samples[model] = score_distribution(
                draws.W, run, cuts[model], metric, setting, draws.seeds[model]
            )
            estimates[model] = float(
                score_distribution(full, run, cuts[model], metric, setting)[0]
            )
            interval_rows.append([model, metric, setting, estimates[model],
                                  *interval(samples[model], confidence), n_boot,
                                  len(run.seeds), draws.units.kind])
        family = []
        for a, b in combinations(runs, 2):
            diff = samples[a] - samples[b]
            family.append([metric, setting, a, b, estimates[a] - estimates[b],
                           *interval(diff, confidence), bootstrap_p(diff)])
        adjusted = holm([row[-1] for row in family]) if family else []
        pair_rows += [[*row, q, bool(q < alpha)] for row, q in zip(family, adjusted, strict=True)]
    return _comparison_tables(interval_rows, pair_rows)


def _comparison_tables(
    interval_rows: list[list[Any]], pair_rows: list[list[Any]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of :func:`bootstrap_comparison` as its two tables, floats rounded."""
    intervals = pd.DataFrame(
        interval_rows,
        columns=["model", "metric", "thresholds", "estimate", "low", "high", "n_boot",
                 "n_seeds", "units"],
    )
    pairwise = pd.DataFrame(
        pair_rows,
        columns=["metric", "thresholds", "model_a", "model_b", "difference", "low",
                 "high", "p_value", "p_adjusted", "distinguishable"],
    )
    for table in (intervals, pairwise):
        numeric = table.select_dtypes("float").columns
        table[numeric] = table[numeric].round(DECIMALS)
    return intervals, pairwise
