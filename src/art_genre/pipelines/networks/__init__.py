"""The ``networks`` template: one training pipeline per model of the roster.

The registry instantiates it as ``snn``, ``bnn`` (``bnn`` and ``bnn_study``) and
``adam`` (see :data:`NETWORK_PIPELINES`).
"""

from .pipeline import NETWORK_PIPELINES, create_pipelines, network_pipeline

__all__ = ["NETWORK_PIPELINES", "create_pipelines", "network_pipeline"]
