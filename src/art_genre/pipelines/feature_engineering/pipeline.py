"""Wiring of the ``feature_engineering`` pipeline (no logic here: see ``nodes.py``)."""

from kedro.pipeline import Node, Pipeline

from art_genre.tags import EXTRACT, REDUCE

from .nodes import (
    assemble_features,
    build_model_input,
    describe_backbone,
    digest_images,
    extract_features,
    fit_pca,
)


# long: wiring only, one Node(...) per step and no logic (see nodes.py)
def create_pipeline(**kwargs) -> Pipeline:
    """Images → backbone features (cached by batch) → PCA fitted on train → model input.

    ``cached_feature_shards`` and ``feature_shards`` are the same folder: the first is
    what the cache held before the run, the second what the run adds.
    """
    return Pipeline(
        [
            Node(
                digest_images,
                inputs=["painting_digests", "painting_index"],
                outputs="image_digests",
                name="digest_images",
                tags=EXTRACT,
            ),
            Node(
                extract_features,
                inputs=[
                    "painting_images",
                    "painting_index",
                    "cached_feature_shards",
                    "params:feature_engineering",
                    "image_digests",
                ],
                outputs="feature_shards",
                name="extract_features",
                tags=EXTRACT,
            ),
            Node(
                assemble_features,
                inputs=[
                    "feature_shards",
                    "painting_index",
                    "params:feature_engineering",
                    "image_digests",
                ],
                outputs=["painting_features", "feature_issues"],
                name="assemble_features",
                tags=EXTRACT,
            ),
            Node(
                describe_backbone,
                inputs="params:feature_engineering",
                outputs="backbone_settings",
                name="describe_backbone",
                tags=EXTRACT,
            ),
            Node(
                fit_pca,
                inputs=["painting_features", "painting_index", "params:feature_engineering"],
                outputs=["feature_scaler", "pca", "pca_summary"],
                name="fit_pca",
                tags=REDUCE,
            ),
            Node(
                build_model_input,
                inputs=[
                    "painting_features",
                    "painting_index",
                    "genre_vocabulary",
                    "feature_scaler",
                    "pca",
                ],
                outputs="model_input",
                name="build_model_input",
                tags=REDUCE,
            ),
        ],
        # One collapsible group in kedro-viz; the dataset names stay as they are.
        namespace="feature_engineering",
        prefix_datasets_with_namespace=False,
    )
