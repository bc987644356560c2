"""Does a probability of 0.8 mean 80 %? Brier score, expected calibration error and
temperature scaling of multi-label logits (pure functions, no I/O).

Every (image, genre) probability is one forecast of a 0/1 outcome. The **Brier score**
is their mean squared error (scikit-learn's ``brier_score_loss`` on the flattened
arrays); the **expected calibration error** (ECE) sorts them into equal-width bins and
averages ``|observed frequency - mean probability|`` weighted by the bin's share.
**Temperature scaling** divides a model's logits by one number ``T > 0`` fitted on the
validation split (minimum binary cross-entropy): the order of the scores and the sign
of every logit stay, so rankings, any-match and every F1 are unchanged, only how sure
the probabilities sound.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit
from sklearn.metrics import brier_score_loss

logger = logging.getLogger(__name__)

LOG_T_BOUNDS = (-4.0, 4.0)
"""The fitted temperature lies in ``[e^-4, e^4]``."""


def brier_score(Y: np.ndarray, proba: np.ndarray) -> float:
    """Mean squared error of every (image, genre) probability against its 0/1 label."""
    return float(brier_score_loss(np.ravel(Y).astype(int), np.ravel(proba), pos_label=1))


def expected_calibration_error(Y: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> float:
    """ECE over ``n_bins`` equal-width probability bins of every (image, genre) pair."""
    y, p = np.ravel(Y).astype(np.float64), np.ravel(proba).astype(np.float64)
    if not y.size:
        raise ValueError("No forecasts to calibrate")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    gap = np.abs(np.bincount(bins, y, n_bins) - np.bincount(bins, p, n_bins))
    return float(gap.sum() / count.sum())


def reliability(Y: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> tuple[np.ndarray, ...]:
    """Per non-empty bin: mean probability, observed frequency and count (the diagram)."""
    y, p = np.ravel(Y).astype(np.float64), np.ravel(proba).astype(np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    used = count > 0
    mean_p = np.bincount(bins, p, n_bins)[used] / count[used]
    observed = np.bincount(bins, y, n_bins)[used] / count[used]
    return mean_p, observed, count[used]


def _cross_entropy(Y: np.ndarray, logits: np.ndarray) -> float:
    return float(-np.mean(Y * log_expit(logits) + (1 - Y) * log_expit(-logits)))


def fit_temperature(Y: np.ndarray, logits: np.ndarray) -> float:
    """The temperature ``T`` minimising the binary cross-entropy of ``logits / T``.

    Args:
        Y: 0/1 validation targets ``(n, G)``.
        logits: The model's validation logits, same shape (one seed, or seeds stacked).

    Returns:
        ``T``; 1.0 when there is no validation image to fit on, or when every validation
        logit already has its label's sign (perfectly separated: the cross-entropy
        then falls as ``T`` goes to 0, so the fit would only find the lower bound of
        :data:`LOG_T_BOUNDS` and make every probability 0 or 1; logged).
    """
    Y = np.asarray(Y, dtype=np.float64)
    logits = np.asarray(logits, dtype=np.float64)
    if not Y.size:
        return 1.0
    finite = np.isfinite(logits)
    Y, logits = Y[finite], logits[finite]
    if np.all(np.where(Y > 0.5, logits > 0, logits < 0)):
        logger.warning(
            "Calibration: all %d validation (image, genre) logits already have their "
            "label's sign, so no finite temperature fits them; the probabilities are "
            "left uncalibrated (T = 1). More validation images would allow a fit.",
            Y.size,
        )
        return 1.0
    result = minimize_scalar(
        lambda log_t: _cross_entropy(Y, logits / np.exp(log_t)),
        bounds=LOG_T_BOUNDS,
        method="bounded",
    )
    return float(np.exp(result.x))


def calibrated_proba(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities of temperature-scaled logits."""
    return expit(np.asarray(logits, dtype=np.float64) / temperature)
