"""Multi-label metrics of predicted genre probabilities (pure functions, no I/O).

Every score comes from scikit-learn except the study's any-match accuracy, which is the
project's own (:func:`art_genre.nn.any_match_accuracy`). A genre is predicted when its
probability is **at or above** its threshold (``proba >= threshold``), here and in the
``predict`` pipeline.

Layout of one split's metrics (see :func:`split_metrics`)::

    {
      "n_images": 32,
      "any_match_accuracy": 0.71,   # top-1 genre is one of the true genres
      "macro_roc_auc": 0.83,        # null when no genre has both classes in the split
      "roc_auc_genres": 11,         # genres that entered macro_roc_auc
      "threshold_0.5": {"subset_accuracy", "hamming_loss", "micro_f1", "macro_f1",
                        "weighted_f1", "samples_f1", "genres_present"},
      "tuned": {...the same, at the per-genre thresholds tuned on validation...}
    }

The first four do not depend on a threshold and are given once per split.
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
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)

from art_genre.nn import any_match_accuracy

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
"""The study's threshold."""
THRESHOLD_SETTINGS = ("threshold_0.5", "tuned")
"""Keys of the two threshold settings in ``metrics.json`` and ``per_genre_metrics.csv``."""
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

    Candidates are the distinct validation scores (scikit-learn's
    ``precision_recall_curve``). Among equally good ones the highest wins (fewest false
    positives); the threshold returned lies halfway between that score and the next
    lower validation score, so that test images just below a validation positive are
    not cut off by a hair. Only validation data is read.

    Args:
        y_val: 0/1 targets of one genre on the validation split.
        proba_val: The genre's predicted probabilities on the validation split.

    Returns:
        The threshold, or ``None`` when the genre has no positive validation image (no
        F1 to maximise).
    """
    y_val = (np.asarray(y_val) > 0.5).astype(np.int64)
    proba_val = np.asarray(proba_val, dtype=np.float64)
    if y_val.sum() == 0:
        return None
    precision, recall, thresholds = precision_recall_curve(y_val, proba_val)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(
            precision + recall > 0, 2 * precision * recall / (precision + recall), 0
        )
    best = int(np.flatnonzero(f1 == f1.max())[-1])
    score = float(thresholds[best])
    lower = proba_val[proba_val < score]
    return (score + float(lower.max())) / 2 if lower.size else score


def tune_thresholds(
    Y_val: Any,
    proba_val: Any,
    genres: Sequence[str],
    default: float = DEFAULT_THRESHOLD,
    decimals: int = DECIMALS,
) -> dict[str, float]:
    """Per-genre thresholds maximising each genre's F1 on the validation split.

    Args:
        Y_val: Validation targets, shape ``(n, len(genres))``.
        proba_val: Validation probabilities, same shape.
        genres: Column names, in order.
        default: Threshold of a genre without any positive validation image.
        decimals: Thresholds are rounded to this many decimals (and used rounded, so
            that the ``predict`` pipeline reproduces the reported scores).

    Returns:
        ``{genre: threshold}`` in column order.
    """
    Y_val, proba_val = _as_arrays(Y_val, proba_val)
    if Y_val.shape[1] != len(genres):
        raise ValueError(f"{len(genres)} genres named for {Y_val.shape[1]} columns")
    thresholds: dict[str, float] = {}
    for j, genre in enumerate(genres):
        tuned = tune_threshold(Y_val[:, j], proba_val[:, j]) if len(Y_val) else None
        if tuned is None:
            logger.info(
                "No validation image of %r: its threshold stays %s.", genre, default
            )
            tuned = default
        thresholds[genre] = round(float(tuned), decimals)
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


def thresholded_metrics(Y: Any, predicted: Any) -> dict[str, float]:
    """Scores of 0/1 multi-label predictions.

    ``macro_f1`` averages the genres present in ``Y`` (``genres_present`` of them): a
    genre without a true image in the split has no F1 and would count as 0 (under an
    artist split whole genres are absent). ``micro_f1``, ``samples_f1`` and the rest use
    every column, so false alarms on an absent genre still cost.

    Args:
        Y: 0/1 targets, shape ``(n, G)``.
        predicted: 0/1 predictions, same shape.

    Returns:
        ``subset_accuracy``, ``hamming_loss``, ``micro_f1``, ``macro_f1``,
        ``weighted_f1``, ``samples_f1``, ``genres_present``.
    """
    Y, predicted = _as_arrays(Y, predicted)
    present = np.flatnonzero(Y.sum(axis=0) > 0)
    scores = {
        "subset_accuracy": accuracy_score(Y, predicted),
        "hamming_loss": hamming_loss(Y, predicted),
        "micro_f1": f1_score(Y, predicted, average="micro", zero_division=0),
        "macro_f1": (
            f1_score(Y, predicted, labels=present, average="macro", zero_division=0)
            if present.size
            else 0.0
        ),
        "weighted_f1": f1_score(Y, predicted, average="weighted", zero_division=0),
        "samples_f1": f1_score(Y, predicted, average="samples", zero_division=0),
    }
    return {k: float(v) for k, v in scores.items()} | {
        "genres_present": int(present.size)
    }


def split_metrics(
    Y: Any, proba: Any, thresholds: Mapping[str, Sequence[float] | float]
) -> dict[str, Any]:
    """Every metric of one split, once per threshold setting (layout: module doc).

    Args:
        Y: 0/1 targets, shape ``(n, G)``.
        proba: Probabilities, same shape.
        thresholds: ``{setting: threshold or per-genre thresholds}``, e.g.
            ``{"threshold_0.5": 0.5, "tuned": [...]}``.

    Returns:
        The split's metrics, rounded to :data:`DECIMALS`.
    """
    Y, proba = _as_arrays(Y, proba)
    if len(Y) == 0:
        return {"n_images": 0}
    auc, auc_genres = macro_roc_auc(Y, proba)
    record: dict[str, Any] = {
        "n_images": len(Y),
        "any_match_accuracy": any_match_accuracy(Y, proba),
        "macro_roc_auc": auc,
        "roc_auc_genres": auc_genres,
    }
    for setting, threshold in thresholds.items():
        record[setting] = thresholded_metrics(Y, binarize(proba, threshold))
    return rounded(record)


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


def evaluate_model(
    predictions: Mapping[str, Any], thresholds: Mapping[str, float] | None = None
) -> tuple[dict[str, Any], dict[str, float], pd.DataFrame]:
    """Metrics of one model's validation and test predictions.

    Args:
        predictions: A model's ``<m>.predictions``: ``genres`` and, per split,
            ``proba`` and ``Y``.
        thresholds: Per-genre thresholds to use as ``tuned``; ``None`` tunes them on the
            validation split (never on test).

    Returns:
        ``{split: metrics}``, the tuned ``{genre: threshold}`` and the per-genre table
        (columns ``split``, ``thresholds`` (setting), then :func:`per_genre_table`'s).
    """
    genres = list(predictions["genres"])
    if thresholds is None:
        val = predictions["val"]
        thresholds = tune_thresholds(val["Y"], val["proba"], genres)
    settings = {
        "threshold_0.5": [DEFAULT_THRESHOLD] * len(genres),
        "tuned": [float(thresholds[g]) for g in genres],
    }
    metrics: dict[str, Any] = {}
    tables = []
    for split in SPLITS:
        Y, proba = _as_arrays(predictions[split]["Y"], predictions[split]["proba"])
        metrics[split] = split_metrics(Y, proba, settings)
        if len(Y) == 0:
            continue
        for setting, cut in settings.items():
            table = per_genre_table(Y, binarize(proba, cut), genres, cut)
            table.insert(0, "thresholds", setting)
            table.insert(0, "split", split)
            tables.append(table)
    columns = [
        "split",
        "thresholds",
        "genre",
        "threshold",
        "precision",
        "recall",
        "f1",
        "support",
    ]
    table = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=columns)
    )
    return metrics, dict(thresholds), table
