"""Typed parameters of the ``baselines`` pipeline."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LogisticParams(BaseModel):
    """One-vs-rest logistic regression (``sklearn.linear_model.LogisticRegression``)."""

    model_config = ConfigDict(extra="forbid")

    C: float = Field(1.0, gt=0)
    max_iter: int = Field(2000, ge=1)


class MLPBaselineParams(BaseModel):
    """``sklearn.neural_network.MLPClassifier``: the study's architecture, off the shelf."""

    model_config = ConfigDict(extra="forbid")

    hidden_layer_sizes: list[int] = Field(default_factory=lambda: [512, 256], min_length=1)
    learning_rate_init: float = Field(0.001, gt=0)
    batch_size: int = Field(32, ge=1)
    max_iter: int = Field(30, ge=1)


class BaselineParams(BaseModel):
    """Every baseline of the comparison.

    Attributes:
        seeds: One fit per seed (the prior and logistic regression are deterministic:
            their seeds agree, which the report shows as sd 0).
        logreg: See :class:`LogisticParams`.
        mlp: See :class:`MLPBaselineParams`.
    """

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(default_factory=lambda: [42, 0, 1, 2, 3], min_length=1)
    logreg: LogisticParams = Field(default_factory=LogisticParams)
    mlp: MLPBaselineParams = Field(default_factory=MLPBaselineParams)
