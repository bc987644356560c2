"""In-place first-order optimizers for lists of NumPy parameters.

An optimizer's :meth:`update` takes the parameter list (``MLP.params``) and an
aligned list of gradients and changes the parameters in place.  Scratch
buffers are allocated once, on the first update, so the per-batch cost is a
handful of NumPy calls.  The gradient arrays passed in are never modified.

Parameters with two or more dimensions are *weights*; one-dimensional ones are
*biases* (the layout of :class:`~art_genre.nn.network.MLP`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["SGD", "Adam", "Optimizer"]


def _check_positive(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.floating | np.integer
    ):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_beta(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.floating | np.integer
    ):
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


def _check_lists(params: Sequence[np.ndarray], grads: Sequence[np.ndarray]) -> None:
    if len(params) != len(grads):
        raise ValueError(
            f"grads must align with params: {len(grads)} gradients for {len(params)} parameters"
        )


class Optimizer:
    """Base class: ``update(params, grads)`` changes ``params`` in place."""

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Applies one step to ``params`` (in place)."""
        raise NotImplementedError


class SGD(Optimizer):
    """Plain mini-batch gradient descent, optionally clipping gradients by value.

    One step: ``p -= learning_rate * g`` where, if ``clip_value`` is set,
    ``g = clip(g, -clip_value, clip_value)`` for weight gradients (the study's
    BNN) and also for bias gradients when ``clip_biases=True``.

    Args:
        learning_rate: Step size (> 0).
        clip_value: Bound of the element-wise clipping (> 0) or ``None``.
        clip_biases: Clip bias gradients too (the study did not).

    Raises:
        ValueError: If ``learning_rate`` or ``clip_value`` is not positive.
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        clip_value: float | None = None,
        clip_biases: bool = False,
    ) -> None:
        self.learning_rate = _check_positive(learning_rate, "learning_rate")
        self.clip_value = (
            None if clip_value is None else _check_positive(clip_value, "clip_value")
        )
        self.clip_biases = bool(clip_biases)
        self._buffers: list[np.ndarray] | None = None

    def __repr__(self) -> str:
        return (
            f"SGD(learning_rate={self.learning_rate}, clip_value={self.clip_value}, "
            f"clip_biases={self.clip_biases})"
        )

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Applies ``p -= learning_rate * clip(g)`` to every parameter."""
        _check_lists(params, grads)
        if self._buffers is None or [b.shape for b in self._buffers] != [
            p.shape for p in params
        ]:
            self._buffers = [np.empty_like(p) for p in params]
        lr, c = self.learning_rate, self.clip_value
        for p, g, buf in zip(params, grads, self._buffers, strict=True):
            if c is not None and (p.ndim >= 2 or self.clip_biases):
                np.clip(g, -c, c, out=buf)
                np.multiply(buf, lr, out=buf)
            else:
                np.multiply(g, lr, out=buf)
            np.subtract(p, buf, out=p)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) in its textbook form.

    With step counter ``t`` (advanced exactly once per :meth:`update` call; the
    study advanced it twice per batch)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p -= learning_rate * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    Args:
        learning_rate: Step size (> 0).
        beta1: Decay of the first-moment estimate, in ``[0, 1)``.
        beta2: Decay of the second-moment estimate, in ``[0, 1)``.
        eps: Denominator guard (> 0).

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Attributes:
        t: Number of updates applied so far.
        m: First-moment estimates (aligned with params) once updating started.
        v: Second-moment estimates.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        self.learning_rate = _check_positive(learning_rate, "learning_rate")
        self.beta1 = _check_beta(beta1, "beta1")
        self.beta2 = _check_beta(beta2, "beta2")
        self.eps = _check_positive(eps, "eps")
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None
        self._buffers: list[np.ndarray] | None = None

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, "
            f"beta2={self.beta2}, eps={self.eps})"
        )

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Advances ``t`` by one and applies one Adam step to every parameter."""
        _check_lists(params, grads)
        if self.m is None or [m.shape for m in self.m] != [p.shape for p in params]:
            self.t = 0
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
            self._buffers = [np.empty_like(p) for p in params]
        assert self.v is not None and self._buffers is not None
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        step = self.learning_rate / (1.0 - b1**self.t)
        inv_bc2 = 1.0 / (1.0 - b2**self.t)
        for p, g, m, v, buf in zip(
            params, grads, self.m, self.v, self._buffers, strict=True
        ):
            np.multiply(m, b1, out=m)
            np.multiply(g, 1.0 - b1, out=buf)
            np.add(m, buf, out=m)
            np.multiply(v, b2, out=v)
            np.multiply(g, g, out=buf)
            np.multiply(buf, 1.0 - b2, out=buf)
            np.add(v, buf, out=v)
            np.multiply(v, inv_bc2, out=buf)
            np.sqrt(buf, out=buf)
            np.add(buf, self.eps, out=buf)
            np.divide(m, buf, out=buf)
            np.multiply(buf, step, out=buf)
            np.subtract(p, buf, out=p)
