"""``reporting``: metrics, tuned thresholds, plots and a Markdown + HTML report."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
