"""The model bundle: everything ``predict`` needs, in one pickle-free object and file.

A :class:`ModelBundle` holds the backbone settings, the feature scaler, the PCA, one
trained head (a :class:`~art_genre.modelling.classifier.GenreClassifier`), its bound
per-genre thresholds, the genre vocabulary and an optional probability calibration
(``{"temperature": T}``; absent: the identity). It is saved as one ``.npz`` archive
(arrays, read with ``allow_pickle=False``, plus the JSON metadata) by
:func:`bundle_to_parts` / :func:`bundle_from_parts`.

The metadata records the hash chain between the parts (``hashes``): the scaler's and the
PCA's content hashes, which the head records as those it was trained on, the head's
content hash, which the thresholds record as the model they were tuned for, and the
backbone fingerprint the head's features came from (:mod:`art_genre.modelling.chain`).
:func:`bundle_from_parts` recomputes every hash from the parts it read and refuses a
bundle in which one link is broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from art_genre.artefacts import (
    ArtefactFormatError,
    content_hash,
    read_npz,
    transform_from_parts,
    transform_to_parts,
    write_npz,
)
from art_genre.evaluation.calibration import calibrated_proba
from art_genre.features import BackboneSettings
from art_genre.features.reduction import reduce_features
from art_genre.modelling.artefacts import classifier_from_parts, classifier_to_parts
from art_genre.modelling.chain import broken_link, chain_hashes, check_pca_fingerprint
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError

FORMAT = "art_genre.modelling.bundle/1"
PARTS = ("feature_scaler", "pca", "model")
"""The parts saved as arrays + JSON, each under its own prefix in the archive."""
REBUILD = "kedro run --pipelines reporting"
"""The command that writes the bundle again."""


@dataclass
class ModelBundle:
    """One trained model with everything it needs to classify an image.

    Attributes:
        model: The model's name (``adam``, ``snn`` ...).
        backbone: The backbone settings (``name``, ``weights``, ``alpha`` ...), as
            :class:`~art_genre.features.BackboneSettings` takes them.
        batch_size: Images per backbone call.
        fingerprint: The backbone fingerprint the head's features came from.
        feature_scaler: The fitted ``StandardScaler``.
        pca: The fitted ``PCA`` / ``IncrementalPCA``.
        classifier: The trained head.
        thresholds: Per-genre logit cuts (``logit >= threshold``), in ``genres`` order.
        thresholds_model_hash: The model hash the thresholds were bound to.
        calibration: ``{"temperature": T}``: probabilities are ``sigmoid(logit / T)``;
            ``None``: the identity.
    """

    model: str
    backbone: dict[str, Any]
    batch_size: int
    fingerprint: str
    feature_scaler: Any
    pca: Any
    classifier: GenreClassifier
    thresholds: np.ndarray
    thresholds_model_hash: str
    calibration: dict[str, float] | None = field(default=None)

    @property
    def genres(self) -> list[str]:
        """The genre vocabulary, in the head's output order."""
        return list(self.classifier.genres)

    def hashes(self) -> dict[str, str]:
        """The hash chain: each part's content hash and what the next part recorded."""
        return chain_hashes(self.feature_scaler, self.pca, self.classifier,
                            self.thresholds_model_hash, self.fingerprint)

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Per-genre logits of raw backbone features (scaled, projected, classified)."""
        return self.classifier.decision_function(
            reduce_features(features, self.feature_scaler, self.pca)
        )

    @property
    def temperature(self) -> float:
        """The calibration's temperature (1.0 without calibration)."""
        return float((self.calibration or {}).get("temperature", 1.0))

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities of ``logits``, with the calibration's temperature if any."""
        return calibrated_proba(logits, self.temperature)


def assemble_bundle(
    model: str,
    backbone_settings: dict[str, Any],
    pca_summary: dict[str, Any],
    genres: list[str],
    feature_scaler: Any,
    pca: Any,
    classifier: GenreClassifier,
    bound_thresholds: dict[str, Any],
    calibration: dict[str, float] | None = None,
) -> ModelBundle:
    """The bundle of one trained head, checked as ``predict`` checks its artefacts.

    Args:
        model: The head's name.
        backbone_settings: The saved backbone settings (with ``fingerprint`` and
            ``batch_size``).
        pca_summary: The PCA's summary (its ``fingerprint``).
        genres: The saved genre vocabulary.
        feature_scaler: The saved scaler.
        pca: The saved PCA.
        classifier: The trained head.
        bound_thresholds: The head's bound thresholds (``model_hash``, ``thresholds``).
        calibration: ``{"temperature": T}``, or ``None`` (the identity).

    Raises:
        IncompatibleArtefactsError: If the PCA, the vocabulary, the scaler or the
            thresholds were not made with this head and backbone.
    """
    fingerprint = backbone_settings["fingerprint"]
    check_pca_fingerprint(pca_summary, fingerprint, "rerun feature_engineering")
    classifier.check_compatible(list(genres), fingerprint)
    cuts = bound_thresholds["thresholds"]
    bundle = ModelBundle(
        model=model,
        backbone={f.name: backbone_settings[f.name] for f in fields(BackboneSettings)
                  if f.name in backbone_settings},
        batch_size=int(backbone_settings.get("batch_size", 32)),
        fingerprint=fingerprint,
        feature_scaler=feature_scaler,
        pca=pca,
        classifier=classifier,
        thresholds=np.array([cuts[g]["logit"] for g in classifier.genres], np.float64),
        thresholds_model_hash=str(bound_thresholds.get("model_hash", "")),
        calibration=calibration,
    )
    check_chain(bundle.hashes())
    return bundle


def check_chain(hashes: dict[str, str]) -> None:
    """Refuse a bundle whose parts were not made together (:mod:`.chain`).

    Raises:
        IncompatibleArtefactsError: Naming the broken link.
    """
    link = broken_link(hashes)
    if link is not None:
        raise IncompatibleArtefactsError(
            f"The model bundle does not fit together: {link.meaning} ({link.recorded} "
            f"{str(hashes[link.recorded])[:12]}, {link.part} {str(hashes[link.part])[:12]}); "
            f"rebuild it with `kedro run --pipelines reporting`."
        )


def bundle_to_parts(bundle: ModelBundle) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a bundle: one JSON tree and the arrays of its parts.

    Raises:
        IncompatibleArtefactsError: If the parts do not fit together.
    """
    hashes = bundle.hashes()
    check_chain(hashes)
    arrays: dict[str, np.ndarray] = {"thresholds": np.asarray(bundle.thresholds, np.float64)}
    parts: dict[str, Any] = {}
    for name, (meta, part_arrays) in (
        ("feature_scaler", transform_to_parts(bundle.feature_scaler)),
        ("pca", transform_to_parts(bundle.pca)),
        ("model", classifier_to_parts(bundle.classifier)),
    ):
        parts[name] = meta
        arrays.update({f"{name}/{key}": value for key, value in part_arrays.items()})
    meta = {
        "format": FORMAT,
        "model": bundle.model,
        "genres": bundle.genres,
        "backbone": bundle.backbone,
        "batch_size": bundle.batch_size,
        "calibration": bundle.calibration,
        "hashes": hashes,
        "parts": parts,
    }
    return meta, arrays


def bundle_hash(bundle: ModelBundle) -> str:
    """Content hash of the whole bundle (the same in memory and read back)."""
    return content_hash(*bundle_to_parts(bundle))


def bundle_from_parts(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> ModelBundle:
    """Rebuild a bundle from :func:`bundle_to_parts`'s parts, checking the hash chain.

    Raises:
        ArtefactFormatError: If the metadata is of another format.
        IncompatibleArtefactsError: If a part was changed (a hash no longer matches).
    """
    if meta.get("format") != FORMAT:
        raise ArtefactFormatError(f"format {meta.get('format')!r}, expected {FORMAT!r}")

    def part(name: str) -> dict[str, np.ndarray]:
        prefix = f"{name}/"
        return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}

    bundle = ModelBundle(
        model=meta["model"],
        backbone=meta["backbone"],
        batch_size=int(meta["batch_size"]),
        fingerprint=meta["hashes"]["backbone.fingerprint"],
        feature_scaler=transform_from_parts(meta["parts"]["feature_scaler"],
                                            part("feature_scaler")),
        pca=transform_from_parts(meta["parts"]["pca"], part("pca")),
        classifier=classifier_from_parts(meta["parts"]["model"], part("model")),
        thresholds=arrays["thresholds"],
        thresholds_model_hash=meta["hashes"]["thresholds.model_hash"],
        calibration=meta.get("calibration"),
    )
    hashes = bundle.hashes()
    changed = [k for k, v in meta["hashes"].items() if hashes.get(k) != v]
    if changed:
        raise IncompatibleArtefactsError(
            f"The model bundle was changed after it was written ({', '.join(changed)} "
            f"no longer match); rebuild it with `kedro run --pipelines reporting`."
        )
    check_chain(hashes)
    return bundle


def write_bundle(file: Any, bundle: ModelBundle) -> str:
    """Write ``bundle`` to a binary file object as one ``.npz``; return its content hash."""
    meta, arrays = bundle_to_parts(bundle)
    digest = content_hash(meta, arrays)
    write_npz(file, {**meta, "sha256": digest}, arrays)
    return digest


def read_bundle(file: Any, name: str, rerun: str = REBUILD) -> ModelBundle:
    """Read what :func:`write_bundle` wrote (``allow_pickle=False``), checking every hash.

    Raises:
        ArtefactFormatError: If the file is corrupt, of another format, or its content
            no longer matches its recorded hash (naming ``name`` and ``rerun``).
        IncompatibleArtefactsError: If the parts do not fit together.
    """
    meta, arrays = read_npz(file, name, rerun)
    recorded = meta.pop("sha256", None) if isinstance(meta, dict) else None
    # "parts": array bundles once recorded this format too (art_genre.datasets)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "parts" not in meta:
        raise ArtefactFormatError(f"{name} is not an art_genre model bundle; write it "
                                  f"again with `{rerun}`.")
    if content_hash(meta, arrays) != recorded:
        raise ArtefactFormatError(f"{name} does not match its recorded hash (changed after "
                                  f"it was written); write it again with `{rerun}`.")
    return bundle_from_parts(meta, arrays)
