"""Project pipelines: every pipeline by name, and the default flow.

The registry is written out rather than discovered (``find_pipelines``): ``snn``,
``bnn`` and ``adam`` are instances of one template (``pipelines/networks``), not
folders of their own.
"""

from __future__ import annotations

import warnings

from kedro.pipeline import Pipeline

from art_genre.pipelines import (
    ablations,
    baselines,
    bundle,
    data_processing,
    feature_engineering,
    networks,
    predict,
    reporting,
    thresholds,
)

# Pipelines that are run on request only, never as part of the default training flow:
# predict (new paintings) and ablations (what each fix to the study changes).
ON_REQUEST = ("predict", "ablations")


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under its name, and the default flow.

    Returns:
        ``data_processing``, ``feature_engineering``, ``snn``, ``bnn``, ``adam``,
        ``baselines``, ``reporting`` (with ``thresholds``: tuning thresholds and binding
        them to their models go together, and ``bundle``, the hand-off), ``thresholds``,
        ``bundle``, ``predict``, ``ablations``,
        and ``__default__``: the whole training and reporting flow (everything but
        :data:`ON_REQUEST`).
    """
    with warnings.catch_warnings():
        # The models' datasets are namespaced (`snn.model`, `adam.thresholds`): the dots
        # are Kedro's namespaces, read outside them by baselines, predict and bundle.
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'")
        pipelines = _pipelines()
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in ON_REQUEST), Pipeline([])
    )
    return pipelines


def _pipelines() -> dict[str, Pipeline]:
    """Every named pipeline (see :func:`register_pipelines`)."""
    pipelines = {
        "data_processing": data_processing.create_pipeline(),
        "feature_engineering": feature_engineering.create_pipeline(),
        **networks.create_pipelines(),
        "baselines": baselines.create_pipeline(),
        "reporting": (
            reporting.create_pipeline() + thresholds.create_pipeline()
            + bundle.create_pipeline()
        ),
        "bundle": bundle.create_pipeline(),
        "thresholds": thresholds.create_pipeline(),
        "predict": predict.create_pipeline(),
        "ablations": ablations.create_pipeline(),
    }
    return pipelines
