"""``data_processing``: painting folder and ``artists.csv`` to a labelled, split index."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
