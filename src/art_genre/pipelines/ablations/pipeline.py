"""Wiring of ``ablations`` (run on request: ``kedro run --pipelines ablations``)."""

from kedro.pipeline import Node, Pipeline

from art_genre.tags import REPORT, TRAIN

from .nodes import ablation_model_inputs, run_ablations
from .report import ablation_report, plot_ablation_effects


def create_pipeline(**kwargs) -> Pipeline:
    """Cached features → model input with the PCA on train and on all images → every
    configuration over the seeds → effects with intervals → plot and report."""
    return Pipeline(
        [
            Node(
                ablation_model_inputs,
                inputs=["painting_features", "painting_index", "genre_vocabulary",
                        "params:feature_engineering"],
                outputs="ablation_model_inputs",
                name="ablation_model_inputs",
                tags=TRAIN,  # in memory, for run_ablations only
            ),
            Node(
                run_ablations,
                inputs=["ablation_model_inputs", "params:snn", "params:adam",
                        "params:bnn_study", "params:ablations"],
                outputs=["ablation_results", "ablation_effects"],
                name="run_ablations",
                tags=TRAIN,
            ),
            Node(plot_ablation_effects, inputs="ablation_effects",
                 outputs="plot_ablation_effects", name="plot_ablation_effects", tags=REPORT),
            Node(
                ablation_report,
                inputs=["ablation_effects", "ablation_results", "plot_ablation_effects",
                        "params:reporting.data_dir"],
                outputs=["ablations_md", "ablations_html"],
                name="ablation_report",
                tags=REPORT,
            ),
        ],
        namespace="ablations",
        prefix_datasets_with_namespace=False,
    )
