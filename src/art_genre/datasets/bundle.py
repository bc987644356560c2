"""The model bundle as one versioned, pickle-free ``.npz`` (see :mod:`art_genre.modelling.bundle`)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from kedro.io.core import AbstractDataset, DatasetError

from art_genre.artefacts import ArtefactFormatError
from art_genre.modelling.bundle import ModelBundle, read_bundle, write_bundle

from .artefacts import ArtefactDatasetError, _PortableDataset


class ModelBundleDataset(_PortableDataset):
    """A :class:`~art_genre.modelling.bundle.ModelBundle`: backbone settings, scaler, PCA, head,
    thresholds, genres and optional calibration, with the hash chain between them.

    Loading reads the arrays with ``allow_pickle=False``, recomputes every hash and
    refuses a file changed after it was written or parts that do not fit together.

    Example (catalog)::

        model_bundle:
          type: art_genre.datasets.ModelBundleDataset
          filepath: data/06_models/model_bundle.npz
          versioned: true
    """

    def load(self) -> ModelBundle:
        """The bundle, checked.

        Raises:
            ArtefactDatasetError: Naming the file and the command that rewrites it.
            IncompatibleArtefactsError: If its parts do not fit together.
        """
        path = self._load_path()
        with self._fs.open(path, "rb") as file:
            try:
                return read_bundle(file, path, self._rerun)
            except ArtefactFormatError as error:  # one line, as Kedro shows a DatasetError
                raise ArtefactDatasetError(str(error)) from None

    def save(self, data: ModelBundle) -> None:
        """Write the bundle (atomically on a local disk)."""
        with self._open_write(self._path(self._get_save_path())) as file:
            write_bundle(file, data)
        self._invalidate_cache()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "kind": "model bundle"}


class RegisteredBundleDataset(AbstractDataset[None, "ModelBundle | None"]):
    """The bundle of a logged or registered MLflow model, or ``None`` without a URI.

    With ``model_uri`` (``models:/art_genre/3``, ``runs:/<run id>/model``) loading
    downloads the model's bundle artifact from the tracking store (the one
    ``conf/<env>/mlflow.yml`` names) and reads it as :class:`ModelBundleDataset` does.
    Without one it loads ``None`` and does not import MLflow.

    Example (catalog)::

        registered_bundle:
          type: art_genre.datasets.RegisteredBundleDataset
          model_uri: ${runtime_params:model_uri, ""}
    """

    def __init__(self, *, model_uri: str = "", metadata: dict[str, Any] | None = None) -> None:
        """Args:
        model_uri: An MLflow model URI, or ``""`` (nothing to load).
        metadata: Free metadata (kedro-viz).
        """
        self._model_uri = str(model_uri or "")
        self.metadata = metadata

    def load(self) -> ModelBundle | None:
        """The registered model's bundle (checked), or ``None``.

        Raises:
            DatasetError: If MLflow cannot find the model.
        """
        if not self._model_uri:
            return None
        import mlflow.artifacts

        from art_genre.serving import BUNDLE_ARTIFACT

        with tempfile.TemporaryDirectory() as folder:
            try:
                local = mlflow.artifacts.download_artifacts(
                    artifact_uri=self._model_uri, dst_path=folder
                )
            except Exception as error:  # noqa: BLE001 - MLflow raises several kinds
                raise DatasetError(
                    f"MLflow has no model {self._model_uri!r} in "
                    f"{mlflow.get_tracking_uri()} ({type(error).__name__}); list the "
                    f"registered versions with `mlflow ui` (docs/handoff.md)."
                ) from None
            path = Path(local) / "artifacts" / f"{BUNDLE_ARTIFACT}.npz"
            with path.open("rb") as file:
                return read_bundle(file, f"{self._model_uri} ({path.name})")

    def save(self, data: Any) -> None:
        """Refused: a registered model is written by a tracked training run."""
        raise DatasetError("registered_bundle is read-only (written by a tracked run).")

    def _describe(self) -> dict[str, Any]:
        return {"model_uri": self._model_uri}
