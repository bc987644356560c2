"""The one mini-batch training loop shared by every network of the project.

:func:`fit` trains an :class:`~art_genre.nn.network.MLP` with any optimizer
from :mod:`art_genre.nn.optimizers`: each epoch reshuffles the rows with the
given ``numpy.random.Generator`` (or, with ``balanced_batches=True``, draws
``n`` rows with replacement favouring rare genres), walks over them in
mini-batches (the last one may be smaller) and applies one optimizer update
per batch.  Optional validation data give a per-epoch validation loss, which
drives early stopping with restoration of the best weights.

A non-finite loss (or non-finite weights after an epoch) raises
:class:`NonFiniteLossError` naming the model, epoch and batch, so a diverged
network is never returned silently.

:func:`fit` is a few steps over the network's public API (``as_pos_weight``,
``loss_and_grads_into``, ``logits``): ``_checked_rows`` checks the arguments,
``_fit_epochs`` runs the epochs, each one ``_run_epoch`` (the mini-batch
updates) then ``_validate``, and ``_EarlyStopping`` keeps the best validation
loss, its epoch and weights, and the patience count.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from art_genre.nn.losses import bce_with_logits
from art_genre.nn.metrics import any_match_count
from art_genre.nn.network import MLP
from art_genre.nn.optimizers import Optimizer

__all__ = [
    "History",
    "NonFiniteLossError",
    "balanced_sampling_probabilities",
    "fit",
    "inverse_frequency_pos_weight",
]

logger = logging.getLogger(__name__)


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss (or weights).

    Attributes:
        name: The model's name.
        epoch: 1-based epoch in which it happened.
        batch: 1-based batch within the epoch, or ``None`` if it was detected
            after the epoch (validation loss or weights).
    """

    def __init__(self, name: str, epoch: int, batch: int | None, detail: str) -> None:
        where = f"epoch {epoch}" + ("" if batch is None else f", batch {batch}")
        super().__init__(
            f"model {name!r}: {detail} at {where}; the training diverged "
            "(try a smaller learning rate or gradient clipping)"
        )
        self.name = name
        self.epoch = epoch
        self.batch = batch
        self.detail = detail

    def __reduce__(self) -> tuple[type, tuple[str, int, int | None, str]]:
        # raised in a worker process (seeds trained side by side): rebuilt from the same
        # arguments on the other side
        return type(self), (self.name, self.epoch, self.batch, self.detail)


@dataclass
class History:
    """What :func:`fit` records, one entry per completed epoch.

    Attributes:
        name: The model's name.
        train_loss: Mean of the mini-batch losses seen during each epoch
            (weights change within the epoch, as Keras and scikit-learn report).
        val_loss: Validation loss after each epoch (empty without validation).
        train_any_match: Any-match accuracy of the mini-batch predictions made
            during each epoch (same convention as ``train_loss``).
        val_any_match: Any-match accuracy on the validation data after each
            epoch (empty without validation).
        epoch_seconds: Wall time of each epoch (training and validation).
        best_epoch: 1-based epoch with the lowest validation loss, or the last
            epoch without validation data.  With early stopping the returned
            weights are those of this epoch.
        stopped_early: Whether early stopping ended training before ``epochs``.
        seconds: Total wall time of :func:`fit`.
    """

    name: str = "model"
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_any_match: list[float] = field(default_factory=list)
    val_any_match: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def epochs_run(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)


def inverse_frequency_pos_weight(
    Y: np.ndarray, min_weight: float = 0.01, max_weight: float = 100.0
) -> np.ndarray:
    """Per-genre ``pos_weight = n_negative / n_positive``, clipped.

    Args:
        Y: Binary targets, shape ``(n_samples, n_genres)`` (true when > 0.5).
        min_weight: Lower clip bound (> 0).
        max_weight: Upper clip bound (>= ``min_weight``).

    Returns:
        ``float64`` array of shape ``(n_genres,)``; genres without any positive
        get ``1.0``.

    Raises:
        ValueError: If ``Y`` is not 2-D or the bounds are invalid.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_samples, n_genres), got shape {Y.shape}")
    if not 0 < min_weight <= max_weight:
        raise ValueError(
            f"min_weight and max_weight must satisfy 0 < min_weight <= max_weight, "
            f"got {min_weight} and {max_weight}"
        )
    n_pos = np.count_nonzero(Y > 0.5, axis=0).astype(np.float64)
    n_neg = Y.shape[0] - n_pos
    weight = np.ones(Y.shape[1])
    has_pos = n_pos > 0
    weight[has_pos] = np.clip(n_neg[has_pos] / n_pos[has_pos], min_weight, max_weight)
    return weight


def balanced_sampling_probabilities(Y: np.ndarray) -> np.ndarray:
    """Row sampling probabilities inversely proportional to genre frequency.

    A row's weight is the mean over its positive genres of ``1 / count(genre)``;
    rows without a positive genre get the mean weight of the other rows (or 1
    if no row has a positive genre).  Weights are normalised to sum to 1.

    Args:
        Y: Binary targets, shape ``(n_samples, n_genres)`` (true when > 0.5).

    Returns:
        ``float64`` probabilities of shape ``(n_samples,)``.
    """
    pos = np.asarray(Y) > 0.5
    counts = pos.sum(axis=0)
    inv = np.divide(1.0, counts, out=np.zeros(counts.shape), where=counts > 0)
    n_pos = pos.sum(axis=1)
    weight = np.divide(pos @ inv, n_pos, out=np.zeros(pos.shape[0]), where=n_pos > 0)
    has_pos = n_pos > 0
    fill = weight[has_pos].mean() if has_pos.any() else 1.0
    weight[~has_pos] = fill
    return weight / weight.sum()


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def _check_pair(
    model: MLP, X: np.ndarray | None, Y: np.ndarray | None, x_name: str, y_name: str
) -> tuple[np.ndarray, np.ndarray]:
    if X is None or Y is None:
        raise ValueError(f"{x_name} and {y_name} must be given together")
    X = np.ascontiguousarray(X, dtype=model.dtype)
    Y = np.ascontiguousarray(Y, dtype=model.dtype)
    if X.ndim != 2 or X.shape[1] != model.n_inputs:
        raise ValueError(
            f"{x_name} must have shape (n, {model.n_inputs}), got {X.shape}"
        )
    if Y.shape != (X.shape[0], model.n_outputs):
        raise ValueError(
            f"{y_name} must have shape {(X.shape[0], model.n_outputs)}, got {Y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{x_name} must have at least one row")
    return X, Y


def _check_offset(
    model: MLP, offset: np.ndarray | None, n: int, name: str
) -> np.ndarray | None:
    if offset is None:
        return None
    offset = np.ascontiguousarray(offset, dtype=model.dtype)
    if offset.shape != (n, model.n_outputs):
        raise ValueError(
            f"{name} must have shape {(n, model.n_outputs)}, got {offset.shape}"
        )
    return offset


def _check_batching(batch_size: int, n: int, rng: np.random.Generator) -> None:
    if not _is_int(batch_size) or not 1 <= batch_size <= n:
        raise ValueError(
            f"batch_size must be an integer between 1 and the number of training rows ({n}), "
            f"got {batch_size!r}"
        )
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng)!r}")


def _check_validation_settings(
    early_stopping_patience: int | None,
    has_val: bool,
    val_output_scale: float,
    min_delta: float,
) -> None:
    if early_stopping_patience is not None:
        if not _is_int(early_stopping_patience) or early_stopping_patience < 1:
            raise ValueError(
                f"early_stopping_patience must be a positive integer or None, "
                f"got {early_stopping_patience!r}"
            )
        if not has_val:
            raise ValueError("early_stopping_patience needs X_val and Y_val")
    if not (
        isinstance(val_output_scale, int | float | np.integer | np.floating)
        and not isinstance(val_output_scale, bool)
        and math.isfinite(val_output_scale)
        and val_output_scale > 0
    ):
        raise ValueError(
            f"val_output_scale must be a positive finite number, got {val_output_scale!r}"
        )
    if not (min_delta >= 0 and math.isfinite(min_delta)):
        raise ValueError(f"min_delta must be a finite number >= 0, got {min_delta!r}")


@dataclass(frozen=True)
class _TrainRows:
    """The checked training rows (model dtype, C-contiguous) and how to draw them.

    Attributes:
        X: Inputs, shape ``(n, n_inputs)``.
        Y: Targets, shape ``(n, n_outputs)``.
        offset: Fixed logits added to the output, or ``None``.
        pos_weight: Per-label weight of the positive term (checked), or ``None``.
        probs: Row sampling probabilities (balanced batches), or ``None`` to
            shuffle.
    """

    X: np.ndarray
    Y: np.ndarray
    offset: np.ndarray | None
    pos_weight: np.ndarray | None
    probs: np.ndarray | None

    def epoch_order(self, rng: np.random.Generator) -> np.ndarray:
        """One epoch's row order: a permutation, or ``n`` weighted draws."""
        n = self.X.shape[0]
        if self.probs is None:
            return rng.permutation(n)
        return rng.choice(n, size=n, p=self.probs)


@dataclass(frozen=True)
class _ValRows:
    """The checked validation rows and the weight of the network in their logits.

    Attributes:
        X: Inputs, shape ``(n_val, n_inputs)``.
        Y: Targets, shape ``(n_val, n_outputs)``.
        offset: Fixed logits added to the scaled network output, or ``None``.
        pos_weight: Per-label weight of the positive term (checked), or ``None``.
        output_scale: :func:`fit`'s ``val_output_scale``.
    """

    X: np.ndarray
    Y: np.ndarray
    offset: np.ndarray | None
    pos_weight: np.ndarray | None
    output_scale: float

    def logits(self, model: MLP) -> np.ndarray:
        """``offset + output_scale * model(X)``, in the model's dtype."""
        if self.output_scale == 1.0:
            return model.logits(self.X, self.offset)
        z = model.logits(self.X)
        z *= self.output_scale
        if self.offset is not None:
            z += self.offset
        return z


def _checked_rows(
    model: MLP,
    X: np.ndarray,
    Y: np.ndarray,
    X_val: np.ndarray | None,
    Y_val: np.ndarray | None,
    *,
    offset: np.ndarray | None,
    offset_val: np.ndarray | None,
    pos_weight: np.ndarray | None,
    balanced_batches: bool,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    early_stopping_patience: int | None,
    val_output_scale: float,
    min_delta: float,
) -> tuple[_TrainRows, _ValRows | None]:
    """Checks :func:`fit`'s arguments; returns its rows (``None``: no validation)."""
    if not _is_int(epochs) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    X, Y = _check_pair(model, X, Y, "X", "Y")
    _check_batching(batch_size, X.shape[0], rng)
    has_val = X_val is not None or Y_val is not None
    if has_val:
        X_val, Y_val = _check_pair(model, X_val, Y_val, "X_val", "Y_val")
    elif offset_val is not None:
        raise ValueError("offset_val needs X_val and Y_val")
    _check_validation_settings(
        early_stopping_patience, has_val, val_output_scale, min_delta
    )
    offset = _check_offset(model, offset, X.shape[0], "offset")
    if has_val:
        offset_val = _check_offset(model, offset_val, X_val.shape[0], "offset_val")
    pw = model.as_pos_weight(pos_weight)
    probs = balanced_sampling_probabilities(Y) if balanced_batches else None
    train = _TrainRows(X, Y, offset, pw, probs)
    if not has_val:
        return train, None
    return train, _ValRows(X_val, Y_val, offset_val, pw, val_output_scale)


@dataclass
class _EarlyStopping:
    """Tracks the best validation loss, the weights of its epoch and the epochs since.

    Attributes:
        patience: Epochs without improvement that stop training; ``None`` never
            stops and keeps no weights.
        min_delta: Smallest decrease of the validation loss that counts.
        best_loss: Lowest validation loss so far.
        best_epoch: Its 1-based epoch, ``None`` before the first validation.
        best_params: Copies of the weights of ``best_epoch`` (with a patience).
        wait: Epochs since ``best_epoch``.
    """

    patience: int | None
    min_delta: float
    best_loss: float = math.inf
    best_epoch: int | None = None
    best_params: list[np.ndarray] | None = None
    wait: int = 0

    def update(self, val_loss: float, epoch: int, params: list[np.ndarray]) -> None:
        """Records one epoch's validation loss (the first one always counts as best)."""
        if val_loss < self.best_loss - self.min_delta or self.best_epoch is None:
            self.best_loss = val_loss
            self.best_epoch = epoch
            self.wait = 0
            if self.patience is not None:
                self.best_params = [p.copy() for p in params]
        else:
            self.wait += 1

    @property
    def should_stop(self) -> bool:
        """Whether the patience has run out."""
        return self.patience is not None and self.wait >= self.patience

    def restore_best(self, params: list[np.ndarray]) -> bool:
        """Copies the best weights back into ``params``; ``False`` if none were kept."""
        if self.best_params is None:
            return False
        for p, best in zip(params, self.best_params, strict=True):
            p[...] = best
        return True


def _run_epoch(
    model: MLP,
    optimizer: Optimizer,
    train: _TrainRows,
    order: np.ndarray,
    batch_size: int,
    grads: list[np.ndarray],
    where: tuple[str, int],
) -> tuple[float, float]:
    """One pass over the rows in ``order``, one optimizer update per mini-batch.

    Args:
        where: ``(model name, epoch)`` for :class:`NonFiniteLossError`.

    Returns:
        The mean of the batch losses (weighted by batch size) and the any-match
        accuracy of the batch predictions.
    """
    name, epoch = where
    Xs, Ys = train.X[order], train.Y[order]
    Os = None if train.offset is None else train.offset[order]
    n = Xs.shape[0]
    total = 0.0
    hits = 0
    for b in range(-(-n // batch_size)):
        lo, hi = b * batch_size, min(n, (b + 1) * batch_size)
        yb = Ys[lo:hi]
        loss, z = model.loss_and_grads_into(
            Xs[lo:hi], yb, None if Os is None else Os[lo:hi], train.pos_weight, grads
        )
        if not math.isfinite(loss):
            raise NonFiniteLossError(name, epoch, b + 1, f"training loss is {loss}")
        total += loss * (hi - lo)
        hits += any_match_count(yb, z)
        optimizer.update(model.params, grads)
    if not all(np.isfinite(p).all() for p in model.params):
        raise NonFiniteLossError(name, epoch, None, "weights are not finite")
    return total / n, hits / n


def _validate(model: MLP, val: _ValRows, where: tuple[str, int]) -> tuple[float, float]:
    """Validation loss and any-match accuracy of the model as it is now.

    Raises:
        NonFiniteLossError: If the loss is NaN or infinite.
    """
    z_val = val.logits(model)
    val_loss = bce_with_logits(z_val, val.Y, val.pos_weight)
    if not math.isfinite(val_loss):
        raise NonFiniteLossError(*where, None, f"validation loss is {val_loss}")
    return val_loss, any_match_count(val.Y, z_val) / val.X.shape[0]


def _fit_epochs(
    model: MLP,
    optimizer: Optimizer,
    train: _TrainRows,
    val: _ValRows | None,
    stopper: _EarlyStopping,
    history: History,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    log: Callable[[str], None],
) -> None:
    """:func:`fit`'s epochs: train, validate, record in ``history``, log, maybe stop."""
    name = history.name
    grads = [np.empty_like(p) for p in model.params]
    for epoch in range(1, epochs + 1):
        epoch_start = time.perf_counter()
        order = train.epoch_order(rng)
        loss, hits = _run_epoch(
            model, optimizer, train, order, batch_size, grads, (name, epoch)
        )
        history.train_loss.append(loss)
        history.train_any_match.append(hits)
        message = f"{name} epoch {epoch}/{epochs}: loss {loss:.4f}, any-match {hits:.3f}"
        if val is None:
            history.best_epoch = epoch
        else:
            val_loss, val_hits = _validate(model, val, (name, epoch))
            history.val_loss.append(val_loss)
            history.val_any_match.append(val_hits)
            message += f", val_loss {val_loss:.4f}, val any-match {val_hits:.3f}"
            stopper.update(val_loss, epoch, model.params)
            history.best_epoch = stopper.best_epoch
        history.epoch_seconds.append(time.perf_counter() - epoch_start)
        log(message + f" ({history.epoch_seconds[-1]:.2f}s)")
        if stopper.should_stop:
            history.stopped_early = epoch < epochs
            break


# long: its signature and Args docs take 70 lines; the body is four steps.
def fit(
    model: MLP,
    optimizer: Optimizer,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    X_val: np.ndarray | None = None,
    Y_val: np.ndarray | None = None,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    offset: np.ndarray | None = None,
    offset_val: np.ndarray | None = None,
    val_output_scale: float = 1.0,
    pos_weight: np.ndarray | None = None,
    balanced_batches: bool = False,
    early_stopping_patience: int | None = None,
    min_delta: float = 0.0,
    name: str = "model",
    log: Callable[[str], None] | None = None,
) -> History:
    """Trains ``model`` in place with mini-batches and returns its history.

    Each epoch: the row order is ``rng.permutation(n)`` (or, with
    ``balanced_batches``, ``n`` draws with replacement from
    :func:`balanced_sampling_probabilities`), the rows are cut into
    consecutive batches of ``batch_size`` (the last may be smaller), and for
    each batch the optimizer applies one update with the gradient of
    ``BCE(Y_b, sigmoid(offset_b + model(X_b)))`` (sum over labels, mean over
    the batch).  The same ``rng`` state gives bit-identical results.

    Args:
        model: The network; its ``params`` are updated in place.
        optimizer: Any optimizer with ``update(params, grads)``.
        X: Training inputs, shape ``(n, n_inputs)``.
        Y: Training targets, shape ``(n, n_outputs)`` (any real values).
        X_val: Optional validation inputs.
        Y_val: Optional validation targets (required with ``X_val``).
        epochs: Maximum number of epochs (>= 1).
        batch_size: Rows per batch, ``1 <= batch_size <= n``.
        rng: Generator for the shuffling/sampling.
        offset: Optional fixed logits per training row added to the output
            (boosting); shape ``(n, n_outputs)``.
        offset_val: Same for the validation rows (``None`` means zero).
        val_output_scale: Weight of the network in the validation logits,
            ``offset_val + val_output_scale * model(X_val)`` (> 0; default 1).
            Boosting passes its shrinkage so that the validation loss, early
            stopping and the restored epoch score the ensemble as it will be,
            ``F + shrinkage * h``, not ``F + h``.  Training is unaffected.
        pos_weight: Optional per-label weight of positive targets (also used
            for the validation loss, so early stopping follows the objective).
        balanced_batches: Sample rows inversely to genre frequency.
        early_stopping_patience: Stop after this many epochs without a
            validation-loss improvement larger than ``min_delta`` and restore
            the best weights; needs validation data.  ``None`` disables it.
        min_delta: Smallest decrease of the validation loss that counts as an
            improvement (>= 0).
        name: Model name used in logs and errors.
        log: Receives one line per epoch; defaults to this module's logger
            at INFO level.

    Returns:
        The :class:`History` of the run.

    Raises:
        ValueError: On inconsistent shapes or invalid settings (the message
            names the argument, e.g. ``batch_size``).
        NonFiniteLossError: If a loss or the weights become NaN or infinite.
    """
    start_time = time.perf_counter()
    log = logger.info if log is None else log
    train, val = _checked_rows(
        model, X, Y, X_val, Y_val,
        offset=offset, offset_val=offset_val, pos_weight=pos_weight,
        balanced_batches=balanced_batches, epochs=epochs, batch_size=batch_size, rng=rng,
        early_stopping_patience=early_stopping_patience,
        val_output_scale=val_output_scale, min_delta=min_delta,
    )
    history = History(name=name)
    stopper = _EarlyStopping(early_stopping_patience, min_delta)
    _fit_epochs(model, optimizer, train, val, stopper, history,
                epochs=epochs, batch_size=batch_size, rng=rng, log=log)
    if stopper.restore_best(model.params) and history.best_epoch != history.epochs_run:
        log(f"{name}: restored the weights of epoch {history.best_epoch}")
    history.seconds = time.perf_counter() - start_time
    return history
