"""``ablations`` pipeline: what each fix to the study changes, measured over seeds."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
