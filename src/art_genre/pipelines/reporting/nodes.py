"""Nodes of ``reporting`` that gather the models' outputs, calibrate and score them.

The plot nodes are in :mod:`.plots`, the gallery in :mod:`.gallery`, the report in
:mod:`.report` (its sections in :mod:`.sections`); the scoring itself is library code in
:mod:`art_genre.evaluation`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from art_genre.evaluation.calibration import fit_temperature
from art_genre.evaluation.decision import choose_thresholds
from art_genre.evaluation.metrics import rounded
from art_genre.evaluation.results import (
    HEADLINE,
    evaluate_runs,
    metrics_document,
    primary_thresholds,
)
from art_genre.evaluation.runs import model_runs
from art_genre.evaluation.statistics import Units, bootstrap_comparison, choose_units
from art_genre.modelling import BASELINE_NAMES, REPORTED_NAMES, check_model_names

from .params import CalibrationParams, ReportingParams

logger = logging.getLogger(__name__)


def gather_by_model(models: Sequence[str], **by_model: Any) -> dict[str, Any]:
    """One dict of a per-model output, keyed by model, in the order of ``models``.

    Kedro wires node inputs statically: ``pipeline.py`` passes every model of the roster
    (:data:`~art_genre.modelling.REPORTED_NAMES`) as a keyword argument; the ``reporting.models`` parameter chooses which
    of them are reported, and in which order.

    Args:
        models: The ``reporting.models`` parameter, e.g. ``[snn, bnn]``.
        **by_model: One output (predictions, history, timing, parameters) per wired model.

    Returns:
        ``{model: output}`` for each model of ``models``.

    Raises:
        ValueError: If ``models`` names a model outside the roster, or one not wired
            into this node.
    """
    check_model_names("reporting.models", models, REPORTED_NAMES)
    unknown = [m for m in models if m not in by_model]
    if unknown:
        raise ValueError(
            f"reporting.models names {unknown}, but this node is wired for "
            f"{sorted(by_model)} only."
        )
    if not models:
        raise ValueError(
            "reporting.models is empty: name at least one model to report."
        )
    return {m: by_model[m] for m in models}


def gather_networks(models: Sequence[str], **by_model: Any) -> dict[str, Any]:
    """Like :func:`gather_by_model` for outputs only the networks have (histories,
    parameters): the baselines of ``models`` are left out.

    Raises:
        ValueError: If ``models`` names something that is neither wired nor a baseline.
    """
    networks = [m for m in models if m not in BASELINE_NAMES]
    return gather_by_model(networks, **by_model) if networks else {}


def fit_calibration(predictions: Mapping[str, Any], params: CalibrationParams) -> dict[str, Any]:
    """One model's temperature per seed, fitted on its validation logits.

    Args:
        predictions: ``<model>.predictions``.
        params: ``params:reporting.calibration``.

    Returns:
        ``<model>.calibration``: ``{"method": "temperature", "enabled", "seed",
        "temperature"`` (the primary seed's, which ``predict`` uses), ``"seeds",
        "temperatures"`` (every seed's) ``, "fitted_on": "val"}``; temperatures are 1
        when the step is switched off.
    """
    runs = model_runs(predictions)
    temperatures = [
        fit_temperature(runs.val.Y, runs.val.logits[s]) if params.enabled else 1.0
        for s in range(len(runs.seeds))
    ]
    return rounded(
        {
            "method": "temperature",
            "enabled": params.enabled,
            "seed": runs.seeds[0],
            "temperature": temperatures[0],
            "seeds": runs.seeds,
            "temperatures": temperatures,
            "fitted_on": "val",
        }
    )


def artists_of(painting_index: pd.DataFrame, image_ids: Sequence[str]) -> list[str]:
    """The artist of every test image (``""`` where labels come per image)."""
    artists = painting_index.set_index("image_id")["artist"].astype(str)
    return [artists.get(i, "") for i in image_ids]


def _units(runs: Mapping[str, Any], painting_index: pd.DataFrame, min_clusters: int) -> Units:
    """The bootstrap's test units (artists or images), logged with the reason."""
    test = next(iter(runs.values())).test
    units = choose_units(test.n_images, artists_of(painting_index, test.image_ids), min_clusters)
    logger.info("Bootstrap units: %s (%s).", units.kind, units.reason)
    return units


def evaluate_models(
    predictions: Mapping[str, Mapping[str, Any]],
    calibrations: Mapping[str, Mapping[str, Any]],
    split_summary: Mapping[str, Any],
    painting_index: pd.DataFrame,
    params: ReportingParams,
) -> tuple[pd.DataFrame, dict[str, Any], dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score every model and baseline over its seeds, with two-level bootstrap intervals.

    Each seed's per-genre thresholds are tuned on its validation logits; the test split
    never influences them. Everything written derives from one long results table
    (:mod:`art_genre.evaluation.results`); intervals and paired differences come from
    one seeded two-level bootstrap over seeds and test units
    (:mod:`art_genre.evaluation.statistics`).

    Args:
        predictions: ``{model: <model>.predictions}``.
        calibrations: ``{model: <model>.calibration}`` (fitted temperatures).
        split_summary: ``split_summary.json`` (which genres had training images).
        painting_index: ``painting_index.csv`` (each test image's artist: the units).
        params: ``params:reporting``.

    Returns:
        ``results`` (the long table), ``metrics`` (``metrics.json``, derived from it),
        ``thresholds`` (the primary seed's, per model, for ``predict``),
        ``per_genre_metrics``, ``intervals`` and ``pairwise``.
    """
    params = ReportingParams.model_validate(params)
    runs = {model: model_runs(p) for model, p in predictions.items()}
    train_counts = split_summary.get("genres", {})
    tables, per_genre, thresholds, cuts = [], [], {}, {}
    for model, run in runs.items():
        trained = [bool(train_counts.get(g, {}).get("train", 1)) for g in run.genres]
        enabled = params.calibration.enabled
        temperatures = (calibrations.get(model) or {}).get("temperatures") if enabled else None
        table, seed_thresholds, genre_table = evaluate_runs(
            run, "main", trained, temperatures, params.calibration.n_bins,
            tune=partial(choose_thresholds, **params.thresholds.model_dump()),
        )
        tables.append(table)
        per_genre.append(genre_table)
        thresholds[model] = primary_thresholds(run, seed_thresholds, temperatures)
        cuts[model] = [np.array([t[g] for g in run.genres]) for t in seed_thresholds]
        _log_headline(model, table)
    results = pd.concat(tables, ignore_index=True)
    units = _units(runs, painting_index, params.bootstrap.min_clusters)
    intervals, pairwise = bootstrap_comparison(
        runs, cuts, HEADLINE, n_boot=params.bootstrap.n_boot, seed=params.bootstrap.seed,
        units=units,
    )
    intervals["units_reason"] = units.reason
    return (
        results,
        metrics_document(results),
        thresholds,
        pd.concat(per_genre, ignore_index=True),
        intervals,
        pairwise,
    )


def _log_headline(model: str, table: pd.DataFrame) -> None:
    test = table[(table["split"] == "test") & (table["metric"] == "macro_f1")]
    for setting in ("0.5", "tuned"):
        values = test.loc[test["thresholds"] == setting, "value"].astype(float)
        if len(values):
            logger.info(
                "%s: test macro-F1 %s %.4f ± %.4f over %d seeds.",
                model,
                "@0.5" if setting == "0.5" else "tuned",
                values.mean(),
                values.std(ddof=1) if len(values) > 1 else 0.0,
                len(values),
            )


def collect_timings(
    timings: Mapping[str, Mapping[str, float]],
    histories: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Wall times and epochs per model, apart from the metrics (times vary per run).

    Args:
        timings: ``{model: <model>.timing}`` (training and inference seconds).
        histories: ``{model: <model>.history}`` (for the number of epochs run; the
            baselines have none).

    Returns:
        ``{model: {"train_seconds", "train_seconds_all_seeds", "inference_seconds",
        "epochs_run"}}`` (the first seed's training, all seeds' inference).
    """
    return {
        model: rounded(
            {
                "train_seconds": timing.get("train_seconds"),
                "train_seconds_all_seeds": timing.get("train_seconds_all_seeds"),
                "inference_seconds": timing.get("inference_seconds"),
                "epochs_run": (histories.get(model) or {}).get("epochs_run"),
            }
        )
        for model, timing in timings.items()
    }
