"""Nodes of ``predict``: genres for a folder of new paintings with the saved artefacts."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from art_genre.features import BackboneSettings, build_backbone, iter_feature_batches
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError
from art_genre.modelling.persistence import classifier_hash
from art_genre.pipelines.data_processing.labels import hidden_or_leftover
from art_genre.pipelines.feature_engineering.nodes import reduce_features
from art_genre.portable import transform_hash
from art_genre.quality import IssueLog

from .params import PredictParams

logger = logging.getLogger(__name__)

SETTING_FIELDS = ("name", "weights", "pooling", "alpha", "input_size", "resample", "seed")
OPTIONAL_SETTING_FIELDS = {"precision": "float32", "jpeg_draft": False}
"""Settings added later: models saved before them were made with these values."""
PCA_FILE = "data/06_models/pca.npz"
SCALER_FILE = "data/06_models/feature_scaler.npz"
"""Where the catalog keeps the artefacts (named in the errors: nodes see no paths)."""


def model_file(model: str) -> str:
    """The catalog's file of a model (latest version), for error messages."""
    return f"data/06_models/{model}.npz"


def thresholds_file(model: str) -> str:
    """The catalog's file of a model's bound thresholds, for error messages."""
    return f"data/06_models/{model}_thresholds.json"


def check_hash_chain(
    model: str,
    classifier: GenreClassifier,
    feature_scaler: StandardScaler,
    pca: PCA,
    model_thresholds: dict[str, Any],
) -> None:
    """Refuse artefacts that were not made together: PCA, scaler, model, thresholds.

    The model records the content hashes of the PCA and the scaler it was trained on;
    the thresholds record the content hash of the model they were tuned for. A PCA or
    scaler refitted since (another split, ``standardize``, another solver, even with
    the same backbone), a retrained model with old thresholds, or a model file changed
    by hand all break a link.

    Raises:
        IncompatibleArtefactsError: Naming both files and the command that fixes it.
    """
    retrain = f"kedro run --namespaces {model} && kedro run --pipelines reporting"
    for label, file, transform, recorded in (
        ("PCA", PCA_FILE, pca, classifier.pca_hash),
        ("scaler", SCALER_FILE, feature_scaler, classifier.scaler_hash),
    ):
        actual = transform_hash(transform)
        if recorded != actual:
            raise IncompatibleArtefactsError(
                f"{model_file(model)} was trained on the {label} with hash "
                f"{recorded[:12] or '(none)'}, but {file} has hash {actual[:12]} (refitted "
                f"since); retrain with `{retrain}`, or rerun the whole flow with "
                f"`kedro run`."
            )
    actual_model = classifier_hash(classifier)
    bound = str(model_thresholds.get("model_hash", ""))
    if bound != actual_model:
        raise IncompatibleArtefactsError(
            f"{thresholds_file(model)} was tuned for the model with hash "
            f"{bound[:12] or '(none)'}, but {model_file(model)} has hash "
            f"{actual_model[:12]} (retrained since); rerun "
            f"`kedro run --pipelines reporting`."
        )


def select_model(
    params: PredictParams,
    backbone_settings: dict[str, Any],
    pca_summary: dict[str, Any],
    genre_vocabulary: MultiLabelBinarizer,
    feature_scaler: StandardScaler,
    pca: PCA,
    **artefacts: Any,
) -> dict[str, Any]:
    """Pick the requested model and check that the saved artefacts fit together.

    Runs before any image is read: a PCA made from other backbone settings, a model trained
    on another vocabulary, other features or another PCA / scaler (see
    :func:`check_hash_chain`), or thresholds tuned for another model are one clear error.

    Args:
        params: The predict parameters (``params.model`` names the model).
        backbone_settings: The settings feature_engineering saved.
        pca_summary: The PCA's summary (its ``fingerprint``).
        genre_vocabulary: The saved vocabulary.
        feature_scaler: The saved scaler.
        pca: The saved PCA.
        **artefacts: ``<model>_model`` (the trained models) and ``<model>_thresholds``
            (each model's tuned thresholds with its hash), by name.

    Returns:
        ``{"model", "classifier", "backbone", "thresholds"}`` for the next nodes.

    Raises:
        IncompatibleArtefactsError: Naming what does not fit and what to rerun.
    """
    classifier: GenreClassifier = artefacts[f"{params.model}_model"]
    fingerprint = backbone_settings["fingerprint"]
    if pca_summary.get("fingerprint") != fingerprint:
        raise IncompatibleArtefactsError(
            f"The saved PCA was fitted on features of backbone fingerprint "
            f"{pca_summary.get('fingerprint')}, but the saved backbone settings have "
            f"{fingerprint}; rerun feature_engineering."
        )
    genres = [str(g) for g in genre_vocabulary.classes_]
    classifier.check_compatible(genres, fingerprint)
    bound = artefacts[f"{params.model}_thresholds"]
    check_hash_chain(params.model, classifier, feature_scaler, pca, bound)
    model_thresholds = bound["thresholds"]
    return {
        "model": params.model,
        "classifier": classifier,
        "backbone": {
            **{k: backbone_settings[k] for k in SETTING_FIELDS},
            **{k: backbone_settings.get(k, v) for k, v in OPTIONAL_SETTING_FIELDS.items()},
        },
        "batch_size": int(backbone_settings.get("batch_size", 32)),
        # the exact cuts: logits, compared with logit >= threshold
        "thresholds": np.array(
            [model_thresholds[g]["logit"] for g in genres], dtype=np.float64
        ),
    }


def extract_new_features(
    predict_images: dict[str, Callable[[], Any]],
    selection: dict[str, Any],
    params: PredictParams,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Backbone features of every image of the folder, with the training backbone.

    Args:
        predict_images: The folder of new paintings (any layout): path → lazy loader.
        selection: Output of :func:`select_model` (backbone settings, batch size).
        params: The predict parameters.

    Returns:
        ``{"image_ids", "features"}`` and the files that could not be used (``stage``,
        ``file``, ``reason``).
    """
    issues = IssueLog("predict", params.on_bad_input)
    suffixes = {"." + s.lower().lstrip(".") for s in params.image_suffixes}
    items = []
    for image_id in sorted(predict_images, key=lambda p: unicodedata.normalize("NFC", p)):
        if hidden_or_leftover(image_id):
            issues.add(image_id, "hidden file or macOS archive leftover")
        elif PurePosixPath(image_id).suffix.lower() not in suffixes:
            issues.add(image_id, f"not an image suffix ({', '.join(sorted(suffixes))})")
        else:
            items.append((image_id, predict_images[image_id]))
    settings = BackboneSettings(**selection["backbone"])
    ids: list[str] = []
    parts: list[np.ndarray] = []
    if items:
        model = build_backbone(settings)
        for batch in iter_feature_batches(
            items, model, settings, batch_size=selection["batch_size"], desc="Predicting"
        ):
            ids.extend(batch.ids)
            parts.append(batch.features)
            for image_id, reason in batch.failures:
                issues.add(image_id, reason)
    features = np.concatenate(parts) if parts else np.empty((0, 0), dtype=np.float32)
    logger.info("%d of %d files have features.", len(ids), len(predict_images))
    return {"image_ids": ids, "features": features}, issues.to_frame()


def predict_genres(
    new_features: dict[str, Any],
    predict_issues: pd.DataFrame,
    selection: dict[str, Any],
    feature_scaler: StandardScaler,
    pca: PCA,
    params: PredictParams,
) -> pd.DataFrame:
    """Genres of each new painting: the top ``k`` with probabilities and all above threshold.

    Args:
        new_features: Output of :func:`extract_new_features`.
        predict_issues: The files that could not be used, listed with their reason.
        selection: Output of :func:`select_model`.
        feature_scaler: The scaler saved by training.
        pca: The PCA saved by training.
        params: The predict parameters.

    Returns:
        One row per file: ``file``, ``model``, ``genre_1`` / ``probability_1`` ...
        ``genre_k`` / ``probability_k``, ``genres`` (every genre above its tuned
        threshold, ``|``-joined) and ``error`` (why a file got no prediction).
    """
    classifier: GenreClassifier = selection["classifier"]
    genres = np.asarray(classifier.genres, dtype=object)
    k = min(params.top_k, len(genres))
    columns = ["file", "model"]
    for n in range(1, k + 1):
        columns += [f"genre_{n}", f"probability_{n}"]
    columns += ["genres", "error"]
    rows = []
    if new_features["image_ids"]:
        X = reduce_features(new_features["features"], feature_scaler, pca)
        logits = classifier.decision_function(X)
        proba = expit(logits)
        order = np.argsort(-logits, axis=1, kind="stable")[:, :k]
        above = logits >= selection["thresholds"]
        for i, image_id in enumerate(new_features["image_ids"]):
            row: list[Any] = [image_id, selection["model"]]
            for j in order[i]:
                row += [genres[j], round(float(proba[i, j]), 6)]
            row += ["|".join(genres[above[i]]), ""]
            rows.append(row)
    for file, reason in zip(predict_issues["file"], predict_issues["reason"], strict=True):
        rows.append([file, selection["model"], *([""] * (2 * k)), "", reason])
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("file", key=lambda s: s.map(lambda p: unicodedata.normalize("NFC", p)), kind="stable").reset_index(drop=True)
