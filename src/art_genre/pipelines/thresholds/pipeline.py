"""Wiring of the ``thresholds`` pipeline: one node per model, after reporting."""

import warnings

from kedro.pipeline import Node, Pipeline

from art_genre.modelling import MODEL_NAMES
from art_genre.tags import EVALUATE

from .nodes import bind_thresholds


def create_pipeline(**kwargs) -> Pipeline:
    """``thresholds`` (all models) + ``<model>.model`` → ``<model>.thresholds`` (versioned).

    Part of the default flow and of ``kedro run --pipelines reporting`` (see the pipeline
    registry). The nodes are outside the models' namespaces on purpose: retraining one
    model (``kedro run --namespaces snn``) must not bind the old thresholds to the new
    model; ``predict`` then refuses the pair until reporting has run.
    """
    with warnings.catch_warnings():
        # `snn.model` & co. are the model pipelines' namespaced datasets.
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'")
        return Pipeline(
            [
                Node(
                    bind_thresholds,
                    inputs=["thresholds", f"{m}.model", f"params:{m}.name"],
                    outputs=f"{m}.thresholds",
                    name=f"bind_thresholds_{m}",
                    tags=EVALUATE,
                )
                for m in MODEL_NAMES
            ],
            # Drawn in kedro-viz inside the reporting group, which runs them.
            namespace="reporting",
            prefix_datasets_with_namespace=False,
        )
