"""Decision rules: from per-genre scores to the genres a painting is assigned.

One rule everywhere: a genre is assigned when its score reaches its threshold. It is
applied here, once, by :func:`decide` (on the logits; the probabilities shown are
``sigmoid(logit / T)`` with the calibration temperature ``T``, which keeps the order),
for ``predict`` and the registered model alike; :func:`ranked_cells` writes a painting's
decisions as the cells of their tables. What differs is how the thresholds are chosen
from validation scores (logits):

* :func:`~art_genre.evaluation.metrics.tune_thresholds`: each genre's own F1-best cut;
* :func:`global_threshold`: one cut for every genre, the macro-F1-best one;
* :func:`checked_thresholds`: each genre's cut held in check: shrunk toward the global
  cut by its number of validation positives, the genre's own cut only from
  ``min_positives`` positives on, and every cut inside ``bounds``.

Only validation data is read; the thresholds are on the scale of the scores given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from scipy.special import logit

from art_genre.evaluation.calibration import calibrated_proba
from art_genre.evaluation.metrics import tune_thresholds

ThresholdRule = Literal["checked", "per_genre", "global"]
"""How thresholds are chosen on validation (see the module doc); ``checked`` is the
project's default, measured against the others by ``benchmarks/threshold_rules.py``."""
THRESHOLD_RULES: tuple[str, ...] = get_args(ThresholdRule)


def _midpoints(scores: np.ndarray) -> np.ndarray:
    """Candidate cuts: halfway between consecutive distinct scores, and below all."""
    distinct = np.unique(scores)
    if distinct.size == 0:
        return np.array([0.0])
    below = distinct[0] - 1.0
    return np.concatenate([[below], (distinct[1:] + distinct[:-1]) / 2])


def macro_f1_at(Y: np.ndarray, scores: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Macro-F1 over the genres present in ``Y`` for each cut of ``cuts`` (one cut for
    every genre), computed from integer counts."""
    Y = np.asarray(Y) > 0.5
    present = Y.any(axis=0)
    above = scores[None, :, :] >= cuts[:, None, None]  # cut x image x genre
    tp = (above & Y).sum(axis=1)
    fp = (above & ~Y).sum(axis=1)
    fn = (~above & Y).sum(axis=1)
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros(tp.shape), where=denominator > 0)
    return f1[:, present].mean(axis=1) if present.any() else np.zeros(len(cuts))


def global_threshold(Y_val: Any, scores_val: Any, max_candidates: int = 512) -> float:
    """The one cut, for every genre at once, with the best validation macro-F1.

    Ties go to the highest cut (fewest false positives), as in per-genre tuning.

    Args:
        Y_val: 0/1 validation targets, ``(n, G)``.
        scores_val: Validation scores (logits), same shape.
        max_candidates: At most this many candidate cuts (quantiles of the midpoints).

    Returns:
        The cut, on the scale of ``scores_val``.
    """
    scores = np.asarray(scores_val, dtype=np.float64)
    cuts = _midpoints(scores.ravel())
    if cuts.size > max_candidates:
        cuts = np.unique(np.quantile(cuts, np.linspace(0, 1, max_candidates)))
    f1 = macro_f1_at(np.asarray(Y_val), scores, cuts)
    return float(cuts[np.flatnonzero(f1 == f1.max())[-1]])


def checked_thresholds(
    Y_val: Any,
    scores_val: Any,
    genres: Sequence[str],
    *,
    min_positives: int = 5,
    prior_strength: float = 10.0,
    bounds: tuple[float, float] = (0.05, 0.9),
    temperature: float = 1.0,
) -> dict[str, float]:
    """Per-genre thresholds held in check (see the module doc).

    Each genre's F1-best cut ``t_g`` (from its ``n_g`` validation positives) is shrunk
    toward the global cut ``t``: ``(n_g * t_g + k * t) / (n_g + k)`` with
    ``k = prior_strength``; a genre with fewer than ``min_positives`` positives takes
    ``t`` itself; every cut is then clipped to ``bounds``, given as the probabilities
    shown, ``sigmoid(logit / temperature)`` (so that, with the default, a genre shown
    with probability 0.9 or more is always assigned, whatever the calibration).

    Args:
        Y_val: 0/1 validation targets, ``(n, G)``.
        scores_val: Validation logits, same shape.
        genres: Column names, in order.
        min_positives: Fewest validation positives for a genre's own cut to count.
        prior_strength: Weight of the global cut, in validation positives.
        bounds: Lowest and highest cut, as probabilities.
        temperature: The calibration temperature the probabilities are shown with (the
            bounds are ``temperature * logit(bounds)`` on the logit scale).

    Returns:
        ``{genre: threshold}`` on the logit scale, in column order.
    """
    Y = np.asarray(Y_val) > 0.5
    scores = np.asarray(scores_val, dtype=np.float64)
    own = tune_thresholds(Y, scores, genres)
    shared = global_threshold(Y, scores)
    low, high = temperature * logit(bounds[0]), temperature * logit(bounds[1])
    checked = {}
    for j, genre in enumerate(genres):
        n = int(Y[:, j].sum())
        cut = shared if n < min_positives else (
            (n * own[genre] + prior_strength * shared) / (n + prior_strength)
        )
        checked[genre] = float(np.clip(cut, low, high))
    return checked


def choose_thresholds(
    Y_val: Any,
    scores_val: Any,
    genres: Sequence[str],
    rule: ThresholdRule = "checked",
    *,
    min_positives: int = 5,
    prior_strength: float = 10.0,
    bounds: tuple[float, float] = (0.05, 0.9),
    temperature: float = 1.0,
) -> dict[str, float]:
    """Per-genre thresholds by ``rule``, on the scale of ``scores_val``.

    Args:
        Y_val: 0/1 validation targets, ``(n, G)``.
        scores_val: Validation logits, same shape.
        genres: Column names, in order.
        rule: ``checked`` (:func:`checked_thresholds` with the keyword settings),
            ``per_genre`` (each genre's F1-best cut) or ``global`` (one cut for all).
        min_positives: See :func:`checked_thresholds`.
        prior_strength: See :func:`checked_thresholds`.
        bounds: See :func:`checked_thresholds`.
        temperature: See :func:`checked_thresholds` (the other rules have no bounds).

    Returns:
        ``{genre: threshold}`` in column order.

    Raises:
        ValueError: For an unknown rule.
    """
    if rule == "per_genre":
        return tune_thresholds(Y_val, scores_val, genres)
    if rule == "global":
        return dict.fromkeys(genres, global_threshold(Y_val, scores_val))
    if rule == "checked":
        return checked_thresholds(
            Y_val, scores_val, genres, min_positives=min_positives,
            prior_strength=prior_strength, bounds=bounds, temperature=temperature,
        )
    raise ValueError(f"Unknown threshold rule {rule!r}; use one of {THRESHOLD_RULES}")


@dataclass(frozen=True)
class Decisions:
    """Every genre's calibrated probability, shown threshold and decision, per painting.

    Attributes:
        logits: ``(n, G)`` the model's logits (their order ranks the genres: unlike
            probabilities they do not tie at 1.0).
        probabilities: ``(n, G)`` ``sigmoid(logit / T)``.
        thresholds: ``(G,)`` ``sigmoid(t / T)``, the thresholds on the same scale.
        assigned: ``(n, G)`` ``logit >= t`` (the same as ``probabilities >= thresholds``).
    """

    logits: np.ndarray
    probabilities: np.ndarray
    thresholds: np.ndarray
    assigned: np.ndarray

    def ranked(self, row: int) -> list[int]:
        """Genre columns of one painting, most probable first (ties: lower column)."""
        return [int(g) for g in np.argsort(-self.logits[row], kind="stable")]

    def assigned_genres(self, row: int) -> list[int]:
        """The genre columns assigned to one painting, most probable first."""
        return [g for g in self.ranked(row) if self.assigned[row, g]]


def decide(logits: np.ndarray, threshold_logits: np.ndarray, temperature: float) -> Decisions:
    """Apply the rule to a batch of logits.

    Args:
        logits: ``(n, G)`` the model's logits.
        threshold_logits: ``(G,)`` the bound thresholds on the logit scale.
        temperature: The calibration temperature (1: uncalibrated).

    Returns:
        The :class:`Decisions`.
    """
    logits = np.asarray(logits, dtype=np.float64)
    cuts = np.asarray(threshold_logits, dtype=np.float64)
    return Decisions(
        logits=logits,
        probabilities=calibrated_proba(logits, temperature),
        thresholds=calibrated_proba(cuts, temperature),
        assigned=logits >= cuts,
    )


RANKED_FIELDS = ("genre", "probability", "threshold", "assigned")
"""What a table shows of each ranked genre (``predictions.csv``: all four)."""


def ranked_columns(top_k: int, fields: Sequence[str] = RANKED_FIELDS) -> list[str]:
    """The columns of :func:`ranked_cells`: ``<field>_<n>`` per rank ``n``, then ``genres``."""
    return [*(f"{f}_{n}" for n in range(1, top_k + 1) for f in fields), "genres"]


def ranked_cells(
    decisions: Decisions, row: int, genres: Sequence[str], top_k: int,
    fields: Sequence[str] = RANKED_FIELDS,
) -> list[Any]:
    """One painting's top ``k`` genres, each as ``fields``, then its assigned genres.

    The top ``k`` by logit (ties in genre order): ``genre``, ``probability`` (calibrated,
    6 decimals), ``threshold`` (on the same scale, 6 decimals) and ``assigned``; then
    every assigned genre, most probable first and ``|``-joined (the ``genres`` column).

    Args:
        decisions: The decisions of a batch.
        row: The painting's row.
        genres: The genre names, in the model's order.
        top_k: How many ranked genres (at most the number of genres).
        fields: Which of :data:`RANKED_FIELDS` to write, in order.
    """
    value = {
        "genre": lambda g: genres[g],
        "probability": lambda g: round(float(decisions.probabilities[row, g]), 6),
        "threshold": lambda g: round(float(decisions.thresholds[g]), 6),
        "assigned": lambda g: bool(decisions.assigned[row, g]),
    }
    cells = [value[f](g) for g in decisions.ranked(row)[:top_k] for f in fields]
    return [*cells, "|".join(genres[g] for g in decisions.assigned_genres(row))]
