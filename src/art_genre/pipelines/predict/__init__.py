"""``predict``: genres for a folder of new paintings, with the saved artefacts."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
