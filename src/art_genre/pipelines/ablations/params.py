"""Typed parameters of the ``ablations`` pipeline."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from art_genre.modelling import ABLATED_MODELS


class Variant(BaseModel):
    """Changes to the study's configuration (or the study's configuration itself).

    Attributes:
        pca_fit_on: ``all`` (the study's leak) or ``train``; ``None`` keeps the study's.
        thresholds: ``0.5`` (the study's) or ``tuned`` (per genre on validation).
        models: Per model, overrides of its parameters (nested like
            ``parameters_<model>.yml``'s ``model`` block), e.g. ``{snn: {init: he}}``.
    """

    model_config = ConfigDict(extra="forbid")

    pca_fit_on: Literal["train", "all"] | None = None
    thresholds: Literal["0.5", "tuned"] | None = None
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_models(self) -> Variant:
        unknown = sorted(set(self.models) - set(ABLATED_MODELS))
        if unknown:
            raise ValueError(f"models {unknown} are not ablated; use {list(ABLATED_MODELS)}")
        return self


class BootstrapParams(BaseModel):
    """The two-level resampling (seeds and test images) behind each effect's interval."""

    model_config = ConfigDict(extra="forbid")

    n_boot: int = Field(10_000, ge=100)
    seed: int = 0


class AblationParams(BaseModel):
    """The study's configuration, the fixes, and how they are measured.

    Attributes:
        seeds: Every configuration trains each model once per seed.
        study: The study's configuration (``pca_fit_on`` and ``thresholds`` required).
        fixes: Each fix as a change to ``study``; ``all_fixes`` (every fix at once) is
            added by the pipeline.
        bootstrap: See :class:`BootstrapParams`.
    """

    model_config = ConfigDict(extra="forbid")

    seeds: list[int] = Field(default_factory=lambda: [42, 0, 1, 2, 3], min_length=1)
    study: Variant
    fixes: dict[str, Variant] = Field(min_length=1)
    bootstrap: BootstrapParams = Field(default_factory=BootstrapParams)

    @model_validator(mode="after")
    def _complete_study(self) -> AblationParams:
        if self.study.pca_fit_on is None or self.study.thresholds is None:
            raise ValueError("ablations.study must set pca_fit_on and thresholds")
        if "all_fixes" in self.fixes or "study" in self.fixes:
            raise ValueError("'study' and 'all_fixes' are reserved configuration names")
        return self
