"""Typed parameters of the ``reporting`` pipeline (``parameters_reporting.yml``).

Every default lives in the YAML; these models only say what is allowed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from art_genre.evaluation.decision import ThresholdRule


class BootstrapParams(BaseModel):
    """The two-level bootstrap (:mod:`art_genre.evaluation.statistics`).

    Attributes:
        n_boot: Resamples (seeds within each model and test units, jointly).
        seed: Seed of the resampling.
        min_clusters: Fewest test artists for which artists are the resampled units.
    """

    model_config = ConfigDict(extra="forbid")

    n_boot: int = Field(ge=100)
    seed: int
    min_clusters: int = Field(ge=2)


class CalibrationParams(BaseModel):
    """Temperature scaling of each model's logits, fitted on validation.

    Attributes:
        enabled: Fit a temperature per model (``false``: temperature 1, nothing changes).
        n_bins: Equal-width probability bins of the expected calibration error.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool
    n_bins: int = Field(ge=2)


class ThresholdParams(BaseModel):
    """How each genre's threshold is chosen on validation: the decision rule ``predict``
    applies, and the report's ``tuned`` setting (:mod:`art_genre.evaluation.decision`).

    Attributes:
        rule: ``checked`` (each genre's F1-best cut shrunk toward one global cut, within
            bounds), ``per_genre`` (each genre's own F1-best cut) or ``global`` (one cut
            for every genre). Measured by ``benchmarks/threshold_rules.py``.
        min_positives: ``checked``: fewest validation positives for a genre's own cut
            to count (fewer: the global cut).
        prior_strength: ``checked``: weight of the global cut, in validation positives.
        bounds: ``checked``: lowest and highest threshold, as calibrated probabilities,
            the ones predict shows (with 0.9 on top, a genre shown at 0.9 or more is
            always assigned).
    """

    model_config = ConfigDict(extra="forbid")

    rule: ThresholdRule
    min_positives: int = Field(ge=1)
    prior_strength: float = Field(ge=0)
    bounds: tuple[float, float]

    @model_validator(mode="after")
    def _bounds_are_probabilities(self) -> ThresholdParams:
        low, high = self.bounds
        if not 0 < low < high < 1:
            raise ValueError(
                f"thresholds.bounds must be two probabilities 0 < low < high < 1, got "
                f"{list(self.bounds)}"
            )
        return self


class StudyParams(BaseModel):
    """The study's published results, shown beside ours.

    Attributes:
        test_images: Its test split's size.
        note: What its numbers were measured on.
        results: Per model, ``name``, ``any_match`` (a value or a ``[low, high]``
            range), optionally ``macro_f1``, ``micro_f1`` and ``train_seconds``.
    """

    model_config = ConfigDict(extra="forbid")

    test_images: int = Field(ge=1)
    note: str
    results: dict[str, dict[str, Any]]


class ReportingParams(BaseModel):
    """``params:reporting``.

    Attributes:
        models: Models to report, in order (names of the roster).
        bootstrap: See :class:`BootstrapParams`.
        calibration: See :class:`CalibrationParams`.
        thresholds: See :class:`ThresholdParams`.
        data_dir: The painting folder, only to name it in the report.
        title: The report's title.
        max_listed_issues: Skipped inputs listed one kind per row (all are counted).
        plots_dir: The plot files, relative to ``report.md``.
        gallery_model: The network whose test paintings the gallery explains.
        gallery_images: Paintings in the gallery.
        study: See :class:`StudyParams`.
        run_manifest: Not a setting: the run's manifest so far, which
            :class:`art_genre.hooks.RunManifestHook` hands to the report node.
    """

    model_config = ConfigDict(extra="forbid")

    models: list[str] = Field(min_length=1)
    bootstrap: BootstrapParams
    calibration: CalibrationParams
    thresholds: ThresholdParams
    data_dir: str
    title: str
    max_listed_issues: int = Field(ge=0)
    plots_dir: str
    gallery_model: str
    gallery_images: int
    study: StudyParams
    run_manifest: dict[str, Any] | None = None
