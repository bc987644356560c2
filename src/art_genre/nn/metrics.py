"""The study's "accuracy" for multi-label predictions."""

from __future__ import annotations

import numpy as np

__all__ = ["any_match_accuracy", "any_match_count"]


def any_match_count(Y_true: np.ndarray, scores: np.ndarray) -> int:
    """Number of rows whose top-scoring label is one of their true labels.

    Args:
        Y_true: Targets, shape ``(n_samples, n_labels)``; a label is true when
            its target is above 0.5.
        scores: Probabilities or logits of the same shape (only the argmax of
            each row matters, so either works).

    Returns:
        The count of matching rows (rows without a true label never match).
    """
    top = np.argmax(scores, axis=1)
    return int(np.count_nonzero(Y_true[np.arange(Y_true.shape[0]), top] > 0.5))


def any_match_accuracy(Y_true: np.ndarray, proba: np.ndarray) -> float:
    """Share of rows whose argmax genre is one of the true genres.

    This is the study's "accuracy" for its multi-label painting genres.

    Args:
        Y_true: Binary targets, shape ``(n_samples, n_labels)``.
        proba: Predicted probabilities (or logits), same shape.

    Returns:
        A value in ``[0, 1]``.

    Raises:
        ValueError: If the shapes differ or there are no rows.
    """
    Y_true = np.asarray(Y_true)
    proba = np.asarray(proba)
    if Y_true.ndim != 2 or Y_true.shape != proba.shape:
        raise ValueError(
            f"Y_true and proba must be 2-D of the same shape, got {Y_true.shape} and {proba.shape}"
        )
    if Y_true.shape[0] == 0:
        raise ValueError("Y_true must have at least one row")
    return any_match_count(Y_true, proba) / Y_true.shape[0]
