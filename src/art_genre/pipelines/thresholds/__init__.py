"""``thresholds``: each model's tuned thresholds, versioned with it and bound to its hash."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
