"""The ``networks`` template, instantiated once per model under its own namespace.

The registry turns it into the pipelines ``snn``, ``bnn`` and ``adam``
(:data:`NETWORK_PIPELINES`); each model's parameters are ``conf/base/parameters_<name>.yml``.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from art_genre.modelling import ADAM, BNN, BNN_STUDY, SNN
from art_genre.tags import TRAIN

from .nodes import predict_splits, train_model

NETWORK_PIPELINES = {SNN: (SNN,), BNN: (BNN, BNN_STUDY), ADAM: (ADAM,)}
"""Each pipeline of the study's three networks and the models it trains. ``bnn`` trains
two: gradient boosting in logit space (``bnn``) and the study's scheme (``bnn_study``:
nets fitted to renormalised residuals, outputs averaged), so the report shows what the
fix changes."""


def network_pipeline(name: str) -> Pipeline:
    """Train one model and predict the validation and test splits, in namespace ``name``.

    Reads the shared ``model_input`` and the parameters ``params:<name>.model``; writes
    ``<name>.model`` (versioned: the first seed's, for ``predict``),
    ``<name>.seed_models`` (every seed's, in memory), ``<name>.history``, ``<name>.predictions`` and
    ``<name>.timing``.

    Args:
        name: The namespace, a name of the roster (e.g. ``snn``).

    Returns:
        The namespaced pipeline.
    """
    template = Pipeline(
        [
            Node(
                train_model,
                inputs=["model_input", "params:model", "params:name"],
                outputs=["model", "seed_models", "history"],
                name="train_model",
                tags=TRAIN,
            ),
            Node(
                predict_splits,
                inputs=["seed_models", "model_input"],
                outputs=["predictions", "timing"],
                name="predict_splits",
                # Every seed's model lives in memory only: training and predicting go
                # together (`kedro run --tags train`).
                tags=TRAIN,
            ),
        ]
    )
    return Pipeline(template, namespace=name, inputs={"model_input"})


def create_pipelines() -> dict[str, Pipeline]:
    """The pipelines ``snn``, ``bnn`` and ``adam`` (see :data:`NETWORK_PIPELINES`)."""
    return {
        pipeline: sum((network_pipeline(m) for m in models), Pipeline([]))
        for pipeline, models in NETWORK_PIPELINES.items()
    }
