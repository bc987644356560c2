"""The model bundle logged and registered as an MLflow pyfunc model (kedro-mlflow)."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from kedro_mlflow.io.models import MlflowModelTrackingDataset

from art_genre.modelling.bundle import ModelBundle, write_bundle
from art_genre.serving import BUNDLE_ARTIFACT, signature

ENTRY = "art_genre.serving_entry"
"""The module whose file is the logged model's code (see :mod:`art_genre.serving`)."""


class BundleModelDataset(MlflowModelTrackingDataset):
    """kedro-mlflow's ``MlflowModelTrackingDataset`` for the pyfunc of a model bundle.

    kedro-mlflow's dataset hands the saved object to ``mlflow.pyfunc.log_model`` as the
    ``python_model``, which MLflow pickles. This subclass saves ``{"bundle",
    "input_example"}`` instead: the bundle goes in as an artifact (one pickle-free
    ``.npz``), the model as code (:mod:`art_genre.serving_entry`, "models from code"),
    with the signature of :func:`art_genre.serving.signature` and the input example. The
    catalog's ``save_args`` (``name``, ``registered_model_name`` ...) go to ``log_model``
    as for kedro-mlflow's dataset; loading is kedro-mlflow's.

    Example (catalog)::

        bundle_model:
          type: art_genre.datasets.BundleModelDataset
          save_args:
            name: model
            registered_model_name: art_genre
    """

    def __init__(self, **kwargs: Any) -> None:
        """Args: those of ``MlflowModelTrackingDataset`` but ``flavor`` and
        ``pyfunc_workflow`` (``mlflow.pyfunc``, ``python_model``)."""
        super().__init__(flavor="mlflow.pyfunc", pyfunc_workflow="python_model", **kwargs)

    def _save(self, data: dict[str, Any]) -> None:
        """Log ``data["bundle"]`` as a pyfunc model with ``data["input_example"]``."""
        bundle: ModelBundle = data["bundle"]
        example: pd.DataFrame = data["input_example"]
        code = importlib.util.find_spec(ENTRY).origin
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{BUNDLE_ARTIFACT}.npz"
            with path.open("wb") as file:
                write_bundle(file, bundle)
            self._save_args.update(
                artifacts={BUNDLE_ARTIFACT: str(path)},
                signature=signature(),
                input_example=example,
            )
            super()._save(code)
