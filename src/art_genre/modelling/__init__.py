"""What the ``snn``, ``bnn`` and ``adam`` pipelines share: parameters, nodes, template.

The three model pipelines differ only in parameters (network, optimiser, ensemble) and
are built from one template (:func:`~art_genre.modelling.pipeline.model_pipeline`), each in
its own namespace.
"""

MODEL_NAMES = ("snn", "bnn", "bnn_study", "adam")
"""Every trained model's namespace (the snn, bnn and adam pipelines), in report order."""

BASELINE_NAMES = ("prior", "logreg", "mlp")
"""The baselines' namespaces (the baselines pipeline), in report order: the genre prior,
one-vs-rest logistic regression, scikit-learn's MLPClassifier."""
