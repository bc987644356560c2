"""Nodes of ``bundle``: one model and everything it needs, checked, in one object."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from art_genre import mlflow_runs
from art_genre.modelling.bundle import ModelBundle, assemble_bundle

from .params import BundleParams


def build_model_bundle(
    params: BundleParams,
    backbone_settings: dict[str, Any],
    pca_summary: dict[str, Any],
    genre_vocabulary: MultiLabelBinarizer,
    feature_scaler: StandardScaler,
    pca: PCA,
    **artefacts: Any,
) -> ModelBundle:
    """The bundle of ``params.model``: backbone settings, scaler, PCA, head, thresholds.

    Checked as ``predict`` checks its artefacts (same backbone, vocabulary, PCA, scaler,
    and thresholds bound to this very head) before anything is written
    (:func:`art_genre.modelling.bundle.assemble_bundle`). The calibration is the model's
    temperature fitted on validation by the reporting pipeline (its primary seed's, as
    ``predict`` applies it).

    Args:
        params: The bundle parameters (``params.model`` names the model).
        backbone_settings: The settings feature_engineering saved.
        pca_summary: The PCA's summary (its ``fingerprint``).
        genre_vocabulary: The saved vocabulary.
        feature_scaler: The saved scaler.
        pca: The saved PCA.
        **artefacts: ``<model>_model``, ``<model>_thresholds`` and
            ``<model>_calibration`` of every model.

    Returns:
        The :class:`~art_genre.modelling.bundle.ModelBundle`.

    Raises:
        IncompatibleArtefactsError: If the artefacts were not made together.
    """
    return assemble_bundle(
        params.model, backbone_settings, pca_summary,
        [str(g) for g in genre_vocabulary.classes_], feature_scaler, pca,
        artefacts[f"{params.model}_model"], artefacts[f"{params.model}_thresholds"],
        calibration={"temperature": float(calibration["temperature"])}
        if (calibration := artefacts.get(f"{params.model}_calibration")) else None,
    )


def serving_model(
    model_bundle: ModelBundle, painting_index: pd.DataFrame, params: BundleParams
) -> dict[str, Any]:
    """What the MLflow model is logged from: the bundle and an input example.

    Args:
        model_bundle: Output of :func:`build_model_bundle`.
        painting_index: The painting index (the example's images are its first rows).
        params: The bundle parameters (the data folder, the example's size).

    Returns:
        ``{"bundle", "input_example"}``; the example is a DataFrame with a ``path``
        column of ``params.example_images`` images of the data folder.

    Raises:
        ValueError: If the painting index is empty.
    """
    if painting_index.empty:
        raise ValueError("The painting index is empty: no image for the input example.")
    ids = painting_index["image_id"].head(params.example_images)
    paths = [str(PurePosixPath(params.data_dir) / image_id) for image_id in ids]
    return {"bundle": model_bundle, "input_example": pd.DataFrame({"path": paths})}


def headline_metrics(results: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    """The run's headline metrics for MLflow: the test mean per model and metric.

    At most 100 (:func:`art_genre.mlflow_runs.headline_metrics`); the full table,
    ``results.csv``, is logged as an artifact.

    Args:
        results: ``results.csv`` (one row per model, seed, split, thresholds, metric).

    Returns:
        ``{name: {"value", "step"}}``, as kedro-mlflow's ``MlflowMetricsHistoryDataset``
        takes it.
    """
    return {name: {"value": value, "step": 0}
            for name, value in mlflow_runs.headline_metrics(results).items()}
