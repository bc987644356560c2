"""The one decision rule of ``predict`` and the calibrated probabilities it is shown with.

A genre is assigned to a painting when its probability reaches the genre's threshold.
The model's thresholds are bound to it on the logit scale (``logit >= t``, tuned by the
reporting pipeline); with a calibration temperature ``T`` (issue 20's
``data/06_models/<model>_calibration.json``; none: ``T = 1``) the probability shown is
``sigmoid(logit / T)`` and the threshold shown is ``sigmoid(t / T)``. ``T > 0`` keeps the
order, so the decision is the same on either scale. It is taken once, on the logits, by
:func:`art_genre.evaluation.decision.decide` (as the registered model takes it), and
every column and page shows its result; this module holds what only ``predict`` shows of
it: the temperature's file, the genres an overlay maps and the rule's sidecar.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from art_genre.evaluation.decision import Decisions, decide
from art_genre.modelling.classifier import IncompatibleArtefactsError

__all__ = [
    "RULE",
    "Decisions",
    "calibration_file",
    "decide",
    "rule_record",
    "shown_genres",
    "temperature_of",
]

logger = logging.getLogger(__name__)

RULE = "a genre is assigned when its probability reaches its threshold (p >= threshold)"
"""The rule in words, as the sidecar and the page state it."""


def calibration_file(model: str) -> str:
    """The catalog's file of a model's calibration, for messages."""
    return f"data/06_models/{model}_calibration.json"


def temperature_of(model: str, calibration: dict[str, Any] | None) -> float:
    """The model's calibration temperature: the file's ``temperature``, or 1 without one.

    Args:
        model: The model's name (for messages).
        calibration: The loaded calibration record (empty: the model is not calibrated).

    Returns:
        A finite temperature above 0.

    Raises:
        IncompatibleArtefactsError: If the record has no usable ``temperature``.
    """
    if not calibration:
        logger.info("%s not found: %s is not calibrated (temperature 1).",
                    calibration_file(model), model)
        return 1.0
    value = calibration.get("temperature")
    try:
        temperature = float(value)
    except (TypeError, ValueError):
        temperature = math.nan
    if not math.isfinite(temperature) or temperature <= 0:
        raise IncompatibleArtefactsError(
            f"{calibration_file(model)} has temperature {value!r}, not a number above 0; "
            f"rerun the calibration (kedro run --pipelines reporting) or delete the file "
            f"to predict uncalibrated."
        )
    return temperature


def shown_genres(decisions: Decisions, row: int, limit: int) -> list[int]:
    """The genres a painting's overlay maps: the assigned ones, most probable first, and
    the top genre when it is not assigned (always kept, even if the limit cuts another).

    Args:
        decisions: The decisions of a batch.
        row: The painting's row.
        limit: At most this many genres (at least 1).

    Returns:
        Genre columns, most probable first.
    """
    order = decisions.ranked(row)
    top = order[0]
    chosen = decisions.assigned_genres(row)[:limit]
    if top not in chosen:
        chosen = [*chosen[: max(limit - 1, 0)], top]
        chosen.sort(key=order.index)
    return chosen


def rule_record(
    selection: dict[str, Any], genres: list[str], thresholds: np.ndarray,
    training_run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The sidecar beside ``predictions.csv``: the rule, the model and every threshold.

    Args:
        selection: Output of ``select_model`` (``model``, ``model_hash``, ``temperature``,
            ``thresholds``, the logit cuts).
        genres: The model's genres, in its order.
        thresholds: The shown thresholds (:attr:`Decisions.thresholds`).
        training_run: Facts of the training run the model came from (may be empty).

    Returns:
        A JSON-ready record.
    """
    model = selection["model"]
    return {
        "rule": RULE,
        "decided_on": "logit >= threshold_logit (the same decision as p >= threshold)",
        "model": model,
        "model_hash": selection.get("model_hash", ""),
        "model_file": f"data/06_models/{model}.npz",
        "thresholds_file": f"data/06_models/{model}_thresholds.json",
        "temperature": selection.get("temperature", 1.0),
        "calibrated": bool(selection.get("calibrated", False)),
        "calibration_file": calibration_file(model),
        "training_run": training_run or {},
        "genres": {
            genre: {
                "threshold": round(float(p), 6),
                "threshold_logit": float(t),
            }
            for genre, p, t in zip(genres, thresholds, selection["thresholds"], strict=True)
        },
    }
