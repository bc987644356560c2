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
from sklearn.decomposition import PCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler
from threadpoolctl import threadpool_limits

from art_genre.evaluation.decision import ranked_cells, ranked_columns
from art_genre.explain.cam import Explanation, explain_features
from art_genre.explain.overlay import (
    compact,
    genre_title,
    panel_image,
    render_overlay,
)
from art_genre.features import (
    BackboneSettings,
    FeatureBatch,
    build_backbone,
    build_explaining_backbone,
    iter_feature_batches,
)
from art_genre.features.images import draft_jpeg, to_display_image
from art_genre.features.reduction import reduce_features
from art_genre.labels import hidden_or_leftover
from art_genre.modelling.artefacts import classifier_hash
from art_genre.modelling.bundle import ModelBundle
from art_genre.modelling.chain import broken_link, chain_hashes, check_pca_fingerprint
from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError
from art_genre.quality import NOT_UTF8, IssueLog, is_utf8_name

from .decision import Decisions, decide, rule_record, shown_genres, temperature_of
from .params import OverlayFormat, PredictParams

logger = logging.getLogger(__name__)

SETTING_FIELDS = ("name", "weights", "pooling", "alpha", "input_size", "resample", "seed")
OPTIONAL_SETTING_FIELDS = {"precision": "float32", "jpeg_draft": False, "engine": "tensorflow"}
"""Settings added later: models saved before them were made with these values."""
PCA_FILE = "data/06_models/pca.npz"
SCALER_FILE = "data/06_models/feature_scaler.npz"
"""Where the catalog keeps the artefacts (named in the errors: nodes see no paths)."""
CHAIN_FILES = {
    "pca": ("PCA", PCA_FILE),
    "feature_scaler": ("scaler", SCALER_FILE),
    "backbone.fingerprint": ("backbone", "data/06_models/backbone_settings.json"),
}
"""The label and file of each part a model records, for :func:`check_hash_chain`."""


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
    fingerprint: str,
) -> None:
    """Refuse artefacts that were not made together: PCA, scaler, model, thresholds.

    The model records the content hashes of the PCA and the scaler it was trained on;
    the thresholds record the content hash of the model they were tuned for
    (:mod:`art_genre.modelling.chain`, as the model bundle checks them). A PCA or
    scaler refitted since (another split, ``standardize``, another solver, even with
    the same backbone), a retrained model with old thresholds, or a model file changed
    by hand all break a link.

    Raises:
        IncompatibleArtefactsError: Naming both files and the command that fixes it.
    """
    hashes = chain_hashes(feature_scaler, pca, classifier,
                          str(model_thresholds.get("model_hash", "")), fingerprint)
    link = broken_link(hashes)
    if link is None:
        return
    recorded, actual = hashes[link.recorded], hashes[link.part]
    if link.part == "model":
        raise IncompatibleArtefactsError(
            f"{thresholds_file(model)} was tuned for the model with hash "
            f"{recorded[:12] or '(none)'}, but {model_file(model)} has hash "
            f"{actual[:12]} (retrained since); rerun `kedro run --pipelines reporting`."
        )
    label, file = CHAIN_FILES[link.part]
    retrain = f"kedro run --namespaces {model} && kedro run --pipelines reporting"
    raise IncompatibleArtefactsError(
        f"{model_file(model)} was trained on the {label} with hash "
        f"{recorded[:12] or '(none)'}, but {file} has hash {actual[:12]} (refitted "
        f"since); retrain with `{retrain}`, or rerun the whole flow with `kedro run`."
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
    calibration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check that the requested model and the saved artefacts fit together.

    Runs before any image is read: a PCA of other backbone settings, a model of another
    vocabulary, other features or another PCA / scaler (:func:`check_hash_chain`), or
    thresholds of another model are one clear error. Only the requested model is loaded
    (``predict_model``), so a broken file of another model does not stop this one.

    Args:
        params: The predict parameters (``params.model`` names the model).
        backbone_settings: The settings feature_engineering saved.
        pca_summary: The PCA's summary (its ``fingerprint``).
        genre_vocabulary: The saved vocabulary.
        feature_scaler, pca: The saved scaler and PCA.
        model: The requested trained model (``predict_model``).
        model_thresholds: Its tuned thresholds with its hash (``predict_thresholds``).
        registered_bundle: The bundle of ``--params model_uri=models:/art_genre/<n>``
            (checked when read, its own calibration included), used instead of the
            local artefacts; or ``None``.
        calibration: Its calibration (``predict_calibration``; empty: temperature 1).

    Returns:
        The model, its hash, settings, logit cuts, temperature, scaler and PCA, for the
        next nodes.

    Raises:
        IncompatibleArtefactsError: Naming what does not fit and what to rerun.
    """
    if registered_bundle is not None:
        return _bundle_selection(registered_bundle)
    genres = [str(g) for g in genre_vocabulary.classes_]
    _check_local(params.model, backbone_settings, pca_summary, genres, model,
                 feature_scaler, pca, model_thresholds)
    return {
        "model": params.model,
        "classifier": model,
        "backbone": _backbone_settings(backbone_settings),
        "batch_size": int(backbone_settings.get("batch_size", 32)),
        "thresholds": tuned_logits(params.model, genres, model_thresholds),
        "feature_scaler": feature_scaler,
        "pca": pca,
        "model_hash": classifier_hash(model),
        "temperature": temperature_of(params.model, calibration),
        "calibrated": bool(calibration),
    }


def _backbone_settings(saved: dict[str, Any]) -> dict[str, Any]:
    """The saved backbone settings, with the defaults of those added later."""
    return {
        **{k: saved[k] for k in SETTING_FIELDS},
        **{k: saved.get(k, v) for k, v in OPTIONAL_SETTING_FIELDS.items()},
    }


def _check_local(
    model: str, backbone_settings: dict[str, Any], pca_summary: dict[str, Any],
    genres: list[str], classifier: GenreClassifier, feature_scaler: StandardScaler,
    pca: PCA, bound: dict[str, Any],
) -> None:
    """:func:`select_model`'s checks of the local artefacts (see its doc)."""
    if classifier.name != model:
        raise IncompatibleArtefactsError(
            f"predict.model is {model!r} but the catalog loaded model "
            f"{classifier.name!r}; choose the model with `--params predict_model={model}`."
        )
    fingerprint = backbone_settings["fingerprint"]
    check_pca_fingerprint(pca_summary, fingerprint, "rerun `kedro run`")
    classifier.check_compatible(genres, fingerprint)
    check_hash_chain(model, classifier, feature_scaler, pca, bound, fingerprint)


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
        "model_hash": classifier_hash(bundle.classifier),
        "temperature": bundle.temperature,  # the calibration's (1.0: none)
        "calibrated": bundle.temperature != 1.0,
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

    Each painting is decoded once, keeping its size and a thumbnail. With
    ``predict.explain`` the same backbone pass also gives each batch's last feature maps,
    turned at once into the class activation maps of every genre
    (:func:`~art_genre.explain.explain_features`) and dropped batch by batch.

    Args:
        predict_images: The folder of new paintings (any layout): path → lazy loader.
        selection: Output of :func:`select_model` (backbone settings, batch size, model,
            and the scaler and PCA, for the maps only).
        params: The predict parameters.

    Returns:
        ``{"image_ids", "features", "sizes", "thumbnails"}`` (plus, with ``explain``,
        ``"explanation"``, an :class:`~art_genre.explain.Explanation` row-aligned with
        ``image_ids``, ``"panels"`` and ``"sources"``, the loaders of the paintings
        without a panel; see :func:`_keeping_views`) and the files that could not be used.
    """
    issues = IssueLog("predict", params.on_bad_input)
    views: dict[str, dict[str, Any]] = {}
    items = _items_keeping_views(predict_images, selection, params, issues, views)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    explained: list[Explanation] = []
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
    new_features: dict[str, Any] = {
        "image_ids": ids, "features": features, **_kept(views, ids, ("sizes", "thumbnails"))
    }
    if params.explain:
        n_genres = len(selection["classifier"].genres)
        new_features["explanation"] = _concatenate(explained, n_genres)
        new_features.update(_kept(views, ids, ("panels",)))
        new_features["sources"] = {
            i: predict_images[i] for i in ids if i not in new_features["panels"]
        }
    return new_features, issues.to_frame()


def _items_keeping_views(
    predict_images: dict[str, Callable[[], Any]], selection: dict[str, Any],
    params: PredictParams, issues: IssueLog, views: dict[str, dict[str, Any]],
) -> list[tuple[str, Callable[[], Any]]]:
    """The folder's images (:func:`_image_items`), each loader keeping its views."""
    settings = BackboneSettings(**selection["backbone"])
    draft = settings.image_size if settings.jpeg_draft else None  # as the features decode
    return [
        (image_id, _keeping_views(image_id, source, views, params, draft))
        for image_id, source in _image_items(predict_images, params, issues)
    ]


def _kept(
    views: dict[str, dict[str, Any]], ids: list[str], kinds: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """``{kind: {image id: view}}`` of the images with features (see :func:`_keeping_views`)."""
    return {kind: {i: views[i][kind] for i in ids if kind in views.get(i, {})} for kind in kinds}


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
                    top_k=len(selection["classifier"].genres),  # every genre's map
                )
        yield batch, explanation


THUMBNAIL_SIDE = 160
"""Longest side of a page thumbnail, in pixels (a JPEG of a few KB)."""


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _keeping_views(
    image_id: str, source: Callable[[], Any], views: dict[str, dict[str, Any]],
    params: PredictParams, draft: tuple[int, int] | None = None,
) -> Callable[[], Any]:
    """A loader that also keeps, in ``views[image_id]``, what the later nodes show.

    ``sizes``: the file's ``(width, height)``; ``thumbnails``: a JPEG at most
    :data:`THUMBNAIL_SIDE` a side; with ``explain``, ``panels``: the overlay panel as a
    JPEG (about 20 KB). The overlays and the page then need no second decoding of the
    file (costly for big paintings). A view that cannot be made is left out: the page
    shows no thumbnail, the overlay decodes the file itself. With ``draft`` (the
    backbone's ``(height, width)`` when ``jpeg_draft`` is on) a big JPEG is drafted first,
    exactly as the features' decoding would, so the views cost it no full-size decoding.
    """

    def load() -> Any:
        image = source()
        kept = views.setdefault(image_id, {"sizes": tuple(image.size)})
        try:
            if draft is not None:
                draft_jpeg(image, draft[1], draft[0])
            kept["thumbnails"] = _jpeg(to_display_image(image, THUMBNAIL_SIDE), 80)
            if params.explain:
                kept["panels"] = _jpeg(panel_image(image, params.overlay_height), 92)
        except Exception:  # noqa: BLE001 - the features' own decoding reports the file
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


MIN_SIDE = 32
"""An image smaller than this on a side is predicted with a warning in its row."""


def decide_genres(
    new_features: dict[str, Any],
    selection: dict[str, Any],
) -> dict[str, Any]:
    """The one decision per painting and genre (:func:`~.decision.decide`).

    Every later output (the table, the sidecar, the overlays, the page) shows these
    decisions; none decides again.

    Args:
        new_features: Output of :func:`extract_new_features`.
        selection: Output of :func:`select_model` (model, logit cuts, temperature, and
            the scaler and PCA the model was trained on).

    Returns:
        ``{"image_ids", "genres", "decisions"}``: the painting ids, the model's genres and
        the :class:`~.decision.Decisions`, row-aligned with the ids.
    """
    classifier: GenreClassifier = selection["classifier"]
    genres = [str(g) for g in classifier.genres]
    if new_features["image_ids"]:
        X = reduce_features(new_features["features"], selection["feature_scaler"],
                            selection["pca"])
        logits = classifier.decision_function(X)
    else:
        logits = np.empty((0, len(genres)))
    decisions = decide(logits, selection["thresholds"], selection["temperature"])
    return {"image_ids": list(new_features["image_ids"]), "genres": genres,
            "decisions": decisions}


def render_explanations(
    new_features: dict[str, Any],
    predict_decisions: dict[str, Any],
    params: PredictParams,
) -> dict[str, Callable[[], Any]]:
    """One overlay per painting: the painting and the map of each genre it was given.

    The maps are those of the assigned genres (most probable first, at most
    ``explain_max_maps``) and, when the most probable genre is not assigned, of that
    genre too, its panel marked ``not assigned``. Each map is drawn on its own scale
    with a colour bar (:func:`~art_genre.explain.overlay.render_overlay`). The paintings
    are not read again: each is drawn from the panel :func:`extract_new_features` kept
    (or, for the rare painting whose panel could not be made, from its loader).

    Args:
        new_features: Output of :func:`extract_new_features` (its ``explanation``,
            ``panels`` and ``sources``).
        predict_decisions: Output of :func:`decide_genres`.
        params: The predict parameters.

    Returns:
        ``{image id: callable}`` for the ``explanations`` partitioned dataset: each call
        draws one overlay (for PNG with a 256-colour palette:
        :func:`~art_genre.explain.overlay.compact`). Empty unless ``predict.explain``.
    """
    if not params.explain:
        return {}
    explanation: Explanation = new_features["explanation"]
    decisions: Decisions = predict_decisions["decisions"]
    genres = predict_decisions["genres"]

    def draw(i: int, image_id: str) -> Any:
        shown = shown_genres(decisions, i, params.explain_max_maps)
        column = {int(g): j for j, g in enumerate(explanation.genre_indices[i])}
        panel = new_features.get("panels", {}).get(image_id)
        overlay = render_overlay(
            Image.open(io.BytesIO(panel)) if panel else new_features["sources"][image_id](),
            explanation.maps[i, [column[g] for g in shown]],
            [genre_title(genres[g], decisions.probabilities[i, g]) for g in shown],
            notes=[
                "" if decisions.assigned[i, g]
                else f"not assigned: threshold {decisions.thresholds[g]:.2f}"
                for g in shown
            ],
            first_title=PurePosixPath(image_id).name,
            panel_height=params.overlay_height,
        )
        return compact(overlay) if params.overlay_format == "png" else overlay

    return {
        image_id: (lambda i=i, image_id=image_id: draw(i, image_id))
        for i, image_id in enumerate(new_features["image_ids"])
    }


def _small_image_warning(size: tuple[int, int] | None) -> str:
    if size is None or min(size) >= MIN_SIDE:
        return ""
    return (f"image is {size[0]}x{size[1]} px, under {MIN_SIDE} px on a side: "
            f"the prediction is unreliable")


def predict_genres(
    new_features: dict[str, Any],
    predict_issues: pd.DataFrame,
    selection: dict[str, Any],
    predict_decisions: dict[str, Any],
    training_manifest: dict[str, Any],
    params: PredictParams,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Genres of each new painting, with every decision shown, and the rule's sidecar.

    Args:
        new_features: Output of :func:`extract_new_features` (``sizes``).
        predict_issues: The files that could not be used, listed with their reason.
        selection: Output of :func:`select_model`.
        predict_decisions: Output of :func:`decide_genres`.
        training_manifest: The training run's manifest (``run_manifest.json``; may be
            empty), for the sidecar's ``training_run``.
        params: The predict parameters.

    Returns:
        The table, one row per file: ``file``, ``model``, then per rank ``n`` of the top
        ``k``: ``genre_n``, ``probability_n`` (calibrated), ``threshold_n`` (that genre's
        threshold on the same scale) and ``assigned_n`` (``probability_n >=
        threshold_n``); ``genres`` (every assigned genre, ``|``-joined, most probable
        first), ``warning`` (e.g. a tiny image), ``error`` (why a file got no
        prediction) and, with ``predict.explain``, ``explanation`` (the overlay's path
        relative to the table's folder). And the sidecar (:func:`~.decision.rule_record`).
    """
    genres = np.asarray(predict_decisions["genres"], dtype=object)
    decisions: Decisions = predict_decisions["decisions"]
    k = min(params.top_k, len(genres))
    columns = ["file", "model", *ranked_columns(k), "warning", "error"]
    rows = [
        [image_id, selection["model"], *ranked_cells(decisions, i, genres, k),
         _small_image_warning(new_features.get("sizes", {}).get(image_id)), ""]
        for i, image_id in enumerate(predict_decisions["image_ids"])
    ]
    for file, reason in zip(predict_issues["file"], predict_issues["reason"], strict=True):
        rows.append([file, selection["model"], *([""] * (len(columns) - 3)), reason])
    table = pd.DataFrame(rows, columns=columns)
    for warned in table.loc[table["warning"] != "", ["file", "warning"]].itertuples():
        logger.warning("%s: %s.", warned.file, warned.warning)
    if params.explain:
        explained = set(new_features["image_ids"])
        table["explanation"] = [
            explanation_file(f, params.overlay_format) if f in explained else ""
            for f in table["file"]
        ]
    table = table.sort_values("file", key=lambda s: s.map(_nfc), kind="stable")
    sidecar = rule_record(selection, list(genres), decisions.thresholds,
                          training_run_facts(training_manifest))
    return table.reset_index(drop=True), sidecar


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def training_run_facts(manifest: dict[str, Any] | None) -> dict[str, Any]:
    """What identifies the training run the model came from, read from its manifest."""
    if not manifest:
        return {}
    runtime = manifest.get("runtime_params") or {}
    return {
        "session_id": manifest.get("session_id"),
        "finished_at": manifest.get("finished_at"),
        "git_commit": (manifest.get("git") or {}).get("commit"),
        "env": manifest.get("env"),
        "data_dir": runtime.get("data_dir"),
        "manifest": "data/08_reporting/run_manifest.json",
    }
