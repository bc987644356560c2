"""Typed parameters shared by the ``snn``, ``bnn`` and ``adam`` pipelines."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from art_genre.nn import Init, Normalisation, StepCounter, Variant


class OptimizerParams(BaseModel):
    """The optimiser of one network.

    Attributes:
        name: ``sgd`` (plain mini-batch SGD) or ``adam``.
        learning_rate: Step size (> 0).
        clip_value: Clip each weight gradient to ``[-clip_value, clip_value]`` (SGD only;
            the study's BNN: 0.5); ``null`` for none.
        clip_biases: Clip the bias gradients too (the study did not).
        beta1: Adam's first-moment decay.
        beta2: Adam's second-moment decay.
        eps: Adam's denominator guard.
        step_counter: Adam's bias-correction step count: ``single`` (textbook: one step
            per batch) or ``double`` (the study's bug: weights corrected at step 2t-1 and
            biases at 2t in batch t; see :class:`art_genre.nn.Adam`).
    """

    model_config = ConfigDict(extra="forbid")

    name: Literal["sgd", "adam"] = "sgd"
    learning_rate: float = Field(0.01, gt=0)
    clip_value: float | None = Field(None, gt=0)
    clip_biases: bool = False
    beta1: float = Field(0.9, ge=0, lt=1)
    beta2: float = Field(0.999, ge=0, lt=1)
    eps: float = Field(1e-8, gt=0)
    step_counter: StepCounter = "single"

    @model_validator(mode="after")
    def _clip_is_sgd(self) -> OptimizerParams:
        if self.name == "adam" and self.clip_value is not None:
            raise ValueError("optimizer.clip_value is only supported with optimizer.name=sgd")
        if self.name == "sgd" and self.step_counter != "single":
            raise ValueError("optimizer.step_counter=double is only supported with optimizer.name=adam")
        return self


class BoostingParams(BaseModel):
    """A boosted ensemble of networks (the ``bnn`` pipeline).

    Attributes:
        variant: ``gradient``: real gradient boosting in logit space (each stage fits the
            residual of the ensemble so far; stages summed with ``shrinkage``);
            ``study``: the study's scheme (nets fitted to renormalised residuals,
            sigmoid outputs averaged), kept to report the difference.
        n_stages: Number of networks at most (the study: 3).
        shrinkage: Weight of each stage in logit space (``gradient`` only).
        residual_threshold: Stop when the residual norm falls below it (the study: 1e-3).
        tol: ``gradient``: stop when a stage improves the residual norm by less than this
            share.
        normalise: ``study`` only: where the residuals are divided by their per-genre
            norms. ``inside`` the loop (default: the method as run, from the study's
            notebooks, ``/work/shared/docs/seed-method.md``), so each next network fits
            renormalised residuals; ``after`` the loop (the slides' "Training Residual
            Updates" code, where the division is dedented out of the ``for``): it comes
            after the last network, so every network fits the raw residual.

    ``gradient`` always keeps the prefix of the trained stages with the best validation
    loss (training loss without validation data); the prior alone counts as prefix 0.
    """

    model_config = ConfigDict(extra="forbid")

    variant: Variant = "gradient"
    n_stages: int = Field(3, ge=1)
    shrinkage: float = Field(0.5, gt=0, le=1)
    residual_threshold: float = Field(1e-3, ge=0)
    tol: float = Field(1e-3, ge=0)
    normalise: Normalisation = "inside"

    @model_validator(mode="after")
    def _normalise_is_study(self) -> BoostingParams:
        if self.variant == "gradient" and self.normalise != "inside":
            raise ValueError(
                "boosting.normalise applies to variant=study only (gradient boosting fits "
                "the ensemble's residual, never a renormalised one); leave it out"
            )
        return self


class ModelParams(BaseModel):
    """One model of the comparison: the network, its optimiser and how it is trained.

    Attributes:
        hidden_sizes: Width of each ReLU hidden layer (the study: [512, 256]).
        init: ``small`` (randn x 0.01, the study's SNN) or ``he`` (the study's Adam net).
        dtype: ``float32`` (fast) or ``float64``.
        optimizer: See :class:`OptimizerParams`.
        epochs: Epochs at most (the study: 30).
        batch_size: Rows per update (the study: 32).
        seeds: One training run per seed (the weights and the shuffling), on the same
            split; the first seed's model is the one saved for ``predict``, every seed's
            predictions go to the report (mean ± sd over seeds). Declared once in
            ``conf/base/globals.yml`` (``seeds``).
        n_jobs: Seeds trained at once, in worker processes (``null``: one per core);
            the models do not depend on it.
        early_stopping_patience: Stop after this many epochs without a better validation
            loss and restore the best weights; ``null`` trains every epoch (the study).
        class_weighting: ``inverse_frequency`` weights each genre's positives by
            negatives/positives in the loss; ``none`` (the study).
        balanced_batches: Draw mini-batches with genre-balanced probabilities.
        boosting: Present for a boosted ensemble (``bnn``); ``null`` for one network.
    """

    model_config = ConfigDict(extra="forbid")

    hidden_sizes: list[int] = Field(default_factory=lambda: [512, 256], min_length=1)
    init: Init = "small"
    dtype: Literal["float32", "float64"] = "float32"
    optimizer: OptimizerParams = Field(default_factory=OptimizerParams)
    epochs: int = Field(30, ge=1)
    batch_size: int = Field(32, ge=1)
    seeds: list[int] = Field(default_factory=lambda: [42, 0, 1, 2, 3], min_length=1)
    n_jobs: int | None = Field(None, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1)
    class_weighting: Literal["none", "inverse_frequency"] = "none"
    balanced_batches: bool = False
    boosting: BoostingParams | None = None

    @model_validator(mode="after")
    def _positive_sizes(self) -> ModelParams:
        bad = [s for s in self.hidden_sizes if s < 1]
        if bad:
            raise ValueError(f"hidden_sizes must all be at least 1, got {self.hidden_sizes}")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds must be distinct, got {self.seeds}")
        return self

    @property
    def seed(self) -> int:
        """The primary seed: its model is the one saved for ``predict``."""
        return self.seeds[0]
