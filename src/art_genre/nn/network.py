"""A fully connected multi-label network written with NumPy only.

Architecture: ``n_inputs -> hidden_sizes[0] -> ... -> n_outputs`` with ReLU
hidden layers and one independent sigmoid per output (multi-label).  The loss
is binary cross-entropy summed over labels and averaged over samples (see
:mod:`art_genre.nn.losses`).

The parameters live in one flat list ``params = [W1, b1, W2, b2, ...]`` with
``W_k`` of shape ``(fan_in, fan_out)`` and ``b_k`` of shape ``(fan_out,)``;
optimizers update that list in place.  The object holds nothing but plain
Python values and NumPy arrays, so it pickles as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np

from art_genre.nn.losses import bce_with_logits, bce_with_logits_and_grad, sigmoid

__all__ = ["INITS", "MLP"]

Init = Literal["small", "he"]
"""Weight initialisations: ``"small"`` = N(0, 1) * 0.01 (the study's SNN/BNN),
``"he"`` = N(0, 1) * sqrt(2 / fan_in) (the study's Adam network)."""
INITS: tuple[str, ...] = get_args(Init)
_DTYPES = {"float32": np.float32, "float64": np.float64}


def _check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class MLP:
    """Multi-label perceptron: ReLU hidden layers, sigmoid outputs.

    Args:
        n_inputs: Number of input features.
        hidden_sizes: Widths of the hidden layers (may be empty).
        n_outputs: Number of labels.
        init: ``"small"`` (weights ``randn * 0.01``) or ``"he"`` (weights
            ``randn * sqrt(2 / fan_in)``); biases start at zero either way.
        dtype: ``"float32"`` (fast, default) or ``"float64"`` (for gradient
            checks).
        rng: Generator used to draw the initial weights (layer by layer).

    Raises:
        ValueError: If a size is not a positive integer or ``init``/``dtype``
            is unknown.
        TypeError: If ``rng`` is not a ``numpy.random.Generator``.

    Attributes:
        params: ``[W1, b1, W2, b2, ...]``, updated in place by optimizers.
    """

    def __init__(
        self,
        n_inputs: int,
        hidden_sizes: Sequence[int],
        n_outputs: int,
        *,
        init: str = "small",
        dtype: str = "float32",
        rng: np.random.Generator,
    ) -> None:
        self.n_inputs = _check_positive_int(n_inputs, "n_inputs")
        if isinstance(hidden_sizes, int | np.integer):
            raise ValueError(
                f"hidden_sizes must be a sequence of positive integers, got {hidden_sizes!r}"
            )
        self.hidden_sizes = tuple(
            _check_positive_int(h, "hidden_sizes") for h in hidden_sizes
        )
        self.n_outputs = _check_positive_int(n_outputs, "n_outputs")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if str(dtype) not in _DTYPES:
            raise ValueError(f"dtype must be one of {tuple(_DTYPES)}, got {dtype!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng)!r}")
        self.init = init
        self.dtype = np.dtype(_DTYPES[str(dtype)])

        sizes = (self.n_inputs, *self.hidden_sizes, self.n_outputs)
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
            scale = 0.01 if init == "small" else np.sqrt(2.0 / fan_in)
            w = rng.standard_normal((fan_in, fan_out)) * scale
            self.params.append(w.astype(self.dtype))
            self.params.append(np.zeros(fan_out, dtype=self.dtype))

    # ------------------------------------------------------------------ state
    def __repr__(self) -> str:
        return (
            f"MLP(n_inputs={self.n_inputs}, hidden_sizes={list(self.hidden_sizes)}, "
            f"n_outputs={self.n_outputs}, init={self.init!r}, dtype={self.dtype.name!r})"
        )

    @property
    def n_params(self) -> int:
        """Total number of trainable scalars."""
        return int(sum(p.size for p in self.params))

    def get_state(self) -> dict[str, Any]:
        """Returns a plain dict (sizes, init, dtype name, parameter copies)."""
        return {
            "n_inputs": self.n_inputs,
            "hidden_sizes": list(self.hidden_sizes),
            "n_outputs": self.n_outputs,
            "init": self.init,
            "dtype": self.dtype.name,
            "params": [p.copy() for p in self.params],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> MLP:
        """Rebuilds a network from :meth:`get_state`'s dict.

        Raises:
            ValueError: If the parameter shapes do not match the sizes.
        """
        model = cls(
            state["n_inputs"],
            state["hidden_sizes"],
            state["n_outputs"],
            init=state["init"],
            dtype=state["dtype"],
            rng=np.random.default_rng(0),
        )
        params = [np.array(p, dtype=model.dtype) for p in state["params"]]
        if [p.shape for p in params] != [p.shape for p in model.params]:
            raise ValueError("state['params'] shapes do not match the layer sizes")
        model.params = params
        return model

    # ---------------------------------------------------------------- helpers
    def _as_input(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_inputs}), got {X.shape}"
            )
        return X

    def _as_target(self, Y: np.ndarray, n: int, name: str = "Y") -> np.ndarray:
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.shape != (n, self.n_outputs):
            raise ValueError(
                f"{name} must have shape {(n, self.n_outputs)}, got {Y.shape}"
            )
        return Y

    def _forward(
        self, X: np.ndarray, offset: np.ndarray | None
    ) -> tuple[list[np.ndarray], np.ndarray]:
        """Returns the layer inputs ``[X, A1, A2, ...]`` and the output logits."""
        params = self.params
        acts = [X]
        a = X
        for i in range(0, len(params) - 2, 2):
            z = a @ params[i]
            z += params[i + 1]
            np.maximum(z, 0, out=z)
            acts.append(z)
            a = z
        z = a @ params[-2]
        z += params[-1]
        if offset is not None:
            z += offset
        return acts, z

    def _check_offset(self, offset: np.ndarray | None, n: int) -> np.ndarray | None:
        if offset is None:
            return None
        return self._as_target(offset, n, name="offset")

    # ----------------------------------------------------------------- public
    def as_pos_weight(self, pos_weight: np.ndarray | None) -> np.ndarray | None:
        """Checks a per-label positive weight and casts it to the model's dtype.

        Args:
            pos_weight: One weight per output, or ``None``.

        Returns:
            ``None``, or the weights as an array of shape ``(n_outputs,)``.

        Raises:
            ValueError: If the shape is wrong or a weight is not positive and finite.
        """
        if pos_weight is None:
            return None
        pw = np.asarray(pos_weight, dtype=self.dtype)
        if (
            pw.shape != (self.n_outputs,)
            or not np.all(np.isfinite(pw))
            or np.any(pw <= 0)
        ):
            raise ValueError(
                f"pos_weight must be {self.n_outputs} positive finite values, got shape {pw.shape}"
            )
        return pw

    def loss_and_grads_into(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        offset: np.ndarray | None,
        pos_weight: np.ndarray | None,
        grads: list[np.ndarray],
    ) -> tuple[float, np.ndarray]:
        """Back-propagation into preallocated ``grads``: the training loop's fast path.

        Unlike :meth:`loss_and_grads` it checks nothing and allocates no gradient
        arrays, so the caller passes arrays it has checked once: ``X`` of shape
        ``(n, n_inputs)`` and ``Y`` (and ``offset``, if any) of shape
        ``(n, n_outputs)``, all in the model's dtype, ``pos_weight`` from
        :meth:`as_pos_weight`, and ``grads`` shaped like :attr:`params`.

        Returns:
            ``(loss, logits)`` for the batch; ``grads`` holds the gradient.
        """
        params = self.params
        acts, z = self._forward(X, offset)
        loss, dz = bce_with_logits_and_grad(z, Y, pos_weight)
        for k in range(len(acts) - 1, -1, -1):
            np.matmul(acts[k].T, dz, out=grads[2 * k])
            np.sum(dz, axis=0, out=grads[2 * k + 1])
            if k:
                da = dz @ params[2 * k].T
                da *= acts[k] > 0
                dz = da
        return loss, z

    def logits(self, X: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Output logits (before the sigmoid).

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.
            offset: Optional fixed logits, shape ``(n_samples, n_outputs)``,
                added to the network output (boosting's current ensemble).

        Returns:
            Logits, shape ``(n_samples, n_outputs)``, in the model's dtype.
        """
        X = self._as_input(X)
        return self._forward(X, self._check_offset(offset, X.shape[0]))[1]

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Output logits as ``float64``, for probabilities that do not saturate.

        The forward pass runs in the model's dtype; only the logits are cast, so
        ``scipy.special.expit`` of them stays below 1 up to a logit of about
        36 (in ``float32`` the sigmoid rounds to 1.0 from a logit of about 17).

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.

        Returns:
            ``float64`` logits, shape ``(n_samples, n_outputs)``.
        """
        return self.logits(X).astype(np.float64)

    def predict_proba(
        self, X: np.ndarray, offset: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-label probabilities ``sigmoid(logits(X, offset))`` in the model's dtype.

        Training uses it (the study's residuals); for reported probabilities use
        ``expit(decision_function(X))``, which is computed in ``float64``.
        """
        return sigmoid(self.logits(X, offset))

    def loss(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        offset: np.ndarray | None = None,
        pos_weight: np.ndarray | None = None,
    ) -> float:
        """BCE summed over labels, averaged over samples.

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.
            Y: Targets, shape ``(n_samples, n_outputs)``; any real values.
            offset: Optional fixed logits added to the output.
            pos_weight: Optional per-label weight of the positive term.
        """
        X = self._as_input(X)
        Y = self._as_target(Y, X.shape[0])
        z = self._forward(X, self._check_offset(offset, X.shape[0]))[1]
        return bce_with_logits(z, Y, self.as_pos_weight(pos_weight))

    def loss_and_grads(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        offset: np.ndarray | None = None,
        pos_weight: np.ndarray | None = None,
    ) -> tuple[float, list[np.ndarray]]:
        """Loss and its gradient with respect to every parameter.

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.
            Y: Targets, shape ``(n_samples, n_outputs)``.
            offset: Optional fixed logits added to the output (not trained).
            pos_weight: Optional per-label weight of the positive term.

        Returns:
            ``(loss, grads)`` with ``grads`` aligned with :attr:`params`.
        """
        X = self._as_input(X)
        Y = self._as_target(Y, X.shape[0])
        grads = [np.empty_like(p) for p in self.params]
        loss, _ = self.loss_and_grads_into(
            X,
            Y,
            self._check_offset(offset, X.shape[0]),
            self.as_pos_weight(pos_weight),
            grads,
        )
        return loss, grads

    def input_gradient(self, X: np.ndarray, output_index: int | np.ndarray) -> np.ndarray:
        """Gradient of one output logit with respect to the inputs, per sample.

        Exact back-propagation through the ReLU layers (at a ReLU's kink, ``z = 0``, the
        derivative is taken as 0, as in training), computed in ``float64`` whatever the
        model's dtype. Used to explain predictions (class activation maps).

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.
            output_index: The logit to differentiate: one index for every sample, or one
                index per sample (shape ``(n_samples,)``).

        Returns:
            ``float64`` array of shape ``(n_samples, n_inputs)``: row ``i`` is
            ``d logits(X)[i, output_index[i]] / d X[i]``.

        Raises:
            ValueError: If ``X`` has the wrong shape or an index is out of range.
        """
        X = np.asarray(self._as_input(X), dtype=np.float64)
        n = X.shape[0]
        index = np.broadcast_to(np.asarray(output_index), (n,))
        if index.size and (
            not np.issubdtype(index.dtype, np.integer)
            or index.min() < 0
            or index.max() >= self.n_outputs
        ):
            raise ValueError(
                f"output_index must be integers in [0, {self.n_outputs}), got {output_index!r}"
            )
        params = [np.asarray(p, dtype=np.float64) for p in self.params]
        masks = []
        a = X
        for i in range(0, len(params) - 2, 2):
            z = a @ params[i] + params[i + 1]
            masks.append(z > 0)
            a = np.maximum(z, 0)
        grad = params[-2].T[index]  # d logit / d (last hidden activation), (n, fan_in)
        for k in range(len(masks) - 1, -1, -1):
            grad = (grad * masks[k]) @ params[2 * k].T
        return grad
