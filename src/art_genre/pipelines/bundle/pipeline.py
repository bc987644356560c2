"""Wiring of the ``bundle`` pipeline: after the thresholds are bound (with reporting)."""

from kedro.pipeline import Node, Pipeline

from art_genre.modelling import MODEL_NAMES
from art_genre.tags import EVALUATE

from .nodes import build_model_bundle, headline_metrics, serving_model


def create_pipeline(**kwargs) -> Pipeline:
    """Saved artefacts → ``model_bundle`` (versioned) → ``bundle_model`` (MLflow), and
    ``results`` → ``headline_metrics`` (MLflow).

    Every model is an input so that the choice is a parameter (``bundle.model``). Part
    of ``kedro run --pipelines reporting`` and of the default flow.
    """
    return Pipeline(
        [
            Node(
                build_model_bundle,
                inputs={
                    "params": "params:bundle",
                    "backbone_settings": "backbone_settings",
                    "pca_summary": "pca_summary",
                    "genre_vocabulary": "genre_vocabulary",
                    "feature_scaler": "feature_scaler",
                    "pca": "pca",
                    **{f"{m}_model": f"{m}.model" for m in MODEL_NAMES},
                    **{f"{m}_thresholds": f"{m}.thresholds" for m in MODEL_NAMES},
                    **{f"{m}_calibration": f"{m}.calibration" for m in MODEL_NAMES},
                },
                outputs="model_bundle",
                name="build_model_bundle",
            ),
            Node(
                serving_model,
                inputs=["model_bundle", "painting_index", "params:bundle"],
                outputs="bundle_model",
                name="log_bundle_model",
            ),
            Node(
                headline_metrics,
                inputs="results",
                outputs="headline_metrics",
                name="headline_metrics",
            ),
        ],
        # Drawn in kedro-viz inside the reporting group, which runs them.
        namespace="reporting",
        prefix_datasets_with_namespace=False,
        tags=EVALUATE,
    )
