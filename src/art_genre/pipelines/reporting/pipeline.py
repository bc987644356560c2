"""Wiring of the ``reporting`` pipeline (no logic here: see ``nodes``, ``plots``, ``report``)."""

import warnings

from kedro.pipeline import Node, Pipeline

from art_genre.modelling import BASELINE_NAMES, MODEL_NAMES
from art_genre.tags import EVALUATE, REPORT

from .gallery import explain_gallery
from .nodes import (
    collect_timings,
    evaluate_models,
    fit_calibration,
    gather_by_model,
    gather_networks,
)
from .plots import (
    plot_bnn_residuals,
    plot_genre_cooccurrence,
    plot_genre_distribution,
    plot_model_comparison,
    plot_pca_variance,
    plot_per_genre_f1,
    plot_reliability,
    plot_top1_confusion,
    plot_training_curves,
)
from .report import build_report

# Kedro needs a node's inputs when the pipeline is built, before parameters are read, so
# the models are wired here by name: every one of them must have been trained (its
# `<m>.predictions`, `<m>.history`, `<m>.timing` exist). The parameter `reporting.models`
# (default: every network and baseline) then picks which of them are reported, and in
# which order.
# Adding a model: add its name to `art_genre.modelling.MODEL_NAMES` and `reporting.models`.
# The baselines (`BASELINE_NAMES`) have predictions and timings but no history.
MODELS = MODEL_NAMES + BASELINE_NAMES

# Plot name -> node function and its inputs; each figure is saved to `plot_<name>`
# (data/08_reporting/plots/<name>.png) and read back as PNG bytes by the report.
PLOTS = {
    "training_curves": (plot_training_curves, ["reporting_histories", "results"]),
    "model_comparison": (
        plot_model_comparison,
        ["intervals", "results", "timings", "params:reporting"],
    ),
    "per_genre_f1": (plot_per_genre_f1, ["per_genre_metrics"]),
    "genre_distribution": (plot_genre_distribution, ["split_summary"]),
    "pca_variance": (plot_pca_variance, ["pca_summary"]),
    "bnn_residuals": (plot_bnn_residuals, ["reporting_histories"]),
    "genre_cooccurrence": (plot_genre_cooccurrence, ["painting_index"]),
    "top1_confusion": (plot_top1_confusion, ["reporting_predictions"]),
    "reliability": (
        plot_reliability,
        ["reporting_predictions", "reporting_calibrations", "params:reporting.calibration"],
    ),
}


def _gather(kind: str, source: str, networks_only: bool = False) -> Node:
    """A node collecting ``source`` (e.g. ``"{m}.predictions"``) of every model into one dict.

    ``networks_only``: the output only the networks have (history, parameters).
    """
    with warnings.catch_warnings():
        # `snn.predictions` & co. are the model pipelines' namespaced outputs: their dots
        # are Kedro's namespaces, which Kedro's dotted-name warning is about.
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'")
        return Node(
            gather_networks if networks_only else gather_by_model,
            inputs={
                "models": "params:reporting.models",
                **{
                    m: source.format(m=m)
                    for m in (MODEL_NAMES if networks_only else MODELS)
                },
            },
            outputs=f"reporting_{kind}",
            name=f"gather_{kind}",
            # In memory: a gather runs with whichever stage reads it.
            tags=[EVALUATE, REPORT] if kind in ("predictions", "calibrations") else REPORT,
        )


def _calibrate(model: str) -> Node:
    """The node fitting ``model``'s temperature on validation (``<model>.calibration``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "One or more dataset names contain '.'")
        return Node(
            fit_calibration,
            inputs=[f"{model}.predictions", "params:reporting.calibration"],
            outputs=f"{model}.calibration",
            name=f"fit_calibration_{model}",
            tags=EVALUATE,
        )


# long: wiring only, one Node(...) per step and no logic (see nodes.py)
def create_pipeline(**kwargs) -> Pipeline:
    """Model and baseline outputs → results table, metrics, intervals, paired tests,
    tuned thresholds, timings, plots, Markdown and HTML report."""
    return Pipeline(
        [
            _gather("predictions", "{m}.predictions"),
            _gather("histories", "{m}.history", networks_only=True),
            _gather("timings", "{m}.timing"),
            _gather("model_params", "params:{m}", networks_only=True),
            *(_calibrate(m) for m in MODELS),
            _gather("calibrations", "{m}.calibration"),
            Node(
                evaluate_models,
                inputs=[
                    "reporting_predictions",
                    "reporting_calibrations",
                    "split_summary",
                    "painting_index",
                    "params:reporting",
                ],
                outputs=[
                    "results",
                    "metrics",
                    "thresholds",
                    "per_genre_metrics",
                    "intervals",
                    "pairwise",
                ],
                name="evaluate_models",
                tags=EVALUATE,
            ),
            Node(
                collect_timings,
                inputs=["reporting_timings", "reporting_histories"],
                outputs="timings",
                name="collect_timings",
                tags=REPORT,
            ),
            *(
                Node(
                    func,
                    inputs=inputs,
                    outputs=f"plot_{name}",
                    name=f"plot_{name}",
                    tags=REPORT,
                )
                for name, (func, inputs) in PLOTS.items()
            ),
            Node(
                build_report,
                inputs={
                    "results": "results",
                    "intervals": "intervals",
                    "pairwise": "pairwise",
                    "per_genre_metrics": "per_genre_metrics",
                    "thresholds": "thresholds",
                    "timings": "timings",
                    "histories": "reporting_histories",
                    "model_params": "reporting_model_params",
                    "calibrations": "reporting_calibrations",
                    "split_summary": "split_summary",
                    "data_quality_report": "data_quality_report",
                    "feature_issues": "feature_issues",
                    "pca_summary": "pca_summary",
                    "feature_engineering_params": "params:feature_engineering",
                    "reporting_params": "params:reporting",
                    **{name: f"plot_{name}" for name in PLOTS},
                    "cam_gallery": "plot_cam_gallery",
                },
                outputs=["report_md", "report_html"],
                name="build_report",
                tags=REPORT,
            ),
            # Why this genre (issue 15): test paintings of `reporting.gallery_model`, right
            # and wrong, with their class activation maps (.gallery).
            Node(
                explain_gallery,
                inputs={
                    "reporting_predictions": "reporting_predictions",
                    "painting_images": "painting_images",
                    "backbone_settings": "backbone_settings",
                    "feature_scaler": "feature_scaler",
                    "pca": "pca",
                    "gallery_model": "params:reporting.gallery_model",
                    "gallery_images": "params:reporting.gallery_images",
                    **{f"{m}_model": f"{m}.model" for m in MODEL_NAMES},
                },
                outputs="plot_cam_gallery",
                name="plot_cam_gallery",
                tags=REPORT,
            ),
        ],
        # One collapsible group in kedro-viz; the dataset names stay as they are.
        namespace="reporting",
        prefix_datasets_with_namespace=False,
    )
