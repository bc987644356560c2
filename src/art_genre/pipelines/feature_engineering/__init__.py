"""``feature_engineering``: backbone features (batched, streamed, cached) and PCA."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
