"""Nodes of ``predict``: genres for a folder of new paintings with the saved artefacts."""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from scipy.special import expit
from sklearn.decomposition import PCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler
from threadpoolctl import threadpool_limits

from art_genre.artefacts import classifier_hash, transform_hash
from art_genre.bundle import ModelBundle, rank_genres
from art_genre.explain.cam import Explanation, explain_features
from art_genre.explain.overlay import compact, genre_title, panel_image, render_overlay
from art_genre.features import (
    BackboneSettings,
    FeatureBatch,
    build_backbone,
    build_explaining_backbone,
    iter_feature_batches,
)
from art_genre.features.reduction import reduce_features
from art_genre.labels import hidden_or_leftover
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError
from art_genre.quality import NOT_UTF8, IssueLog, is_utf8_name

from .params import OverlayFormat, PredictParams

logger = logging.getLogger(__name__)

SETTING_FIELDS = ("name", "weights", "pooling", "alpha", "input_size", "resample", "seed")
OPTIONAL_SETTING_FIELDS = {"precision": "float32", "jpeg_draft": False, "engine": "tensorflow"}
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
    model: GenreClassifier,
    model_thresholds: dict[str, Any],
    registered_bundle: ModelBundle | None = None,
) -> dict[str, Any]:
    """Check that the requested model and the saved artefacts fit together.

    Runs before any image is read: a PCA made from other backbone settings, a model trained
    on another vocabulary, other features or another PCA / scaler (see
    :func:`check_hash_chain`), or thresholds tuned for another model are one clear error.
    Only the requested model is loaded (the catalog's ``predict_model``), so a broken
    file of another model does not stop this one.

    Args:
        params: The predict parameters (``params.model`` names the model).
        backbone_settings: The settings feature_engineering saved.
        pca_summary: The PCA's summary (its ``fingerprint``).
        genre_vocabulary: The saved vocabulary.
        feature_scaler: The saved scaler.
        pca: The saved PCA.
        model: The requested trained model (``predict_model``).
        model_thresholds: Its tuned thresholds with its hash (``predict_thresholds``).
        registered_bundle: The bundle of ``--params model_uri=models:/art_genre/<n>``
            (checked when read), used instead of the local artefacts; or ``None``.

    Returns:
        ``{"model", "classifier", "backbone", "batch_size", "thresholds",
        "feature_scaler", "pca"}`` for the next nodes.

    Raises:
        IncompatibleArtefactsError: Naming what does not fit and what to rerun.
    """
    if registered_bundle is not None:
        return _bundle_selection(registered_bundle)
    if model.name != params.model:
        raise IncompatibleArtefactsError(
            f"predict.model is {params.model!r} but the catalog loaded model "
            f"{model.name!r}; choose the model with `--params predict_model={params.model}`."
        )
    genres = [str(g) for g in genre_vocabulary.classes_]
    _check_local(params.model, backbone_settings, pca_summary, genres, model,
                 feature_scaler, pca, model_thresholds)
    return {
        "model": params.model,
        "classifier": model,
        "backbone": {
            **{k: backbone_settings[k] for k in SETTING_FIELDS},
            **{k: backbone_settings.get(k, v) for k, v in OPTIONAL_SETTING_FIELDS.items()},
        },
        "batch_size": int(backbone_settings.get("batch_size", 32)),
        "thresholds": tuned_logits(params.model, genres, model_thresholds),
        "feature_scaler": feature_scaler,
        "pca": pca,
    }


def _check_local(
    model: str, backbone_settings: dict[str, Any], pca_summary: dict[str, Any],
    genres: list[str], classifier: GenreClassifier, feature_scaler: StandardScaler,
    pca: PCA, bound: dict[str, Any],
) -> None:
    """:func:`select_model`'s checks of the local artefacts (see its doc)."""
    fingerprint = backbone_settings["fingerprint"]
    if pca_summary.get("fingerprint") != fingerprint:
        raise IncompatibleArtefactsError(
            f"The saved PCA was fitted on features of backbone fingerprint "
            f"{pca_summary.get('fingerprint')}, but the saved backbone settings have "
            f"{fingerprint}; rerun `kedro run`."
        )
    classifier.check_compatible(genres, fingerprint)
    check_hash_chain(model, classifier, feature_scaler, pca, bound)


def _bundle_selection(bundle: ModelBundle) -> dict[str, Any]:
    """:func:`select_model`'s output from a model bundle."""
    return {
        "model": bundle.model,
        "classifier": bundle.classifier,
        "backbone": dict(bundle.backbone),
        "batch_size": bundle.batch_size,
        "thresholds": np.asarray(bundle.thresholds, dtype=np.float64),
        "feature_scaler": bundle.feature_scaler,
        "pca": bundle.pca,
        "temperature": bundle.temperature,  # the calibration's (1.0: none)
    }


def tuned_logits(model: str, genres: list[str], model_thresholds: dict[str, Any]) -> np.ndarray:
    """The exact cuts, one logit per genre in vocabulary order (``logit >= threshold``).

    Raises:
        IncompatibleArtefactsError: If a genre has no threshold, naming the fix.
    """
    tuned = model_thresholds.get("thresholds") or {}
    missing = [g for g in genres if g not in tuned]
    if missing:
        raise IncompatibleArtefactsError(
            f"{thresholds_file(model)} has no threshold for {', '.join(missing)}; "
            f"rerun `kedro run --pipelines reporting`."
        )
    return np.array([tuned[g]["logit"] for g in genres], dtype=np.float64)


def extract_new_features(
    predict_images: dict[str, Callable[[], Any]],
    selection: dict[str, Any],
    params: PredictParams,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Backbone features of every image of the folder, with the training backbone.

    With ``predict.explain`` the same backbone pass also gives each batch's last feature
    maps, turned at once into the class activation maps of each painting's
    ``explain_top_k`` most probable genres (:func:`~art_genre.explain.explain_features`);
    the feature maps themselves are dropped batch by batch.

    Args:
        predict_images: The folder of new paintings (any layout): path → lazy loader.
        selection: Output of :func:`select_model` (backbone settings, batch size, model,
            and the scaler and PCA, for the maps only).
        params: The predict parameters.

    Returns:
        ``{"image_ids", "features"}`` (plus, with ``explain``, ``"explanation"``, an
        :class:`~art_genre.explain.Explanation` row-aligned with ``image_ids``,
        ``"panels"``, each painting's overlay panel as JPEG bytes, and ``"sources"``, the
        loaders of the few paintings whose panel could not be kept) and the files that
        could not be used (``stage``, ``file``, ``reason``).
    """
    issues = IssueLog("predict", params.on_bad_input)
    items = _image_items(predict_images, params, issues)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    explained: list[Explanation] = []
    panels: dict[str, bytes] = {}
    if params.explain:  # keep each painting's overlay panel from this one decoding
        items = [
            (image_id, _keeping_panel(image_id, source, panels, params.overlay_height))
            for image_id, source in items
        ]
    if items:
        for batch, explanation in _predict_batches(
            items, selection, selection["feature_scaler"], selection["pca"], params
        ):
            ids.extend(batch.ids)
            parts.append(batch.features)
            for image_id, reason in batch.failures:
                issues.add(image_id, reason)
            if explanation is not None:
                explained.append(explanation)
    features = np.concatenate(parts) if parts else np.empty((0, 0), dtype=np.float32)
    logger.info("%d of %d files have features.", len(ids), len(predict_images))
    new_features: dict[str, Any] = {"image_ids": ids, "features": features}
    if params.explain:
        new_features["explanation"] = _concatenate(explained, params.explain_top_k)
        new_features["panels"] = {i: panels[i] for i in ids if i in panels}
        new_features["sources"] = {i: predict_images[i] for i in ids if i not in panels}
    return new_features, issues.to_frame()


def _image_items(
    predict_images: dict[str, Callable[[], Any]], params: PredictParams, issues: IssueLog
) -> list[tuple[str, Callable[[], Any]]]:
    """The folder's image files in name order; the others are listed in ``issues``."""
    suffixes = {"." + s.lower().lstrip(".") for s in params.image_suffixes}
    items = []
    for image_id in sorted(predict_images, key=lambda p: unicodedata.normalize("NFC", p)):
        if not is_utf8_name(image_id):
            issues.add(image_id, NOT_UTF8)
        elif hidden_or_leftover(image_id):
            issues.add(image_id, "hidden file or macOS archive leftover")
        elif PurePosixPath(image_id).suffix.lower() not in suffixes:
            issues.add(image_id, f"not an image suffix ({', '.join(sorted(suffixes))})")
        else:
            items.append((image_id, predict_images[image_id]))
    return items


def _predict_batches(
    items: list[tuple[str, Callable[[], Any]]],
    selection: dict[str, Any],
    feature_scaler: StandardScaler,
    pca: PCA,
    params: PredictParams,
) -> Iterator[tuple[FeatureBatch, Explanation | None]]:
    """Each batch of features from the training backbone and, with ``explain``, the
    class activation maps of its paintings (``None`` without, or for an empty batch)."""
    settings = BackboneSettings(**selection["backbone"])
    model = (build_explaining_backbone if params.explain else build_backbone)(settings)
    for batch in iter_feature_batches(
        items, model, settings, batch_size=selection["batch_size"], desc="Predicting"
    ):
        explanation = None
        if params.explain and batch.ids:
            # The head's matrices are small: BLAS threads would only contend with
            # TensorFlow's (several times slower on a busy machine).
            with threadpool_limits(limits=1, user_api="blas"):
                explanation = explain_features(
                    batch.features,
                    batch.feature_maps,
                    feature_scaler,
                    pca,
                    selection["classifier"],
                    settings.pooling,
                    top_k=params.explain_top_k,
                )
        yield batch, explanation


def _keeping_panel(
    image_id: str, source: Callable[[], Any], panels: dict[str, bytes], height: int
) -> Callable[[], Any]:
    """A loader that also keeps the painting's overlay panel (a small JPEG) in ``panels``.

    The overlays then need no second decoding of the file (costly for big paintings);
    about 20 KB per painting are kept. A painting whose panel cannot be made is decoded
    again when its overlay is drawn.
    """

    def load() -> Any:
        image = source()
        try:
            buffer = io.BytesIO()
            panel_image(image, height).save(buffer, format="JPEG", quality=92)
            panels[image_id] = buffer.getvalue()
        except Exception:  # noqa: BLE001 - the overlay will decode the file itself
            pass
        return image

    return load


def _concatenate(parts: list[Explanation], k: int) -> Explanation:
    if not parts:
        return Explanation(
            np.empty((0, k), np.int64), np.empty((0, k)), np.empty((0, k, 0, 0), np.float32)
        )
    return Explanation(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in
          ("genre_indices", "probabilities", "maps"))
    )


def explanation_file(image_id: str, overlay_format: OverlayFormat = "png") -> str:
    """Where an image's overlay is, relative to ``predictions.csv``'s folder."""
    return f"explanations/{image_id}.{overlay_format}"


def render_explanations(
    new_features: dict[str, Any],
    selection: dict[str, Any],
    params: PredictParams,
) -> dict[str, Callable[[], Any]]:
    """One overlay per painting: the painting and the map of each of its top genres.

    The paintings are not read again: each is drawn from the panel
    :func:`extract_new_features` kept from its one decoding (or, for the rare painting
    whose panel could not be made, from its loader, kept in ``sources``).

    Args:
        new_features: Output of :func:`extract_new_features` (its ``explanation``,
            ``panels`` and ``sources``).
        selection: Output of :func:`select_model` (the model's genres).
        params: The predict parameters.

    Returns:
        ``{image id: callable}`` for the ``explanations`` partitioned dataset: each call
        draws one overlay (:func:`~art_genre.explain.overlay.render_overlay`; for PNG
        with a 256-colour palette: :func:`~art_genre.explain.overlay.compact`). The catalog's
        :class:`~art_genre.datasets.ConcurrentPartitionedDataset` calls them on a few
        threads, a few at a time. Empty unless ``predict.explain``.
    """
    if not params.explain:
        return {}
    explanation: Explanation = new_features["explanation"]
    genres = list(selection["classifier"].genres)

    def draw(i: int, image_id: str) -> Any:
        titles = [
            genre_title(genres[g], p)
            for g, p in zip(
                explanation.genre_indices[i], explanation.probabilities[i], strict=True
            )
        ]
        panel = new_features.get("panels", {}).get(image_id)
        overlay = render_overlay(
            Image.open(io.BytesIO(panel)) if panel else new_features["sources"][image_id](),
            explanation.maps[i],
            titles,
            first_title=PurePosixPath(image_id).name,
            panel_height=params.overlay_height,
        )
        return compact(overlay) if params.overlay_format == "png" else overlay

    return {
        image_id: (lambda i=i, image_id=image_id: draw(i, image_id))
        for i, image_id in enumerate(new_features["image_ids"])
    }


def predict_genres(
    new_features: dict[str, Any],
    predict_issues: pd.DataFrame,
    selection: dict[str, Any],
    params: PredictParams,
) -> pd.DataFrame:
    """Genres of each new painting: the top ``k`` with probabilities and all above threshold.

    Args:
        new_features: Output of :func:`extract_new_features`.
        predict_issues: The files that could not be used, listed with their reason.
        selection: Output of :func:`select_model` (model, scaler, PCA, thresholds).
        params: The predict parameters.

    Returns:
        One row per file: ``file``, ``model``, ``genre_1`` / ``probability_1`` ...
        ``genre_k`` / ``probability_k``, ``genres`` (every genre above its tuned
        threshold, ``|``-joined), ``error`` (why a file got no prediction) and, with
        ``predict.explain``, ``explanation`` (the overlay's path relative to the table's
        folder).
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
        X = reduce_features(new_features["features"], selection["feature_scaler"],
                            selection["pca"])
        logits = classifier.decision_function(X)
        proba = expit(logits / selection.get("temperature", 1.0))
        ranked = rank_genres(logits, proba, list(genres), selection["thresholds"], k)
        for image_id, row in zip(new_features["image_ids"], ranked, strict=True):
            rows.append([image_id, selection["model"], *row, ""])
    for file, reason in zip(predict_issues["file"], predict_issues["reason"], strict=True):
        rows.append([file, selection["model"], *([""] * (2 * k)), "", reason])
    table = pd.DataFrame(rows, columns=columns)
    if params.explain:
        explained = set(new_features["image_ids"])
        table["explanation"] = [
            explanation_file(f, params.overlay_format) if f in explained else ""
            for f in table["file"]
        ]
    return table.sort_values("file", key=lambda s: s.map(lambda p: unicodedata.normalize("NFC", p)), kind="stable").reset_index(drop=True)
