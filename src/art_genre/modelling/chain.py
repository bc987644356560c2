"""The hash chain between a trained head's parts: were they made together?

The head records the content hashes of the scaler and the PCA it was trained on and the
backbone fingerprint of its features; the bound thresholds record the content hash of
the head they were tuned for. :func:`chain_hashes` lists each part's own hash beside
what the next part recorded of it; :func:`broken_link` names the first pair that
differs. Both the model bundle (:func:`art_genre.modelling.bundle.check_chain`) and
``predict`` (its ``check_hash_chain``, which names the files) refuse parts on it, each
with a message for its own reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from art_genre.artefacts import transform_hash
from art_genre.modelling.artefacts import classifier_hash
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError


@dataclass(frozen=True)
class Link:
    """One link of the chain.

    Attributes:
        part: The key of the part's own hash (``pca``, ``model`` ...).
        recorded: The key of what the next part recorded of it (``model.pca_hash`` ...).
        meaning: What a break means, in words.
    """

    part: str
    recorded: str
    meaning: str


LINKS = (
    Link("pca", "model.pca_hash", "the head was trained on another PCA"),
    Link("feature_scaler", "model.scaler_hash", "the head was trained on another scaler"),
    Link("model", "thresholds.model_hash", "the thresholds were tuned for another head"),
    Link("backbone.fingerprint", "model.feature_fingerprint",
         "the head was trained on features of another backbone"),
)
"""Every link, in the order they are checked (the first broken one is named)."""


def chain_hashes(
    feature_scaler: Any,
    pca: Any,
    classifier: GenreClassifier,
    thresholds_model_hash: str,
    fingerprint: str,
) -> dict[str, str]:
    """Each part's content hash and what the next part recorded (the keys of :data:`LINKS`).

    Args:
        feature_scaler: The fitted scaler.
        pca: The fitted PCA.
        classifier: The trained head.
        thresholds_model_hash: The head hash the bound thresholds record.
        fingerprint: The backbone fingerprint the features come from.
    """
    return {
        "feature_scaler": transform_hash(feature_scaler),
        "pca": transform_hash(pca),
        "model": classifier_hash(classifier),
        "model.scaler_hash": classifier.scaler_hash,
        "model.pca_hash": classifier.pca_hash,
        "model.feature_fingerprint": classifier.feature_fingerprint,
        "thresholds.model_hash": thresholds_model_hash,
        "backbone.fingerprint": fingerprint,
    }


def broken_link(hashes: dict[str, str]) -> Link | None:
    """The first link of :data:`LINKS` whose two hashes differ, or ``None``."""
    return next((link for link in LINKS if hashes[link.part] != hashes[link.recorded]), None)


def check_pca_fingerprint(pca_summary: dict[str, Any], fingerprint: str, rerun: str) -> None:
    """Refuse a PCA fitted on features of another backbone than the saved settings'.

    Args:
        pca_summary: The PCA's summary (its ``fingerprint``).
        fingerprint: The saved backbone settings' fingerprint.
        rerun: What to rerun, as the message ends (``rerun `kedro run```).

    Raises:
        IncompatibleArtefactsError: Naming both fingerprints and ``rerun``.
    """
    if pca_summary.get("fingerprint") != fingerprint:
        raise IncompatibleArtefactsError(
            f"The saved PCA was fitted on features of backbone fingerprint "
            f"{pca_summary.get('fingerprint')}, but the saved backbone settings have "
            f"{fingerprint}; {rerun}."
        )
