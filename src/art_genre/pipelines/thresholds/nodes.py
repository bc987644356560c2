"""Nodes of ``thresholds``: bind the thresholds tuned by reporting to the model they fit."""

from __future__ import annotations

from typing import Any

from art_genre.modelling.artefacts import classifier_hash
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError


def bind_thresholds(
    thresholds: dict[str, dict[str, Any]], model: GenreClassifier, name: str
) -> dict[str, Any]:
    """One model's per-genre thresholds with the hash of the model they were tuned for.

    ``reporting`` tunes the thresholds on the validation predictions of the models as
    they were when it ran (``thresholds.json`` keeps those of each model's first seed,
    the model saved for ``predict``); retraining a model afterwards would silently pair
    the new model with old thresholds. This record names the model's content hash, so
    that ``predict`` refuses a pair that does not belong together.

    Args:
        thresholds: ``thresholds.json`` from reporting: ``{model: {"seed", "genres":
            {genre: {"logit", "probability"}}}}``.
        model: The trained model (the first seed's).
        name: The model's name.

    Returns:
        ``{"model", "model_hash", "seed", "genres", "thresholds": {genre: {"logit",
        "probability"}}}``; the logit is the exact cut (``logit >= threshold``).

    Raises:
        IncompatibleArtefactsError: One line naming the fix, if reporting tuned no
            thresholds for ``name``, for other genres or for another seed's model.
    """
    if name not in thresholds:
        raise IncompatibleArtefactsError(
            f"thresholds.json has no thresholds for model {name!r}; add it to "
            f"reporting.models and run `kedro run --pipelines reporting`."
        )
    tuned = thresholds[name].get("genres", {})
    if sorted(tuned) != sorted(model.genres):
        raise IncompatibleArtefactsError(
            f"thresholds.json was tuned for the genres {sorted(tuned)} but model {name!r} "
            f"predicts {list(model.genres)}; run `kedro run --pipelines reporting`."
        )
    seed = thresholds[name].get("seed")
    if seed is not None and seed != model.params.get("seed", seed):
        raise IncompatibleArtefactsError(
            f"thresholds.json holds the thresholds of {name!r} seed {seed}, but the saved "
            f"model is seed {model.params.get('seed')}; run `kedro run --pipelines reporting`."
        )
    return {
        "model": name,
        "model_hash": classifier_hash(model),
        "seed": seed,
        "genres": list(model.genres),
        "thresholds": {
            g: {
                "logit": float(tuned[g]["logit"]),
                "probability": float(tuned[g]["probability"]),
            }
            for g in model.genres
        },
    }
