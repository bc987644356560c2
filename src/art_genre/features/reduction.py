"""Feature reduction: the scaler and PCA fitted on the training split, and the model input.

Shared by the ``feature_engineering`` pipeline (which fits them), ``predict`` (which
reduces new paintings' features with the saved ones: :func:`reduce_features`), the class
activation maps (:mod:`art_genre.explain.cam`) and ``ablations`` (which refits them on
all images to measure the study's leak).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from art_genre.artefacts import transform_hash
from art_genre.features.params import FeatureEngineeringParams, PCAParams
from art_genre.labels import genre_lists

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
WIDE_FEATURES = 20_000
"""Above this width ``solver: auto`` uses the randomized PCA (ResNet50 ``flatten``)."""


def check_n_components(params: PCAParams, n_fit: int, width: int) -> None:
    """Refuse more PCA components than fitted images or feature columns.

    Args:
        params: The PCA parameters.
        n_fit: Images the PCA is fitted on (training images, or all with
            ``fit_on: all``).
        width: Feature columns.

    Raises:
        ValueError: Naming ``feature_engineering.pca.n_components`` and the limit.
    """
    if params.n_components > min(n_fit, width):
        rows = "training images" if params.fit_on == "train" else "images (fit_on: all)"
        raise ValueError(
            f"feature_engineering.pca.n_components={params.n_components} is more than "
            f"the {n_fit} {rows} or the feature width {width} allow; "
            f"use at most {min(n_fit, width)}."
        )


def _split_rows(painting_features: dict[str, Any], painting_index: pd.DataFrame) -> pd.Series:
    """The split of every feature row, in feature order."""
    split = painting_index.set_index("image_id")["split"]
    return split.loc[painting_features["image_ids"]].reset_index(drop=True)


def _make_pca(params: PCAParams, width: int) -> PCA | IncrementalPCA:
    if params.solver == "incremental":
        return IncrementalPCA(n_components=params.n_components, batch_size=params.batch_size)
    solver = params.solver
    if solver == "auto":
        solver = "randomized" if width > WIDE_FEATURES else "full"
    return PCA(
        n_components=params.n_components, svd_solver=solver, random_state=params.random_state
    )


def fit_pca(
    painting_features: dict[str, Any],
    painting_index: pd.DataFrame,
    params: FeatureEngineeringParams,
) -> tuple[StandardScaler, PCA | IncrementalPCA, dict[str, Any]]:
    """Fit the scaler and the PCA on the training split only (``pca.fit_on: train``).

    The study fitted its PCA on every image before splitting, so the test images shaped
    the features the models saw (leakage). By default the validation and test images are
    only transformed; ``pca.fit_on: all`` reproduces the study's leak (scaler and PCA
    fitted on every image, test included) to measure it.

    Args:
        painting_features: Output of
            :func:`~art_genre.pipelines.feature_engineering.nodes.assemble_features`.
        painting_index: The index from ``data_processing`` (its ``split`` column).
        params: The pipeline's parameters.

    Returns:
        The fitted scaler (identity unless ``pca.standardize``), the fitted PCA and a
        summary of the explained variance for reporting.

    Raises:
        ValueError: If ``pca.n_components`` exceeds the fitted images or the width.
    """
    pca_params = params.pca
    splits = _split_rows(painting_features, painting_index)
    n_train = int((splits == "train").sum())
    if pca_params.fit_on == "train":
        rows = painting_features["features"][(splits == "train").to_numpy()]
    else:
        rows = painting_features["features"]
    n_fit, width = rows.shape
    check_n_components(pca_params, n_fit, width)
    scaler = StandardScaler(with_mean=pca_params.standardize, with_std=pca_params.standardize)
    scaled = scaler.fit_transform(rows)
    pca = _make_pca(pca_params, width)
    pca.fit(scaled)
    summary = _pca_summary(pca, pca_params, n_train, n_fit, width)
    summary["fingerprint"] = painting_features["fingerprint"]
    logger.info(
        "PCA (fitted on %s): %d components explain %.1f%% of the variance it was fitted on.",
        summary["fitted_on"],
        pca_params.n_components,
        100 * summary["cumulative_explained_variance"][-1],
    )
    return scaler, pca, summary


def _pca_summary(
    pca: PCA | IncrementalPCA, pca_params: PCAParams, n_train: int, n_fit: int, width: int
) -> dict[str, Any]:
    """What the report says of a fitted PCA (all but the features' ``fingerprint``)."""
    ratio = [float(r) for r in pca.explained_variance_ratio_]
    return {
        "n_components": pca_params.n_components,
        "n_train": int(n_train),
        "feature_width": int(width),
        "solver": type(pca).__name__
        + ("" if isinstance(pca, IncrementalPCA) else f" ({pca.svd_solver})"),
        "standardize": pca_params.standardize,
        "explained_variance_ratio": ratio,
        "cumulative_explained_variance": [float(c) for c in np.cumsum(ratio)],
        "fit_on": pca_params.fit_on,
        "n_fit": int(n_fit),
        "fitted_on": (
            "train split only"
            if pca_params.fit_on == "train"
            else f"all {n_fit} images, test included (the study's leak), not only the "
            "training split"
        ),
    }


def reduce_features(
    features: np.ndarray, scaler: StandardScaler, pca: PCA | IncrementalPCA
) -> np.ndarray:
    """Scale and project raw backbone features: what training and ``predict`` both use."""
    return pca.transform(scaler.transform(features)).astype(np.float32)


def build_model_input(
    painting_features: dict[str, Any],
    painting_index: pd.DataFrame,
    genre_vocabulary: MultiLabelBinarizer,
    feature_scaler: StandardScaler,
    pca: PCA | IncrementalPCA,
) -> dict[str, Any]:
    """Reduced features and multi-hot targets of the train, val and test splits.

    Args:
        painting_features: Output of
            :func:`~art_genre.pipelines.feature_engineering.nodes.assemble_features`.
        painting_index: The index from ``data_processing``.
        genre_vocabulary: The fitted ``MultiLabelBinarizer`` (column order of ``Y``).
        feature_scaler: Output of :func:`fit_pca`.
        pca: Output of :func:`fit_pca`.

    Returns:
        ``{"genres": [...], "fingerprint": str, "pca_hash": str, "scaler_hash": str,
        "train": {"image_ids", "X", "Y"}, "val": {...}, "test": {...}}`` (the hashes:
        :func:`~art_genre.artefacts.transform_hash` of the PCA and scaler, which the
        models record) with ``X`` float32 ``(n, n_components)`` and ``Y``
        float32 ``(n, n_genres)``.
    """
    reduced = reduce_features(painting_features["features"], feature_scaler, pca)
    ids = np.asarray(painting_features["image_ids"], dtype=object)
    rows = painting_index.set_index("image_id").loc[ids].reset_index()
    targets = genre_vocabulary.transform(genre_lists(rows)).astype(np.float32)
    model_input: dict[str, Any] = {
        "genres": [str(g) for g in genre_vocabulary.classes_],
        "fingerprint": painting_features["fingerprint"],
        "pca_hash": transform_hash(pca),
        "scaler_hash": transform_hash(feature_scaler),
    }
    for name in SPLITS:
        mask = (rows["split"] == name).to_numpy()
        model_input[name] = {
            "image_ids": ids[mask].tolist(),
            "X": reduced[mask],
            "Y": targets[mask],
        }
    return model_input
