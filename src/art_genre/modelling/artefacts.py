"""A trained :class:`~art_genre.modelling.classifier.GenreClassifier` as parts, and back.

The metadata names the architecture (``mlp`` or ``boosted`` with its variant), the genre
vocabulary, the training parameters and the fingerprints of what the model was trained on
(backbone, PCA, scaler); the arrays are the weights. Rebuilding creates the networks from
those facts with :class:`~art_genre.nn.MLP` and :class:`~art_genre.nn.BoostedEnsemble`:
no class is looked up by a name read from the file and no code in the file runs.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np

from art_genre.artefacts.parts import (
    ArtefactFormatError,
    canonical_json,
    content_hash,
    from_parts,
    to_parts,
)
from art_genre.nn import MLP, BoostedEnsemble, StageRecord

from .classifier import GenreClassifier

FORMAT = "art_genre.model/2"
LEGACY_FORMATS = ("art_genre.model/1",)
"""Formats still read: ``/1`` hashed its timing fields too."""
TIMING_FIELDS = ("train_seconds",)
"""Saved with a model but left out of its hash: two trainings with the same parameters
give the same weights and so the same fingerprint, whatever the wall time."""
_ENSEMBLE_SETTINGS = ("n_stages", "shrinkage", "variant", "residual_threshold", "tol", "prior_clip")


def _estimator_state(estimator: MLP | BoostedEnsemble) -> dict[str, Any]:
    if isinstance(estimator, MLP):
        return {"kind": "mlp", **estimator.get_state()}
    if isinstance(estimator, BoostedEnsemble):
        return {
            "kind": "boosted",
            **{k: getattr(estimator, k) for k in _ENSEMBLE_SETTINGS},
            "prior_logits": estimator.prior_logits,
            "initial_residual_norm": estimator.initial_residual_norm,
            "stages": [asdict(s) for s in estimator.stages],
            "models": [m.get_state() for m in estimator.models],
        }
    raise TypeError(f"Cannot save an estimator of type {type(estimator).__name__}.")


def _estimator_from_state(state: dict[str, Any]) -> MLP | BoostedEnsemble:
    if state["kind"] == "mlp":
        return MLP.from_state(state)
    if state["kind"] == "boosted":
        ensemble = BoostedEnsemble(**{k: state[k] for k in _ENSEMBLE_SETTINGS})
        ensemble.models = [MLP.from_state(m) for m in state["models"]]
        prior = state["prior_logits"]
        ensemble.prior_logits = None if prior is None else np.asarray(prior)
        ensemble.initial_residual_norm = state["initial_residual_norm"]
        ensemble.stages = [
            StageRecord(
                **{
                    **s,
                    "residual_norm_per_genre": np.asarray(s["residual_norm_per_genre"]),
                }
            )
            for s in state["stages"]
        ]
        return ensemble
    raise ArtefactFormatError(f"unknown estimator kind {state['kind']!r}")


def classifier_to_parts(model: GenreClassifier) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(metadata, weights)`` of a model; the metadata has no ``sha256`` yet."""
    meta, arrays = to_parts(
        {
            "name": model.name,
            "genres": list(model.genres),
            "feature_fingerprint": model.feature_fingerprint,
            "pca_hash": model.pca_hash,
            "scaler_hash": model.scaler_hash,
            "n_features": model.n_features,
            "params": model.params,
            "train_seconds": model.train_seconds,
            "estimator": _estimator_state(model.estimator),
        }
    )
    return {"format": FORMAT, **json.loads(canonical_json(meta))}, arrays


def hashed_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The part of a model's metadata its hash covers: all but :data:`TIMING_FIELDS`
    (format ``/2``; a model of format ``/1`` hashed everything)."""
    if meta.get("format") in LEGACY_FORMATS:
        return meta
    return {k: v for k, v in meta.items() if k not in TIMING_FIELDS}


def model_hash(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """Content hash of a model's parts (without ``sha256`` and the timing fields)."""
    return content_hash(hashed_meta(meta), arrays)


def classifier_hash(model: GenreClassifier) -> str:
    """Content hash of a model: the same in memory and read back from its files, and the
    same for two trainings that differ only in wall time."""
    return model_hash(*classifier_to_parts(model))


def classifier_from_parts(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> GenreClassifier:
    """Rebuild a model from :func:`classifier_to_parts`'s parts.

    Raises:
        ArtefactFormatError: If the metadata is of another format.
    """
    if meta.get("format") not in (FORMAT, *LEGACY_FORMATS):
        raise ArtefactFormatError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
    data = from_parts({k: v for k, v in meta.items() if k not in ("format", "sha256")}, arrays)
    return GenreClassifier(
        name=data["name"],
        estimator=_estimator_from_state(data["estimator"]),
        genres=list(data["genres"]),
        feature_fingerprint=data["feature_fingerprint"],
        n_features=int(data["n_features"]),
        params=data["params"],
        train_seconds=float(data["train_seconds"]),
        pca_hash=data["pca_hash"],
        scaler_hash=data["scaler_hash"],
    )
