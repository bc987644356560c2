"""Wiring of ``baselines``: one namespaced node per baseline (see ``nodes.BASELINES``)."""

from kedro.pipeline import Node, Pipeline

from .nodes import BASELINES, fit_baseline


def baseline_pipeline(name: str) -> Pipeline:
    """Fit baseline ``name`` over the seeds; writes ``<name>.predictions`` and ``.timing``.

    The shared ``params:baselines`` stays un-namespaced; ``params:<name>.name`` names the
    baseline, as ``params:<model>.name`` does for the networks.
    """
    template = Pipeline(
        [
            Node(
                fit_baseline,
                inputs=["model_input", "params:baselines", "params:name"],
                outputs=["predictions", "timing"],
                name="fit_baseline",
            )
        ]
    )
    return Pipeline(
        template,
        namespace=name,
        inputs={"model_input"},
        parameters={"params:baselines": "params:baselines"},
    )


def create_pipeline(**kwargs) -> Pipeline:
    """The genre prior, one-vs-rest logistic regression and ``MLPClassifier(512, 256)``
    on the networks' model input (parameters: ``parameters_baselines.yml``)."""
    return sum((baseline_pipeline(name) for name in BASELINES), Pipeline([]))
