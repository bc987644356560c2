"""Project pipelines."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Pipelines that are run on request only, never as part of the default training flow:
# predict (new paintings) and ablations (what each fix to the study changes).
ON_REQUEST = ("predict", "ablations")


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline under its folder's name, and the default flow.

    Returns:
        ``data_processing``, ``feature_engineering``, ``snn``, ``bnn``, ``adam``,
        ``reporting`` (with ``thresholds``: each model's thresholds bound to its hash),
        ``thresholds``, ``predict`` (as far as present), and ``__default__``: the whole
        training and reporting flow (everything but ``predict``).
    """
    pipelines = find_pipelines(raise_errors=True)
    if "reporting" in pipelines:
        # Tuning thresholds and binding them to their models go together. (Imported
        # here: Kedro 1.7 finds only the pipelines a run asks for.)
        from art_genre.pipelines.thresholds import create_pipeline as bind_thresholds

        pipelines["reporting"] = pipelines["reporting"] + bind_thresholds()
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in ON_REQUEST), Pipeline([])
    )
    return pipelines
