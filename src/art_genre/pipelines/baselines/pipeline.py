"""Wiring of ``baselines``: one namespaced node per baseline (see ``nodes.BASELINES``)."""

from kedro.pipeline import Node, Pipeline

from art_genre.tags import TRAIN

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
                tags=TRAIN,
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
    # The three are grouped in kedro-viz under ``baselines`` (nodes
    # ``baselines.prior.fit_baseline`` & co.); their datasets keep their names.
    return Pipeline(
        [baseline_pipeline(name) for name in BASELINES],
        namespace="baselines",
        prefix_datasets_with_namespace=False,
    )
