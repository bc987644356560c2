"""Multi-label metrics of predicted genre scores (pure functions, no I/O).

Every score comes from scikit-learn except the study's any-match accuracy, which is the
project's own (:func:`art_genre.nn.any_match_accuracy`). Scores are float64 **logits**:
rankings (ROC AUC), argmax (any-match) and thresholds are taken on them, so probabilities
that round to 1.0 never tie. A genre is predicted when its logit is **at or above** its
threshold (``logit >= threshold``; 0.5 in probability is 0 in logit), here and in the
``predict`` pipeline. How the metrics are laid out in the results table:
:mod:`.results`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    hamming_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

logger = logging.getLogger(__name__)

DEFAULT_LOGIT = 0.0
"""The study's threshold as a logit (``logit(0.5)``)."""
SPLITS = ("val", "test")
DECIMALS = 6
"""Every float written to the metrics files is rounded to this many decimals."""


def rounded(value: Any, decimals: int = DECIMALS) -> Any:
    """A JSON-ready copy of ``value``: floats rounded, NumPy scalars made Python's.

    Args:
        value: A number, ``None``, or a (nested) dict / list / tuple of them.
        decimals: Decimals kept.

    Returns:
        The same structure; NaN and infinities become ``None``.
    """
    if isinstance(value, Mapping):
        return {str(k): rounded(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, decimals) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return round(value, decimals) if np.isfinite(value) else None
    return value


def _as_arrays(Y: Any, proba: Any) -> tuple[np.ndarray, np.ndarray]:
    Y = (np.asarray(Y) > 0.5).astype(np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    if Y.ndim != 2 or Y.shape != proba.shape:
        raise ValueError(
            f"Targets and probabilities must be 2-D of one shape, got {Y.shape} and "
            f"{proba.shape}"
        )
    return Y, proba


def tune_threshold(y_val: np.ndarray, proba_val: np.ndarray) -> float | None:
    """The threshold that maximises one genre's F1 on the validation split.

    Works on any monotone score (the project passes logits). Candidates are the distinct
    validation scores; at each, F1 is ``2 TP / (TP + FP + P)`` from integer counts, and
    two candidates tie when their fractions are equal as integers
    (``n₁ d₂ == n₂ d₁``), so no float rounding picks the cut. Among equally good ones
    the highest wins (fewest false positives); the threshold returned lies halfway
    between that score and the next lower validation score, so that test images just
    below a validation positive are not cut off by a hair. Only validation data is read.

    Args:
        y_val: 0/1 targets of one genre on the validation split.
        proba_val: The genre's predicted scores on the validation split.

    Returns:
        The threshold, or ``None`` when the genre has no positive validation image (no
        F1 to maximise).
    """
    y_val = (np.asarray(y_val) > 0.5).astype(np.int64)
    proba_val = np.asarray(proba_val, dtype=np.float64)
    positives = int(y_val.sum())
    if positives == 0:
        return None
    order = np.argsort(-proba_val, kind="stable")
    scores, hits = proba_val[order], y_val[order]
    last = np.r_[np.flatnonzero(np.diff(scores) != 0), scores.size - 1]  # each cut
    tp = np.cumsum(hits)[last]
    numerator, denominator = 2 * tp, last + 1 + positives  # TP + FP = predicted
    best_float = int(np.argmax(numerator / denominator))
    ties = numerator * denominator[best_float] == numerator[best_float] * denominator
    best = int(np.flatnonzero(ties)[0])  # the highest score among equal F1s
    score = float(scores[last[best]])
    lower = proba_val[proba_val < score]
    return (score + float(lower.max())) / 2 if lower.size else score


def tune_thresholds(
    Y_val: Any,
    scores_val: Any,
    genres: Sequence[str],
    default: float = DEFAULT_LOGIT,
) -> dict[str, float]:
    """Per-genre thresholds maximising each genre's F1 on the validation split.

    The thresholds are kept at full precision (JSON writes a float's shortest exact
    form), so a tuned cut lies strictly between two validation scores and never moves
    across one when written and read back.

    Args:
        Y_val: Validation targets, shape ``(n, len(genres))``.
        scores_val: Validation logits, same shape.
        genres: Column names, in order.
        default: Threshold of a genre without any positive validation image (logit 0:
            probability 0.5).

    Returns:
        ``{genre: threshold}`` in column order, on the scale of ``scores_val``.
    """
    Y_val, scores_val = _as_arrays(Y_val, scores_val)
    if Y_val.shape[1] != len(genres):
        raise ValueError(f"{len(genres)} genres named for {Y_val.shape[1]} columns")
    thresholds: dict[str, float] = {}
    for j, genre in enumerate(genres):
        tuned = tune_threshold(Y_val[:, j], scores_val[:, j]) if len(Y_val) else None
        if tuned is None:
            logger.info(
                "No validation image of %r: its threshold stays %s.", genre, default
            )
            tuned = default
        thresholds[genre] = float(tuned)
    return thresholds


def binarize(proba: Any, thresholds: float | Sequence[float]) -> np.ndarray:
    """0/1 predictions: ``proba >= threshold``, per column when given a sequence."""
    return (np.asarray(proba, dtype=np.float64) >= np.asarray(thresholds)).astype(
        np.int64
    )


def macro_roc_auc(Y: Any, proba: Any) -> tuple[float | None, int]:
    """Macro ROC AUC over the genres with both classes present.

    Args:
        Y: 0/1 targets, shape ``(n, G)``.
        proba: Probabilities, same shape.

    Returns:
        The AUC (``None`` when no genre has both a positive and a negative image) and
        the number of genres it averages.
    """
    Y, proba = _as_arrays(Y, proba)
    positives = Y.sum(axis=0)
    usable = (positives > 0) & (positives < Y.shape[0])
    if not usable.any():
        return None, 0
    return float(roc_auc_score(Y[:, usable], proba[:, usable], average="macro")), int(
        usable.sum()
    )


def thresholded_metrics(
    Y: Any, predicted: Any, trained: Sequence[bool] | None = None
) -> dict[str, float]:
    """Scores of 0/1 multi-label predictions.

    Three macro-F1s: ``macro_f1`` averages the genres present in ``Y``
    (``genres_present`` of them: a genre without a true image in the split has no F1);
    ``macro_f1_vocabulary`` averages every column, absent genres counting 0 (the
    study's ``classification_report`` averaged all 24 genres that way);
    ``macro_f1_trained`` averages the genres present that also had training images (it
    differs from ``macro_f1`` under an artist split). ``micro_f1``, ``samples_f1`` and
    the rest use every column, so false alarms on an absent genre still cost.

    Args:
        Y: 0/1 targets, shape ``(n, G)``.
        predicted: 0/1 predictions, same shape.
        trained: Per column, whether the genre had training images (``None``: all).

    Returns:
        ``subset_accuracy``, ``hamming_loss``, ``micro_f1``, ``macro_f1``,
        ``macro_f1_vocabulary``, ``macro_f1_trained``, ``weighted_f1``, ``samples_f1``,
        ``genres_present``.
    """
    Y, predicted = _as_arrays(Y, predicted)
    has_images = Y.sum(axis=0) > 0
    present = np.flatnonzero(has_images)
    trained_mask = np.ones(Y.shape[1], bool) if trained is None else np.asarray(trained, bool)
    present_trained = np.flatnonzero(has_images & trained_mask)

    # One per-genre pass; the macro and weighted averages over any set of genres are
    # means of it (what f1_score(labels=..., average="macro"/"weighted") computes).
    _, _, f1, support = precision_recall_fscore_support(
        Y, predicted, average=None, zero_division=0
    )

    def macro(labels: np.ndarray) -> float:
        return float(f1[labels].mean()) if labels.size else 0.0

    scores = {
        "subset_accuracy": accuracy_score(Y, predicted),
        "hamming_loss": hamming_loss(Y, predicted),
        "micro_f1": f1_score(Y, predicted, average="micro", zero_division=0),
        "macro_f1": macro(present),
        "macro_f1_vocabulary": macro(np.arange(Y.shape[1])),
        "macro_f1_trained": macro(present_trained),
        "weighted_f1": float(f1 @ support / support.sum()) if support.sum() else 0.0,
        "samples_f1": f1_score(Y, predicted, average="samples", zero_division=0),
    }
    return {k: float(v) for k, v in scores.items()} | {
        "genres_present": int(present.size)
    }


def per_genre_table(
    Y: Any, predicted: Any, genres: Sequence[str], thresholds: Sequence[float]
) -> pd.DataFrame:
    """Per-genre precision, recall, F1 and support of 0/1 predictions.

    Args:
        Y: 0/1 targets, shape ``(n, G)``.
        predicted: 0/1 predictions, same shape.
        genres: Column names.
        thresholds: The threshold each column was cut at.

    Returns:
        One row per genre: ``genre``, ``threshold``, ``precision``, ``recall``, ``f1``,
        ``support`` (true images; 0 where the genre is absent, scores then 0).
    """
    Y, predicted = _as_arrays(Y, predicted)
    precision, recall, f1, support = precision_recall_fscore_support(
        Y, predicted, average=None, zero_division=0
    )
    return pd.DataFrame(
        {
            "genre": list(genres),
            "threshold": np.round(np.asarray(thresholds, dtype=np.float64), DECIMALS),
            "precision": np.round(precision, DECIMALS),
            "recall": np.round(recall, DECIMALS),
            "f1": np.round(f1, DECIMALS),
            "support": support.astype(int),
        }
    )
