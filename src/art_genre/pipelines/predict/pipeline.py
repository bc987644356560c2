"""Wiring of the ``predict`` pipeline (on request only: not part of ``__default__``)."""

from kedro.pipeline import Node, Pipeline

from art_genre.tags import PREDICT

from .nodes import (
    decide_genres,
    extract_new_features,
    predict_genres,
    render_explanations,
    select_model,
)
from .page import build_predictions_page


# long: wiring only, one Node(...) per step and no logic (see nodes.py)
def create_pipeline(**kwargs) -> Pipeline:
    """New paintings → the training backbone, scaler and PCA → a chosen model → genres.

    Run after training: ``kedro run --pipelines predict --params
    predict_dir=PATH,predict_model=adam``. Only the chosen model and its thresholds are
    loaded (the catalog's ``predict_model`` and ``predict_thresholds`` follow
    ``predict_model``), and checked before any image is read. One node decides every
    genre (``decide_genres``: probability >= threshold, calibrated when the model is);
    the table, its sidecar (``prediction_rule``), the overlays (``explanations``, with
    ``predict.explain``) and the page (``predictions_page``) show its decisions.
    """
    return Pipeline(
        [
            Node(
                select_model,
                inputs={
                    "params": "params:predict",
                    "backbone_settings": "backbone_settings",
                    "pca_summary": "pca_summary",
                    "genre_vocabulary": "genre_vocabulary",
                    "feature_scaler": "feature_scaler",
                    "pca": "pca",
                    "model": "predict_model",
                    "model_thresholds": "predict_thresholds",
                    "registered_bundle": "registered_bundle",
                    "calibration": "predict_calibration",
                },
                outputs="predict_selection",
                name="select_model",
            ),
            Node(
                extract_new_features,
                inputs=[
                    "predict_images",
                    "predict_selection",
                    "params:predict",
                ],
                outputs=["new_painting_features", "predict_issues"],
                name="extract_new_features",
            ),
            Node(
                decide_genres,
                inputs=["new_painting_features", "predict_selection"],
                outputs="predict_decisions",
                name="decide_genres",
            ),
            Node(
                predict_genres,
                inputs=[
                    "new_painting_features",
                    "predict_issues",
                    "predict_selection",
                    "predict_decisions",
                    "training_manifest",
                    "params:predict",
                ],
                outputs=["predictions", "prediction_rule"],
                name="predict_genres",
            ),
            Node(
                render_explanations,
                inputs=["new_painting_features", "predict_decisions", "params:predict"],
                outputs="explanations",
                name="render_explanations",
            ),
            Node(
                build_predictions_page,
                inputs=["predictions", "prediction_rule", "new_painting_features"],
                outputs="predictions_page",
                name="build_predictions_page",
            ),
        ],
        namespace="predict",
        prefix_datasets_with_namespace=False,
        tags=PREDICT,
    )
