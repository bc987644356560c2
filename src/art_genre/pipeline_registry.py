"""Project pipelines: every pipeline by name, and the default flow.

Written out rather than discovered (``find_pipelines``): ``snn``, ``bnn`` and ``adam``
are instances of one template (``pipelines/networks``), not folders of their own. Like
Kedro's discovery, the registry builds only the pipelines a command asks for
(``kedro run --pipelines snn`` imports nothing of the other pipelines: no TensorFlow),
and every pipeline when it is asked for all (``kedro run``, ``kedro viz``).
"""

from __future__ import annotations

import importlib
import warnings

from kedro.pipeline import Pipeline

NETWORKS = ("snn", "bnn", "adam")
"""Pipelines made from the ``networks`` template (``bnn`` trains ``bnn`` and
``bnn_study``)."""

PIPELINES = (
    "data_processing", "feature_engineering", *NETWORKS, "baselines", "reporting",
    "thresholds", "bundle", "predict", "ablations",
)
"""Every registered pipeline (besides ``__default__``), in the order of the flow."""

ON_REQUEST = ("predict", "ablations")
"""Pipelines run on request only, never as part of the default training flow: predict
(new paintings) and ablations (what each fix to the study changes)."""

PART_OF = {"reporting": ("thresholds", "bundle")}
"""Pipelines that run inside another: binding the thresholds to their models and
building the hand-off bundle go with reporting."""


def create(name: str) -> Pipeline:
    """The pipeline registered as ``name`` (one of :data:`PIPELINES`), with the
    pipelines that run inside it (:data:`PART_OF`)."""
    if name in NETWORKS:
        from art_genre.pipelines.networks import create_pipelines

        return create_pipelines()[name]
    pipeline = importlib.import_module(f"art_genre.pipelines.{name}").create_pipeline()
    return sum((create(part) for part in PART_OF.get(name, ())), pipeline)


def requested_pipelines() -> set[str] | None:
    """The pipelines the running command asked for, as Kedro records them for its own
    discovery (``find_pipelines``); ``None``: every pipeline."""
    from kedro.framework.project import pipelines

    names = getattr(pipelines, "_requested_pipelines", None)
    return None if names is None or "__default__" in names else set(names)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the pipelines asked for, or every pipeline and the default flow.

    Returns:
        ``{name: pipeline}`` for the requested names among :data:`PIPELINES`; when all
        are asked for, every one of them and ``__default__``: the whole training and
        reporting flow (everything but :data:`ON_REQUEST`).
    """
    requested = requested_pipelines()
    names = [n for n in PIPELINES if requested is None or n in requested]
    with warnings.catch_warnings():
        # The models' datasets are namespaced (`snn.model`, `adam.thresholds`): the dots
        # are Kedro's namespaces, read outside them by baselines, predict and bundle.
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'")
        pipelines = {name: create(name) for name in names}
    if requested is None:
        pipelines["__default__"] = sum(
            (p for name, p in pipelines.items() if name not in ON_REQUEST), Pipeline([])
        )
    return pipelines
