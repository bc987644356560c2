"""Ensembles of MLPs: real gradient boosting and the study's residual scheme.

Two algorithms share :class:`BoostedEnsemble` (``Y`` is ``n x K`` binary,
``h_m`` is the m-th network, trained with :func:`art_genre.nn.training.fit`).

``variant="gradient"`` — gradient boosting in logit space (the default)::

    F_0(x)  = log(p_k / (1 - p_k))          p_k = train base rate of genre k,
                                            clipped to [prior_clip, 1 - prior_clip]
    for m = 1 .. n_stages:
        train a fresh h_m to minimise  BCE(Y, sigmoid(F_{m-1}(X) + h_m(X)))
            (fit(..., offset=F_{m-1}(X)); the gradient with respect to h_m's
            output is p - Y, i.e. h_m follows the current residual Y - p);
            its validation loss, early stopping and restored epoch score
            F_{m-1} + shrinkage * h_m, the ensemble as it will be
            (fit(..., val_output_scale=shrinkage))
        F_m = F_{m-1} + shrinkage * h_m
        r_m = ||Y - sigmoid(F_m(X))||   (Frobenius; per-genre column norms kept)
        stop if the ensemble training loss rose, if r_m < residual_threshold,
        or if r_m > (1 - tol) * r_{m-1}
    keep the prefix F_j (0 <= j <= stages trained; F_0 = the prior alone)
        with the lowest ensemble loss on the validation data, or on the
        training data without validation data (first minimum on ties)
    predict_proba(x) = sigmoid(F_0 + shrinkage * sum_{m <= j} h_m(x))

Every trained stage is recorded (:class:`StageRecord`: ensemble train and
validation loss of the prefix ending there, ``kept`` when the chosen prefix
includes it), so a report can show how many stages survived and how the
prior alone, ``prior_val_loss``, scores.  Because BCE is convex in the
logits, with ``0 < shrinkage <= 1`` a stage that lowered its own objective
also lowers the ensemble's training loss; the validation loss has no such
guarantee, hence the prefix choice.

``variant="study"`` — the student study's procedure, reproduced as is::

    R = Y
    for m = 1 .. n_stages:
        train a fresh h_m on (X, R) with sigmoid + BCE (R leaves [0, 1] after
            the first stage, so this is not boosting in any standard sense)
        R = R - sigmoid(h_m(X))
        norms = per-genre column L2 norms of R
        stop if every norm < residual_threshold
        R = R / norms         (per genre; normalise="inside", the notebooks)
    predict_proba(x) = mean_m sigmoid(h_m(x))

``normalise`` picks between the study's two sources.  ``"inside"`` (default)
is the method as it was run (``/work/shared/docs/seed-method.md``, from the
notebooks): the division is the last statement of the loop body, so stage
``m + 1`` fits the renormalised residual.  ``"after"`` is the code on the
slides ("Training Residual Updates"), where ``residuals /= residual_norm`` is
dedented out of the ``for`` loop: it runs once, after the last model, on a
residual that nothing reads any more.  So under ``"after"`` every stage fits
the raw residual ``Y - sum_{j<m} sigmoid(h_j(X))`` and the final division
changes no model and no prediction; it is therefore not performed.

With validation data the study variant transforms ``Y_val`` the same way
(subtracting each model's output and, with ``"inside"``, dividing by the
*training* norms), so early stopping inside a stage sees targets on the same
scale.

Both variants expose float64 logits (:meth:`BoostedEnsemble.decision_function`)
and ``predict_proba = expit(decision_function)``; the study's average of
sigmoids is turned into a logit in log space, so it never saturates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
from scipy.special import expit, logsumexp

from art_genre.nn.losses import bce_from_proba, bce_with_logits
from art_genre.nn.network import MLP
from art_genre.nn.optimizers import Optimizer
from art_genre.nn.training import History, fit

__all__ = [
    "NORMALISATIONS",
    "VARIANTS",
    "BoostedEnsemble",
    "Normalisation",
    "StageRecord",
    "Variant",
]

logger = logging.getLogger(__name__)

Variant = Literal["gradient", "study"]
"""Boosting in logit space (``"gradient"``) or the study's residual scheme (``"study"``)."""
VARIANTS: tuple[str, ...] = get_args(Variant)
Normalisation = Literal["inside", "after"]
"""Where the study variant divides the residuals by their norms: ``"inside"`` the loop
(the notebooks, as run) or ``"after"`` it (the slides' code)."""
NORMALISATIONS: tuple[str, ...] = get_args(Normalisation)


@dataclass
class StageRecord:
    """Ensemble state after one stage.

    Attributes:
        stage: 1-based stage number.
        residual_norm: Frobenius norm of the training residual after the stage
            (``Y - sigmoid(F_m)`` for ``"gradient"``; the study's ``R`` before
            normalisation for ``"study"``).
        residual_norm_per_genre: Column norms of that residual.
        train_loss: BCE of the ensemble of stages 1..m on the training data
            (with ``pos_weight`` if given).
        val_loss: Same on the validation data, or ``None`` without it.
        kept: Whether the final ensemble includes the stage (``"gradient"``:
            the stage lies in the prefix with the best validation loss, or
            training loss without validation data; ``"study"``: always).
    """

    stage: int
    residual_norm: float
    residual_norm_per_genre: np.ndarray
    train_loss: float
    val_loss: float | None
    kept: bool = True


@dataclass(frozen=True)
class _StageInputs:
    """What every stage of one :meth:`BoostedEnsemble.fit` call shares.

    Attributes:
        X: Training inputs.
        Y: ``float64`` training targets.
        X_val: Validation inputs, or ``None``.
        Y_val: ``float64`` validation targets, or ``None``.
        make_model: ``stage -> MLP``.
        make_optimizer: ``stage -> optimizer``.
        pw: ``float64`` per-genre weight of positives, or ``None``.
        name: Prefix of the stage names.
        log: Line sink passed to :func:`fit` (``None``: its logger).
        stage_log: Line sink of the stage summaries.
        fit_kwargs: The other arguments of :func:`fit`.
    """

    X: np.ndarray
    Y: np.ndarray
    X_val: np.ndarray | None
    Y_val: np.ndarray | None
    make_model: Callable[[int], MLP]
    make_optimizer: Callable[[int], Optimizer]
    pw: np.ndarray | None
    name: str
    log: Callable[[str], None] | None
    stage_log: Callable[[str], None]
    fit_kwargs: dict[str, Any]


def _checked_stage_inputs(
    X: np.ndarray,
    Y: np.ndarray,
    X_val: np.ndarray | None,
    Y_val: np.ndarray | None,
    *,
    make_model: Callable[[int], MLP],
    make_optimizer: Callable[[int], Optimizer],
    pos_weight: np.ndarray | None,
    name: str,
    log: Callable[[str], None] | None,
    fit_kwargs: dict[str, Any],
) -> _StageInputs:
    """Checks :meth:`BoostedEnsemble.fit`'s arguments (see there) and bundles them."""
    reserved = {
        "offset",
        "offset_val",
        "val_output_scale",
        "X_val",
        "Y_val",
    } & set(fit_kwargs)
    if reserved:
        raise ValueError(f"fit_kwargs must not contain {sorted(reserved)}")
    X = np.asarray(X)
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or X.ndim != 2 or Y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and Y must be 2-D with the same number of rows, got {X.shape} and {Y.shape}"
        )
    if (X_val is None) != (Y_val is None):
        raise ValueError("X_val and Y_val must be given together")
    if Y_val is not None:
        Y_val = np.asarray(Y_val, dtype=np.float64)
    pw = None if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    stage_log = logger.info if log is None else log
    return _StageInputs(
        X, Y, X_val, Y_val, make_model, make_optimizer, pw, name, log, stage_log, fit_kwargs
    )


@dataclass
class BoostedEnsemble:
    """An additive ensemble of :class:`~art_genre.nn.network.MLP` (see module doc).

    Args:
        n_stages: Maximum number of networks (>= 1).
        shrinkage: Weight of each network in logit space, in ``(0, 1]``
            (``"gradient"`` only).
        variant: ``"gradient"`` or ``"study"``.
        residual_threshold: Stop when the residual norm (``"gradient"``: the
            Frobenius norm; ``"study"``: every per-genre norm) is below it.
        tol: Relative improvement of the residual norm below which
            ``"gradient"`` stops (>= 0).
        prior_clip: Clip of the base rates used for ``F_0``, in ``(0, 0.5)``.
        normalise: ``"study"`` only: divide the residuals by their per-genre
            norms ``"inside"`` the loop (default: the notebooks, i.e. the
            method as run, ``seed-method.md``) or ``"after"`` it (the slides'
            code, where the division comes too late to change anything).

    Raises:
        ValueError: If an argument is out of range (the message names it).

    Attributes:
        models: The networks of the final ensemble, in stage order
            (``"gradient"``: the kept prefix of the trained stages).
        prior_logits: ``F_0`` per genre (zeros for ``"study"``).
        stages: One :class:`StageRecord` per trained stage, kept or not.
        initial_residual_norm: Residual norm before the first stage.
        prior_train_loss: Training loss of the base-rate prior ``F_0`` alone
            (for ``"study"``, which has no prior, the same base-rate predictor
            as a reference score).
        prior_val_loss: Same on the validation data, or ``None`` without it.
        histories: The :class:`History` of every trained stage.
    """

    n_stages: int = 5
    shrinkage: float = 0.5
    variant: str = "gradient"
    residual_threshold: float = 1e-3
    tol: float = 1e-3
    prior_clip: float = 1e-4
    normalise: str = "inside"
    models: list[MLP] = field(default_factory=list, init=False)
    prior_logits: np.ndarray | None = field(default=None, init=False)
    stages: list[StageRecord] = field(default_factory=list, init=False)
    initial_residual_norm: float | None = field(default=None, init=False)
    prior_train_loss: float | None = field(default=None, init=False)
    prior_val_loss: float | None = field(default=None, init=False)
    histories: list[History] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if (
            isinstance(self.n_stages, bool)
            or not isinstance(self.n_stages, int | np.integer)
            or self.n_stages < 1
        ):
            raise ValueError(
                f"n_stages must be a positive integer, got {self.n_stages!r}"
            )
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if not 0 < self.shrinkage <= 1:
            raise ValueError(f"shrinkage must be in (0, 1], got {self.shrinkage!r}")
        if not self.residual_threshold >= 0:
            raise ValueError(
                f"residual_threshold must be >= 0, got {self.residual_threshold!r}"
            )
        if not self.tol >= 0:
            raise ValueError(f"tol must be >= 0, got {self.tol!r}")
        if not 0 < self.prior_clip < 0.5:
            raise ValueError(f"prior_clip must be in (0, 0.5), got {self.prior_clip!r}")
        if self.normalise not in NORMALISATIONS:
            raise ValueError(
                f"normalise must be one of {NORMALISATIONS}, got {self.normalise!r}"
            )

    # ------------------------------------------------------------- prediction
    def _check_fitted(self) -> None:
        if self.prior_logits is None:
            raise RuntimeError("BoostedEnsemble is not fitted; call fit() first")

    @property
    def stages_kept(self) -> int:
        """Number of networks in the final ensemble."""
        return len(self.models)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Ensemble logits in ``float64``.

        ``"gradient"``: ``F(X) = F_0 + shrinkage * sum_m h_m(X)``, summed in
        ``float64`` (each network's forward pass runs in its own dtype).

        ``"study"``: the logit of the mean probability
        ``p = mean_m sigmoid(h_m(X))``, computed in log space so that it never
        saturates::

            log p       = logsumexp_m(-softplus(-h_m)) - log M
            log (1 - p) = logsumexp_m(-softplus(h_m)) - log M
            logit       = log p - log (1 - p)

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.

        Returns:
            ``float64`` logits, shape ``(n_samples, n_genres)``.
        """
        self._check_fitted()
        assert self.prior_logits is not None
        if self.variant == "study":
            h = np.stack([model.decision_function(X) for model in self.models])
            log_m = np.log(len(self.models))
            log_p = logsumexp(-np.logaddexp(0.0, -h), axis=0) - log_m
            log_q = logsumexp(-np.logaddexp(0.0, h), axis=0) - log_m
            return log_p - log_q
        F = np.repeat(self.prior_logits[None, :], np.asarray(X).shape[0], axis=0)
        for model in self.models:
            F += self.shrinkage * model.decision_function(X)
        return F

    def input_gradient(self, X: np.ndarray, genre_index: int | np.ndarray) -> np.ndarray:
        """Gradient of one genre's ensemble logit (:meth:`decision_function`) w.r.t. ``X``.

        ``"gradient"``: ``shrinkage * sum_m grad h_m`` (``F_0`` is constant).
        ``"study"``: the logit is ``log(p / (1 - p))`` of ``p = mean_m sigmoid(h_m)``, so
        its gradient is ``mean_m s_m (1 - s_m) grad h_m / (p (1 - p))`` with
        ``s_m = sigmoid(h_m)`` (``p`` clipped as in :meth:`decision_function`).

        Args:
            X: Inputs, shape ``(n_samples, n_inputs)``.
            genre_index: One genre for every sample, or one per sample.

        Returns:
            ``float64`` array of shape ``(n_samples, n_inputs)``.
        """
        self._check_fitted()
        X = np.asarray(X)
        n = X.shape[0]
        index = np.broadcast_to(np.asarray(genre_index), (n,))
        rows = np.arange(n)
        grad = np.zeros(X.shape, dtype=np.float64)
        if self.variant == "gradient":
            for model in self.models:
                grad += self.shrinkage * model.input_gradient(X, index)
            return grad
        p = np.zeros(n)
        for model in self.models:
            s = expit(np.asarray(model.logits(X), dtype=np.float64)[rows, index])
            p += s
            grad += (s * (1 - s))[:, None] * model.input_gradient(X, index)
        p = np.clip(p / len(self.models), 1e-12, 1 - 1e-12)
        return grad / len(self.models) / (p * (1 - p))[:, None]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Per-genre probabilities ``expit(decision_function(X))`` in ``float64``.

        ``"gradient"``: ``sigmoid(F_0 + shrinkage * sum_m h_m(X))``;
        ``"study"``: ``mean_m sigmoid(h_m(X))``.
        """
        return expit(self.decision_function(X))

    # --------------------------------------------------------------- training
    def fit(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        X_val: np.ndarray | None = None,
        Y_val: np.ndarray | None = None,
        *,
        make_model: Callable[[int], MLP],
        make_optimizer: Callable[[int], Optimizer],
        pos_weight: np.ndarray | None = None,
        name: str = "boosted",
        log: Callable[[str], None] | None = None,
        **fit_kwargs: Any,
    ) -> list[History]:
        """Trains the stages one after another (replacing any previous fit).

        Args:
            X: Training inputs, shape ``(n, n_inputs)``.
            Y: Binary training targets, shape ``(n, n_genres)``.
            X_val: Optional validation inputs.
            Y_val: Optional validation targets.
            make_model: ``stage -> MLP``; called with 1, 2, ... for a fresh net.
            make_optimizer: ``stage -> optimizer``; a fresh optimizer per stage.
            pos_weight: Optional per-genre weight of positives for every stage
                and for the recorded ensemble losses.
            name: Prefix of the stage names (``"{name}-stage{m}"``).
            log: Line sink for :func:`fit`'s epoch lines and the stage
                summaries; defaults to the modules' loggers at INFO level.
            **fit_kwargs: Passed to :func:`art_genre.nn.training.fit`
                (``epochs``, ``batch_size``, ``rng``, ``early_stopping_patience``,
                ``balanced_batches``, ...).

        Returns:
            The per-stage training histories (also in ``self.histories``).

        Raises:
            ValueError: On inconsistent shapes or reserved ``fit_kwargs``.
            NonFiniteLossError: If a stage diverges.
        """
        inputs = _checked_stage_inputs(
            X, Y, X_val, Y_val,
            make_model=make_model, make_optimizer=make_optimizer, pos_weight=pos_weight,
            name=name, log=log, fit_kwargs=fit_kwargs,
        )
        self.models = []
        self.stages = []
        self.histories = []
        if self.variant == "gradient":
            self._fit_gradient(inputs)
        else:
            self._fit_study(inputs)
        return self.histories

    def _train_stage(
        self,
        inputs: _StageInputs,
        stage: int,
        targets: np.ndarray,
        targets_val: np.ndarray | None,
        **offsets: Any,
    ) -> MLP:
        """A fresh network for ``stage`` trained by :func:`fit` on ``targets``.

        Args:
            inputs: What the stages share.
            stage: 1-based stage number.
            targets: The stage's training targets.
            targets_val: Its validation targets (``None`` without validation).
            **offsets: ``offset``, ``offset_val`` and ``val_output_scale`` for
                :func:`fit` (``"gradient"``).

        Returns:
            The trained network; its history is appended to ``self.histories``.
        """
        model = inputs.make_model(stage)
        history = fit(
            model,
            inputs.make_optimizer(stage),
            inputs.X,
            targets,
            X_val=inputs.X_val,
            Y_val=targets_val,
            pos_weight=inputs.pw,
            name=f"{inputs.name}-stage{stage}",
            log=inputs.log,
            **offsets,
            **inputs.fit_kwargs,
        )
        self.histories.append(history)
        return model

    def _fit_gradient(self, inputs: _StageInputs) -> None:
        """Gradient boosting in logit space (see the module doc)."""
        X, Y, X_val = inputs.X, inputs.Y, inputs.X_val
        self.prior_logits = self._base_rate_logits(Y)
        F = np.repeat(self.prior_logits[None, :], X.shape[0], axis=0)
        F_val = None
        if X_val is not None:
            F_val = np.repeat(self.prior_logits[None, :], X_val.shape[0], axis=0)
        self._record_prior_losses(Y, inputs.Y_val, inputs.pw, X_val)
        residual = float(np.linalg.norm(Y - expit(F)))
        self.initial_residual_norm = residual
        prev_loss = self.prior_train_loss
        trained: list[MLP] = []
        for stage in range(1, self.n_stages + 1):
            if residual < self.residual_threshold:
                break
            model = self._train_stage(
                inputs, stage, Y, inputs.Y_val,
                offset=F, offset_val=F_val, val_output_scale=self.shrinkage,
            )
            trained.append(model)
            F, F_val = self._add_gradient_stage(inputs, stage, model, F, F_val, residual)
            record = self.stages[-1]
            if self._gradient_should_stop(inputs, record, prev_loss, residual):
                break
            prev_loss, residual = record.train_loss, record.residual_norm
        self._keep_best_prefix(trained, inputs.name, inputs.stage_log)

    def _add_gradient_stage(
        self,
        inputs: _StageInputs,
        stage: int,
        model: MLP,
        F: np.ndarray,
        F_val: np.ndarray | None,
        residual: float,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``F + shrinkage * h`` on both splits; records and logs the stage.

        Returns:
            The new training and validation ensemble logits.
        """
        F = F + self.shrinkage * model.decision_function(inputs.X)
        per_genre = np.linalg.norm(inputs.Y - expit(F), axis=0)
        new_residual = float(np.linalg.norm(per_genre))
        train_loss = bce_with_logits(F, inputs.Y, inputs.pw)
        val_loss = None
        if F_val is not None:
            F_val = F_val + self.shrinkage * model.decision_function(inputs.X_val)
            val_loss = bce_with_logits(F_val, inputs.Y_val, inputs.pw)
        self.stages.append(
            StageRecord(stage, new_residual, per_genre, train_loss, val_loss)
        )
        inputs.stage_log(
            f"{inputs.name}: stage {stage} residual norm {residual:.4f} -> "
            f"{new_residual:.4f}, ensemble train loss {train_loss:.5f}"
            + ("" if val_loss is None else f", val loss {val_loss:.5f}")
        )
        return F, F_val

    def _gradient_should_stop(
        self,
        inputs: _StageInputs,
        record: StageRecord,
        prev_loss: float,
        residual: float,
    ) -> bool:
        """Whether the stage raised the training loss or gained too little (logged)."""
        if record.train_loss > prev_loss:
            inputs.stage_log(
                f"{inputs.name}: stage {record.stage} raised the training loss "
                f"({prev_loss:.5f} -> {record.train_loss:.5f}); stopping"
            )
            return True
        if residual - record.residual_norm < self.tol * residual:
            inputs.stage_log(
                f"{inputs.name}: residual norm improved by less than "
                f"tol={self.tol}; stopping"
            )
            return True
        return False

    def _base_rate_logits(self, Y: np.ndarray) -> np.ndarray:
        """Logits of the clipped training base rates (``F_0``)."""
        rate = np.clip(Y.mean(axis=0), self.prior_clip, 1 - self.prior_clip)
        return np.log(rate) - np.log1p(-rate)

    def _record_prior_losses(
        self,
        Y: np.ndarray,
        Y_val: np.ndarray | None,
        pw: np.ndarray | None,
        X_val: np.ndarray | None,
    ) -> None:
        """Losses of the base-rate predictor on the training and validation rows."""
        prior = self._base_rate_logits(Y)
        self.prior_train_loss = bce_with_logits(
            np.repeat(prior[None, :], Y.shape[0], axis=0), Y, pw
        )
        self.prior_val_loss = None
        if X_val is not None and Y_val is not None:
            self.prior_val_loss = bce_with_logits(
                np.repeat(prior[None, :], Y_val.shape[0], axis=0), Y_val, pw
            )

    def _keep_best_prefix(
        self, trained: list[MLP], name: str, stage_log: Callable[[str], None]
    ) -> None:
        """Truncates the ensemble to its best prefix (``"gradient"``).

        The score of prefix ``j`` is the ensemble loss after stage ``j``
        (``j = 0``: the prior alone) on the validation data when there is
        some, else on the training data; the first minimum wins, so a tie
        keeps fewer stages.
        """
        use_val = self.prior_val_loss is not None
        scores = [self.prior_val_loss if use_val else self.prior_train_loss] + [
            s.val_loss if use_val else s.train_loss for s in self.stages
        ]
        best = int(np.argmin(scores))
        for record in self.stages:
            record.kept = record.stage <= best
        self.models = trained[:best]
        if best < len(trained):
            kept = "none" if best == 0 else f"stages 1..{best}"
            stage_log(
                f"{name}: kept {kept} of {len(trained)} trained stages (best "
                f"{'validation' if use_val else 'training'} loss {scores[best]:.5f}"
                f"{', the prior alone' if best == 0 else ''})"
            )

    def _fit_study(self, inputs: _StageInputs) -> None:
        """The study's residual scheme (see the module doc)."""
        Y, Y_val = inputs.Y, inputs.Y_val
        self.prior_logits = np.zeros(Y.shape[1])
        self._record_prior_losses(Y, Y_val, inputs.pw, inputs.X_val)
        R = Y.copy()
        R_val = None if Y_val is None else Y_val.copy()
        self.initial_residual_norm = float(np.linalg.norm(R))
        sum_p = np.zeros_like(Y)
        sum_p_val = None if Y_val is None else np.zeros_like(Y_val)
        for stage in range(1, self.n_stages + 1):
            model = self._train_stage(inputs, stage, R, R_val)
            self.models.append(model)
            per_genre = self._add_study_stage(
                inputs, stage, model, (R, sum_p), (R_val, sum_p_val)
            )
            if np.all(per_genre < self.residual_threshold):
                inputs.stage_log(
                    f"{inputs.name}: every genre residual norm < "
                    f"{self.residual_threshold}; stopping"
                )
                break
            if self.normalise == "inside":
                # Genres whose residual is exactly zero keep it (avoids 0/0).
                scale = np.where(per_genre > 0, per_genre, 1.0)
                R /= scale
                if R_val is not None:
                    R_val /= scale
        # normalise == "after": the slides divide R by its norms here, after the
        # loop, where no model reads it any more; nothing to do.

    def _add_study_stage(
        self,
        inputs: _StageInputs,
        stage: int,
        model: MLP,
        train: tuple[np.ndarray, np.ndarray],
        val: tuple[np.ndarray | None, np.ndarray | None],
    ) -> np.ndarray:
        """Subtracts the stage's probabilities from the residuals; records and logs it.

        Args:
            inputs: What the stages share.
            stage: 1-based stage number.
            model: The stage's trained network.
            train: ``(R, sum_p)``: the training residual and the sum of the
                stages' probabilities, both updated in place.
            val: The same on the validation rows (``None``s without them).

        Returns:
            The per-genre norms of the training residual.
        """
        R, sum_p = train
        R_val, sum_p_val = val
        p = model.predict_proba(inputs.X)
        R -= p
        sum_p += p
        per_genre = np.linalg.norm(R, axis=0)
        val_loss = None
        if R_val is not None:
            p_val = model.predict_proba(inputs.X_val)
            R_val -= p_val
            sum_p_val += p_val
            val_loss = bce_from_proba(inputs.Y_val, sum_p_val / stage, inputs.pw)
        train_loss = bce_from_proba(inputs.Y, sum_p / stage, inputs.pw)
        self.stages.append(
            StageRecord(
                stage, float(np.linalg.norm(per_genre)), per_genre, train_loss, val_loss
            )
        )
        inputs.stage_log(
            f"{inputs.name}: stage {stage} residual norm "
            f"{float(np.linalg.norm(per_genre)):.4f}, max genre norm "
            f"{per_genre.max():.4g}, ensemble train loss {train_loss:.5f}"
        )
        return per_genre
