"""Nodes of ``reporting`` that gather the models' outputs and score them.

The plot nodes are in :mod:`.plots`, the report in :mod:`.report`; the metric functions
they rely on in :mod:`.metrics`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .metrics import evaluate_model, rounded

logger = logging.getLogger(__name__)


def gather_by_model(models: Sequence[str], **by_model: Any) -> dict[str, Any]:
    """One dict of a per-model output, keyed by model, in the order of ``models``.

    Kedro wires node inputs statically: ``pipeline.py`` passes every model it knows
    (``MODELS``) as a keyword argument; the ``reporting.models`` parameter chooses which
    of them are reported, and in which order.

    Args:
        models: The ``reporting.models`` parameter, e.g. ``["snn", "bnn"]``.
        **by_model: One output (predictions, history, timing, parameters) per wired model.

    Returns:
        ``{model: output}`` for each model of ``models``.

    Raises:
        ValueError: If ``models`` names a model that is not wired into the pipeline.
    """
    unknown = [m for m in models if m not in by_model]
    if unknown:
        raise ValueError(
            f"reporting.models names {unknown}, but the reporting pipeline is wired for "
            f"{sorted(by_model)} only; add the model to MODELS in "
            "art_genre/pipelines/reporting/pipeline.py."
        )
    if not models:
        raise ValueError(
            "reporting.models is empty: name at least one model to report."
        )
    return {m: by_model[m] for m in models}


def evaluate_models(
    predictions: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Any], dict[str, dict[str, float]], pd.DataFrame]:
    """Metrics of every model, per-genre thresholds tuned on validation, per-genre scores.

    Each genre's threshold maximises that genre's F1 on the validation split; the test
    split never influences it. Metrics are reported at 0.5 (the study's) and at the tuned
    thresholds (layout: :mod:`art_genre.pipelines.reporting.metrics`).

    Args:
        predictions: ``{model: <model>.predictions}``.

    Returns:
        ``metrics`` (``{model: {split: {...}}}``, floats rounded to 6 decimals, no timing
        so that the file is identical across reruns), ``thresholds``
        (``{model: {genre: threshold}}``) and ``per_genre_metrics`` (one row per model,
        split, threshold setting and genre).
    """
    metrics: dict[str, Any] = {}
    thresholds: dict[str, dict[str, float]] = {}
    tables = []
    for model, model_predictions in predictions.items():
        metrics[model], thresholds[model], table = evaluate_model(model_predictions)
        table.insert(0, "model", model)
        tables.append(table)
        test = metrics[model]["test"]
        logger.info(
            "%s: test any-match %.4f, macro-F1 %.4f at 0.5 and %.4f tuned.",
            model,
            test.get("any_match_accuracy", float("nan")),
            test.get("threshold_0.5", {}).get("macro_f1", float("nan")),
            test.get("tuned", {}).get("macro_f1", float("nan")),
        )
    return metrics, thresholds, pd.concat(tables, ignore_index=True)


def collect_timings(
    timings: Mapping[str, Mapping[str, float]],
    histories: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Wall times and epochs per model, apart from the metrics (times vary per run).

    Args:
        timings: ``{model: <model>.timing}`` (training and inference seconds).
        histories: ``{model: <model>.history}`` (for the number of epochs run).

    Returns:
        ``{model: {"train_seconds", "inference_seconds", "epochs_run"}}``.
    """
    return {
        model: rounded(
            {
                "train_seconds": timing.get("train_seconds"),
                "inference_seconds": timing.get("inference_seconds"),
                "epochs_run": histories.get(model, {}).get("epochs_run"),
            }
        )
        for model, timing in timings.items()
    }
