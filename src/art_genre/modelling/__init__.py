"""The genre classifiers: parameters, training, the model roster.

The ``snn``, ``bnn`` and ``adam`` pipelines differ only in parameters (network,
optimiser, ensemble); they are instances of one template (``pipelines/networks``), each
in its own namespace, and train through :mod:`art_genre.modelling.training`.

This module is also the project's one model roster: every other list of model names
(the reporting wiring, ``predict.model``, ``reporting.gallery_model``, the ablations,
the benchmarks) is derived from the names below.
"""

from typing import Literal

SNN, BNN, BNN_STUDY, ADAM = "snn", "bnn", "bnn_study", "adam"
"""The trained models' namespaces, one per name (see :data:`MODEL_NAMES`)."""

MODEL_NAMES = (SNN, BNN, BNN_STUDY, ADAM)
"""Every trained model's namespace (the snn, bnn and adam pipelines), in report order."""

BASELINE_NAMES = ("prior", "logreg", "mlp")
"""The baselines' namespaces (the baselines pipeline), in report order: the genre prior,
one-vs-rest logistic regression, scikit-learn's MLPClassifier."""

REPORTED_NAMES = MODEL_NAMES + BASELINE_NAMES
"""Everything the reporting pipeline is wired for, in report order (the default of
``reporting.models``): the networks, then the baselines."""

ModelName = Literal[MODEL_NAMES]  # type: ignore[valid-type]
"""A trained model's name, as a type (pydantic validates a parameter against it)."""

BOOSTED_NAMES = (BNN, BNN_STUDY)
"""The boosted ensembles: ``bnn`` (real gradient boosting) and ``bnn_study`` (the study's
residual scheme)."""

ABLATION_STARTS = {SNN: SNN, ADAM: ADAM, BNN: BNN_STUDY}
"""The study's three networks the ablations retrain, each with the model whose parameters
it starts from: the ablations' ``bnn`` starts from the study's scheme (``params:bnn_study``)
and the fixes turn it into real boosting."""

ABLATED_MODELS = tuple(ABLATION_STARTS)
"""The models the ablations retrain, in the order ``run_ablations`` takes their
parameters (``params:snn``, ``params:adam``, ``params:bnn_study``)."""


def check_model_names(setting: str, names: object, allowed: tuple[str, ...]) -> None:
    """Refuse names that are not in ``allowed`` (a part of the roster), naming the setting.

    Args:
        setting: The parameter, for the message (e.g. ``"reporting.models"``).
        names: The names it holds.
        allowed: What it may hold (e.g. :data:`REPORTED_NAMES`).

    Raises:
        ValueError: Naming the unknown names and the allowed ones.
    """
    unknown = [n for n in names if n not in allowed]  # type: ignore[union-attr]
    if unknown:
        raise ValueError(
            f"{setting} names {unknown}, which the project does not know; use some of "
            f"{list(allowed)} (the roster: art_genre/modelling/__init__.py)."
        )
