"""``baselines`` pipeline: reference models the three networks must beat."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
