"""Typed views of what the model and baseline pipelines hand to reporting.

Every ``<model>.predictions`` is a dict (a catalog dataset); reporting reads it once into
:class:`ModelRuns` and works on attributes from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit


@dataclass(frozen=True)
class SplitRuns:
    """One split's targets and every seed's logits.

    Attributes:
        image_ids: The images, in row order.
        Y: 0/1 targets, shape ``(n, G)``.
        logits: float64 logits, shape ``(n_seeds, n, G)``.
    """

    image_ids: list[str]
    Y: np.ndarray
    logits: np.ndarray

    @property
    def n_images(self) -> int:
        """Rows of the split."""
        return int(self.Y.shape[0])

    def proba(self, seed_index: int) -> np.ndarray:
        """Probabilities of one seed, ``expit(logits)`` in float64."""
        return expit(self.logits[seed_index])


@dataclass(frozen=True)
class ModelRuns:
    """One model's (or baseline's) runs over seeds.

    Attributes:
        model: Its name (namespace).
        genres: Output columns, in order.
        seeds: The seeds, in the order of ``logits``' first axis; the first is the
            primary one (its model is saved for ``predict``).
        val: Validation split.
        test: Test split.
    """

    model: str
    genres: list[str]
    seeds: list[int]
    val: SplitRuns
    test: SplitRuns

    def split(self, name: str) -> SplitRuns:
        """``val`` or ``test``."""
        return {"val": self.val, "test": self.test}[name]


def _split(record: Mapping[str, Any], n_genres: int) -> SplitRuns:
    Y = (np.asarray(record["Y"], dtype=np.float64) > 0.5).astype(np.int64)
    if "logits" in record:
        logits = np.asarray(record["logits"], dtype=np.float64)
    else:  # a single run that only stored probabilities
        proba = np.clip(np.asarray(record["proba"], dtype=np.float64), 1e-15, 1 - 1e-15)
        logits = np.log(proba) - np.log1p(-proba)
    if logits.ndim == 2:
        logits = logits[None]
    if Y.ndim != 2 or Y.shape[1] != n_genres or logits.shape[1:] != Y.shape:
        raise ValueError(
            f"Predictions of shape {logits.shape} do not fit targets of shape {Y.shape} "
            f"and {n_genres} genres."
        )
    return SplitRuns(list(record["image_ids"]), Y, logits)


def model_runs(predictions: Mapping[str, Any]) -> ModelRuns:
    """A ``<model>.predictions`` dict as :class:`ModelRuns`.

    Raises:
        ValueError: If the splits' shapes disagree with the genres or the seeds.
    """
    genres = [str(g) for g in predictions["genres"]]
    val = _split(predictions["val"], len(genres))
    test = _split(predictions["test"], len(genres))
    seeds = [int(s) for s in predictions.get("seeds", range(val.logits.shape[0]))]
    if not val.logits.shape[0] == test.logits.shape[0] == len(seeds):
        raise ValueError(
            f"{predictions.get('model')}: {len(seeds)} seeds but logits for "
            f"{val.logits.shape[0]} (val) and {test.logits.shape[0]} (test)."
        )
    return ModelRuns(str(predictions.get("model", "?")), genres, seeds, val, test)


def predictions_record(
    model: str,
    genres: Sequence[str],
    seeds: Sequence[int],
    model_input: Mapping[str, Any],
    scorers: Sequence[Callable[[np.ndarray], np.ndarray]],
    splits: Sequence[str] = ("val", "test"),
) -> dict[str, Any]:
    """The ``<model>.predictions`` layout every network and baseline writes.

    Args:
        model: The model's name.
        genres: Output columns, in order.
        seeds: One per scorer, in the same order.
        model_input: Output of ``feature_engineering``.
        scorers: Per seed, features -> float64 logits.
        splits: The splits scored.

    Returns:
        ``{"model", "genres", "seeds", split: {"image_ids", "Y", "logits"}}`` with
        ``logits`` of shape ``(n_seeds, n_images, n_genres)``; :func:`model_runs` reads it.
    """
    record: dict[str, Any] = {"model": model, "genres": list(genres), "seeds": list(seeds)}
    for split in splits:
        data = model_input[split]
        record[split] = {
            "image_ids": list(data["image_ids"]),
            "Y": np.asarray(data["Y"]),
            "logits": np.stack([np.asarray(s(data["X"]), dtype=np.float64) for s in scorers]),
        }
    return record
