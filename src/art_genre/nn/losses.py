"""Numerically stable sigmoid and binary cross-entropy computed from logits.

All losses use the study's scale: binary cross-entropy *summed over labels*
and *averaged over samples*.  Everything is computed from logits ``z`` with

    softplus(z) = max(z, 0) + log1p(exp(-|z|))
    BCE(y, z)   = softplus(z) - z * y            (= max(z,0) - z*y + log1p(exp(-|z|)))

which never evaluates ``exp`` of a positive number, so huge logits give a
finite loss and no overflow warning.  The formula is also defined for targets
outside ``[0, 1]`` (the study's "boosting" fits residuals), where it is still
the function whose gradient with respect to ``z`` is ``sigmoid(z) - y``.

With ``pos_weight`` (one weight per label, as in PyTorch's
``BCEWithLogitsLoss``) the positive term is weighted::

    BCE_w(y, z) = pos_weight * y * softplus(-z) + (1 - y) * softplus(z)
                = (1 + (pos_weight - 1) * y) * softplus(z) - pos_weight * y * z
    dBCE_w/dz   = (1 + (pos_weight - 1) * y) * sigmoid(z) - pos_weight * y
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "bce_from_proba",
    "bce_with_logits",
    "bce_with_logits_and_grad",
    "sigmoid",
]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, stable for any finite or infinite input.

    Args:
        z: Logits of any shape.

    Returns:
        ``1 / (1 + exp(-z))`` with the dtype of ``z`` (floating inputs).
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def _softplus_and_exp(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``softplus(z)`` and ``exp(-|z|)`` (reused for the sigmoid)."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    sp = np.log1p(e)
    sp += np.maximum(z, 0)
    return sp, e


def bce_with_logits(
    z: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None = None
) -> float:
    """Binary cross-entropy from logits, summed over labels, mean over samples.

    Args:
        z: Logits, shape ``(n_samples, n_labels)``.
        y: Targets of the same shape (usually 0/1; any real value is accepted).
        pos_weight: Optional weight of the positive term per label, shape
            ``(n_labels,)``.

    Returns:
        The loss as a Python float (``inf``/``nan`` only if ``z`` or ``y`` are).
    """
    z = np.asarray(z)
    y = np.asarray(y)
    n = z.shape[0] if z.ndim else 1
    sp, _ = _softplus_and_exp(z)
    if pos_weight is None:
        sp -= z * y
    else:
        pwy = pos_weight * y
        sp += (pwy - y) * sp - pwy * z
    return float(sp.sum(dtype=np.float64) / n)


def bce_with_logits_and_grad(
    z: np.ndarray, y: np.ndarray, pos_weight: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Loss of :func:`bce_with_logits` and its gradient with respect to ``z``.

    Args:
        z: Logits, shape ``(n_samples, n_labels)``.
        y: Targets of the same shape.
        pos_weight: Optional per-label weight of the positive term.

    Returns:
        ``(loss, dloss/dz)``; the gradient already includes the ``1/n_samples``
        factor, so it can be back-propagated directly.
    """
    n = z.shape[0]
    sp, e = _softplus_and_exp(z)
    # e becomes the sigmoid in place: where z >= 0: 1/(1+e) else e/(1+e).
    r = 1.0 + e
    np.divide(1.0, r, out=r)
    np.multiply(e, r, out=e)
    np.copyto(e, r, where=z >= 0)
    if pos_weight is None:
        sp -= z * y
        e -= y
    else:
        pwy = pos_weight * y
        c = pwy - y
        c += 1.0
        sp *= c
        sp -= pwy * z
        e *= c
        e -= pwy
    e *= 1.0 / n
    return float(sp.sum(dtype=np.float64) / n), e


def bce_from_proba(
    y: np.ndarray,
    proba: np.ndarray,
    pos_weight: np.ndarray | None = None,
    eps: float = 1e-7,
) -> float:
    """Binary cross-entropy from probabilities (clipped to ``[eps, 1 - eps]``).

    Used where only probabilities exist (e.g. the study's averaged ensemble).

    Args:
        y: Targets, shape ``(n_samples, n_labels)``.
        proba: Predicted probabilities, same shape.
        pos_weight: Optional per-label weight of the positive term.
        eps: Clipping bound for the probabilities.

    Returns:
        The loss (sum over labels, mean over samples) as a Python float.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(proba, dtype=np.float64), eps, 1.0 - eps)
    pos = y * np.log(p)
    if pos_weight is not None:
        pos *= pos_weight
    loss = -(pos + (1.0 - y) * np.log1p(-p))
    return float(loss.sum() / y.shape[0])
