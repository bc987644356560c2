"""In-place first-order optimizers for lists of NumPy parameters.

An optimizer's :meth:`update` takes the parameter list (``MLP.params``) and an
aligned list of gradients and changes the parameters in place.  Scratch
buffers (and Adam's moments) are allocated once, on the first update, so the
per-batch cost is a handful of NumPy calls.  The gradient arrays passed in are
never modified.

An optimizer serves one parameter list: the first update fixes the number and
shapes of the arrays, and a later update with other ones raises
``ValueError`` (rather than silently restarting Adam's moments and step
count).  Use a fresh optimizer for each network.

Parameters with two or more dimensions are *weights*; one-dimensional ones are
*biases* (the layout of :class:`~art_genre.nn.network.MLP`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np

__all__ = ["STEP_COUNTERS", "SGD", "Adam", "Optimizer", "StepCounter"]

StepCounter = Literal["single", "double"]
"""Adam step counting: ``"single"`` (textbook) or ``"double"`` (the study's bug)."""
STEP_COUNTERS: tuple[str, ...] = get_args(StepCounter)


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


def _check_same_shapes(
    state: Sequence[np.ndarray], params: Sequence[np.ndarray]
) -> None:
    """Raises if ``params`` differ in number or shapes from the optimizer's state."""
    expected = [s.shape for s in state]
    got = [p.shape for p in params]
    if got != expected:
        raise ValueError(
            f"params must keep the shapes of the first update: expected {expected}, "
            f"got {got}; use a fresh optimizer for another network"
        )


class Optimizer:
    """Base class: ``update(params, grads)`` changes ``params`` in place."""

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Applies one step to ``params`` (in place).

        An optimizer serves one parameter list; implementations with state
        raise ``ValueError`` when the shapes change after the first update.
        """
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
        """Applies ``p -= learning_rate * clip(g)`` to every parameter.

        Raises:
            ValueError: If ``grads`` does not align with ``params``, or
                ``params`` differ in number or shapes from the first update's.
        """
        _check_lists(params, grads)
        if self._buffers is None:
            self._buffers = [np.empty_like(p) for p in params]
        else:
            _check_same_shapes(self._buffers, params)
        lr, c = self.learning_rate, self.clip_value
        for p, g, buf in zip(params, grads, self._buffers, strict=True):
            if c is not None and (p.ndim >= 2 or self.clip_biases):
                np.clip(g, -c, c, out=buf)
                np.multiply(buf, lr, out=buf)
            else:
                np.multiply(g, lr, out=buf)
            np.subtract(p, buf, out=p)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), textbook by default, or with the study's counter bug.

    The optimizer counts its :meth:`update` calls in ``t`` (1, 2, ... for the
    batches).  Every parameter ``p`` with gradient ``g`` gets one moment update
    per call and a bias correction with its own step number ``s``::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p -= learning_rate * (m / (1 - beta1**s)) / (sqrt(v / (1 - beta2**s)) + eps)

    ``step_counter="single"`` (correct): ``s = t`` for every parameter.

    ``step_counter="double"`` (the study's Adam, reproduced): its ``backward``
    called ``adam_update`` twice per batch, first for the weight dict and then
    for the bias dict, and each call did ``self.t += 1`` on the one shared
    counter.  The moments were still updated once per batch (weights and
    biases have their own ``m``/``v``), but at batch ``t`` the weights were
    corrected with ``s = 2t - 1`` and the biases with ``s = 2t``::

        batch 1: weights s = 1, biases s = 2
        batch 2: weights s = 3, biases s = 4     ...

    So the bias corrections fade twice as fast as they should.  At batch 1 the
    weights still move by ``learning_rate * sign(g)`` but the biases by
    ``learning_rate * sqrt(1 + beta2) / (1 + beta1) * sign(g)`` (0.74 x with the
    defaults); for ``1/(1 - beta1) << t << 1/(1 - beta2)`` (about 10 to 1,000
    batches with the defaults) ``v``'s correction is about half the right one,
    so every step is about ``sqrt(2)`` times Adam's.  Weights are the
    parameters with two or more dimensions, biases the one-dimensional ones.

    Args:
        learning_rate: Step size (> 0).
        beta1: Decay of the first-moment estimate, in ``[0, 1)``.
        beta2: Decay of the second-moment estimate, in ``[0, 1)``.
        eps: Denominator guard (> 0).
        step_counter: ``"single"`` (textbook) or ``"double"`` (the study's bug).

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Attributes:
        t: Number of updates applied so far (one per call, in both modes).
        m: First-moment estimates (aligned with params) once updating started.
        v: Second-moment estimates.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        step_counter: str = "single",
    ) -> None:
        self.learning_rate = _check_positive(learning_rate, "learning_rate")
        self.beta1 = _check_beta(beta1, "beta1")
        self.beta2 = _check_beta(beta2, "beta2")
        self.eps = _check_positive(eps, "eps")
        if step_counter not in STEP_COUNTERS:
            raise ValueError(
                f"step_counter must be one of {STEP_COUNTERS}, got {step_counter!r}"
            )
        self.step_counter = step_counter
        self.t = 0
        self.m: list[np.ndarray] | None = None
        self.v: list[np.ndarray] | None = None
        self._buffers: list[np.ndarray] | None = None

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, "
            f"beta2={self.beta2}, eps={self.eps}, step_counter={self.step_counter!r})"
        )

    def _corrections(self, s: int) -> tuple[float, float]:
        """``(learning_rate / (1 - beta1**s), 1 / (1 - beta2**s))`` for step number ``s``."""
        return (
            self.learning_rate / (1.0 - self.beta1**s),
            1.0 / (1.0 - self.beta2**s),
        )

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Advances ``t`` by one and applies one Adam step to every parameter.

        Raises:
            ValueError: If ``grads`` does not align with ``params``, or
                ``params`` differ in number or shapes from the first update's
                (the moments belong to those parameters).
        """
        _check_lists(params, grads)
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
            self._buffers = [np.empty_like(p) for p in params]
        else:
            _check_same_shapes(self.m, params)
        assert self.v is not None and self._buffers is not None
        self.t += 1
        if self.step_counter == "single":
            weights = biases = self._corrections(self.t)
        else:  # the study: weights at 2t - 1, biases at 2t
            weights = self._corrections(2 * self.t - 1)
            biases = self._corrections(2 * self.t)
        b1, b2 = self.beta1, self.beta2
        for p, g, m, v, buf in zip(
            params, grads, self.m, self.v, self._buffers, strict=True
        ):
            step, inv_bc2 = weights if p.ndim >= 2 else biases
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
