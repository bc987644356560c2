"""``bundle``: the model ``predict`` uses as one bundle, and as a logged MLflow model."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
