"""Nodes of the ``networks`` template: train a model over its seeds, predict the splits.

The training itself is library code (:mod:`art_genre.modelling.training`); these nodes
shape its results into the catalog's datasets.
"""

from __future__ import annotations

import time
from typing import Any

from art_genre.modelling.classifier import GenreClassifier
from art_genre.modelling.params import ModelParams
from art_genre.modelling.training import seed_summary, split_predictions, train_seeds


def train_model(
    model_input: dict[str, Any], params: ModelParams, name: str
) -> tuple[GenreClassifier, list[GenreClassifier], dict[str, Any]]:
    """Train one model per seed of ``params.seeds`` on the same training split.

    Args:
        model_input: Output of ``feature_engineering`` (``train`` and ``val`` splits).
        params: The model's parameters (``params:<name>.model``).
        name: The model's name (``params:<name>.name``).

    Returns:
        The first seed's :class:`GenreClassifier` (``<name>.model``, the one ``predict``
        uses), the models of every seed (``<name>.seed_models``, in ``params.seeds``
        order) and the training history (``<name>.history``): the first seed's history
        (see :func:`~art_genre.modelling.training.train_seeds`), with one summary per
        seed under ``seed_runs`` and ``train_seconds_all_seeds``.
    """
    runs = train_seeds(model_input, params, name)
    models = [model for model, _ in runs]
    history = dict(runs[0][1])
    history["seed_runs"] = [
        seed_summary(seed, h) for seed, (_, h) in zip(params.seeds, runs, strict=True)
    ]
    history["train_seconds_all_seeds"] = sum(h["train_seconds"] for _, h in runs)
    return models[0], models, history


def predict_splits(
    models: list[GenreClassifier], model_input: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float]]:
    """Every seed's genre logits for the validation and test splits, and the timing.

    Args:
        models: The models of every seed (``<name>.seed_models``).
        model_input: Output of ``feature_engineering``.

    Returns:
        The predictions (see :func:`~art_genre.modelling.training.split_predictions`)
        and the timing: training seconds of the first seed and of all seeds, inference
        seconds of all seeds.
    """
    start = time.perf_counter()
    predictions = split_predictions(models, model_input)
    timing = {
        "train_seconds": float(models[0].train_seconds),
        "train_seconds_all_seeds": float(sum(m.train_seconds for m in models)),
        "inference_seconds": time.perf_counter() - start,
    }
    return predictions, timing
