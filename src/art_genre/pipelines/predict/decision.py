"""The one decision rule of ``predict`` and the calibrated probabilities it is shown with.

A genre is assigned to a painting when its probability reaches the genre's threshold.
The model's thresholds are bound to it on the logit scale (``logit >= t``, tuned by the
reporting pipeline); with a calibration temperature ``T`` (issue 20's
``data/06_models/<model>_calibration.json``; none: ``T = 1``) the probability shown is
``sigmoid(logit / T)`` and the threshold shown is ``sigmoid(t / T)``. ``T > 0`` keeps the
order, so the decision is the same on either scale; it is taken once, here, on the
logits, and every column and page shows its result.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

from art_genre.modelling.classifier import IncompatibleArtefactsError

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


@dataclass(frozen=True)
class Decisions:
    """Every genre's calibrated probability, shown threshold and decision, per painting.

    Attributes:
        logits: ``(n, G)`` the model's logits (their order ranks the genres: unlike
            probabilities they do not tie at 1.0).
        probabilities: ``(n, G)`` ``sigmoid(logit / T)``.
        thresholds: ``(G,)`` ``sigmoid(t / T)``, the thresholds on the same scale.
        assigned: ``(n, G)`` ``logit >= t`` (the same as ``probabilities >= thresholds``).
    """

    logits: np.ndarray
    probabilities: np.ndarray
    thresholds: np.ndarray
    assigned: np.ndarray

    def ranked(self, row: int) -> list[int]:
        """Genre columns of one painting, most probable first (ties: lower column)."""
        return [int(g) for g in np.argsort(-self.logits[row], kind="stable")]


def decide(logits: np.ndarray, threshold_logits: np.ndarray, temperature: float) -> Decisions:
    """Apply the rule to a batch of logits.

    Args:
        logits: ``(n, G)`` the model's logits.
        threshold_logits: ``(G,)`` the bound thresholds on the logit scale.
        temperature: The calibration temperature (1: uncalibrated).

    Returns:
        The :class:`Decisions`.
    """
    logits = np.asarray(logits, dtype=np.float64)
    cuts = np.asarray(threshold_logits, dtype=np.float64)
    return Decisions(
        logits=logits,
        probabilities=expit(logits / temperature),
        thresholds=expit(cuts / temperature),
        assigned=logits >= cuts,
    )


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
    assigned = decisions.assigned[row]
    top = order[0]
    chosen = [g for g in order if assigned[g]][:limit]
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
