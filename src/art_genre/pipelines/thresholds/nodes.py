"""Nodes of ``thresholds``: bind the thresholds tuned by reporting to the model they fit."""

from __future__ import annotations

from typing import Any

from art_genre.modelling.classifier import GenreClassifier
from art_genre.modelling.persistence import classifier_hash


def bind_thresholds(
    thresholds: dict[str, dict[str, float]], model: GenreClassifier, name: str
) -> dict[str, Any]:
    """One model's per-genre thresholds with the hash of the model they were tuned for.

    ``reporting`` tunes the thresholds on the validation predictions of the models as
    they were when it ran; retraining a model afterwards would silently pair the new
    model with old thresholds. This record names the model's content hash, so that
    ``predict`` refuses a pair that does not belong together.

    Args:
        thresholds: ``{model: {genre: threshold}}`` from reporting.
        model: The trained model.
        name: The model's name.

    Returns:
        ``{"model", "model_hash", "genres", "thresholds"}``.

    Raises:
        ValueError: If reporting tuned no thresholds for ``name`` or other genres.
    """
    if name not in thresholds:
        raise ValueError(
            f"thresholds.json has no thresholds for model {name!r}; add it to "
            f"reporting.models and run `kedro run --pipelines reporting`."
        )
    tuned = thresholds[name]
    if sorted(tuned) != sorted(model.genres):
        raise ValueError(
            f"thresholds.json was tuned for the genres {sorted(tuned)} but model {name!r} "
            f"predicts {list(model.genres)}; run `kedro run --pipelines reporting`."
        )
    return {
        "model": name,
        "model_hash": classifier_hash(model),
        "genres": list(model.genres),
        "thresholds": {g: float(tuned[g]) for g in model.genres},
    }
