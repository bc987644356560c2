"""Pickle-free datasets: arrays in ``.npz`` (read with ``allow_pickle=False``) plus JSON.

* :class:`ArrayBundleDataset`: nested data (dicts, lists, strings, numbers, arrays) as
  one ``.npz`` holding the arrays and the JSON tree: feature shards, painting features,
  model input, split predictions.
* :class:`TransformDataset`: a fitted ``PCA`` / ``IncrementalPCA`` / ``StandardScaler``
  as ``<name>.npz`` (its arrays) and ``<name>.json`` (class, parameters, hash).
* :class:`GenreClassifierDataset`: a trained model as ``<name>.npz`` (weights) and
  ``<name>.json`` (architecture, genres, training parameters, fingerprints, hash).
* :class:`GenreVocabularyDataset`: the genre vocabulary as a JSON list.

Loading runs no code from the file and needs no project class at any module path. A
file that is truncated, corrupt or changed after it was written, or an artefact of the
older pickled format, stops the run with one line naming the file and the command that
writes it again (the ``rerun`` argument of each catalog entry).
"""

from __future__ import annotations

import json
import os
from copy import deepcopy
from pathlib import PurePosixPath
from typing import Any

import fsspec
import numpy as np
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)
from kedro_datasets._typing import JSONPreview
from kedro_datasets.json import JSONDataset

from art_genre.artefacts import (
    META_KEY,
    ArtefactFormatError,
    content_hash,
    data_hash,
    from_parts,
    read_npz,
    to_parts,
    transform_from_parts,
    transform_to_parts,
    write_npz,
)
from art_genre.modelling.artefacts import (
    classifier_from_parts,
    classifier_to_parts,
    model_hash,
)

from .atomic import AtomicSaveMixin, _AtomicFile

BUNDLE_FORMAT = "art_genre.datasets.array_bundle/1"
"""The format an array bundle records (``__meta__["format"]``)."""
_LEGACY_BUNDLE_FORMAT = "art_genre.modelling.bundle/1"
"""What array bundles recorded before they had a format of their own: the model
bundle's. Such files are still read when they hold an array bundle's tree."""


def _is_array_bundle(meta: Any) -> bool:
    """Whether ``meta`` is an array bundle's ``__meta__`` (either format string)."""
    if not isinstance(meta, dict) or "data" not in meta:
        return False
    return meta.get("format") in (BUNDLE_FORMAT, _LEGACY_BUNDLE_FORMAT)


class ArtefactDatasetError(DatasetError, ArtefactFormatError):
    """:class:`~art_genre.artefacts.ArtefactFormatError` as Kedro's ``DatasetError``.

    Kedro shows a ``DatasetError``'s one-line message as it is, instead of wrapping it in
    "Failed while loading data from dataset ..."; the project's exception hook prints
    that line alone (no traceback).
    """


def _read_npz(file: Any, name: str, rerun: str) -> tuple[Any, dict[str, np.ndarray]]:
    """:func:`~art_genre.artefacts.read_npz`, its error raised as a dataset error."""
    try:
        return read_npz(file, name, rerun)
    except ArtefactFormatError as error:
        raise ArtefactDatasetError(str(error)) from None


class _PortableDataset(AbstractVersionedDataset[Any, Any]):
    """Shared plumbing: fsspec, versioning, atomic local writes, clear errors."""

    def __init__(
        self,
        *,
        filepath: str,
        rerun: str = "kedro run",
        version: Version | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Args:
        filepath: The ``.npz`` file (any fsspec URL).
        rerun: The command that writes this artefact, named in error messages.
        version: Kedro's version (``versioned: true`` in the catalog).
        credentials: fsspec credentials.
        fs_args: fsspec filesystem arguments.
        metadata: Free metadata (kedro-viz).
        """
        protocol, path = get_protocol_and_path(str(filepath), version)
        fs_args = deepcopy(fs_args) or {}
        if protocol == "file":
            fs_args.setdefault("auto_mkdir", True)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **(deepcopy(credentials) or {}), **fs_args)
        self._rerun = rerun
        self.metadata = metadata
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._fs.exists,
            glob_function=self._fs.glob,
        )

    # ----------------------------------------------------------------- helpers
    def _path(self, path: PurePosixPath) -> str:
        return get_filepath_str(path, self._protocol)

    def _open_write(self, path: str) -> Any:
        if self._protocol == "file":
            return _AtomicFile(path, "wb")
        return self._fs.open(path, "wb")

    def _legacy_path(self) -> str | None:
        """The older, pickled artefact beside this one, if there is one."""
        legacy = self._filepath.with_suffix(".pkl")
        if legacy != self._filepath and self._fs.exists(self._path(legacy)):
            return str(legacy)
        return None

    def _load_path(self) -> str:
        """The path to load, or one clear error when the artefact is old or missing."""
        try:
            path = self._path(self._get_load_path())
        except DatasetError:
            path = None
        if path is None or not self._fs.exists(path):
            legacy = self._legacy_path()
            if legacy:
                raise ArtefactDatasetError(
                    f"{legacy} is a pickled artefact of an older version of art_genre, "
                    f"which is no longer read (loading a pickle runs code); run "
                    f"`{self._rerun}` to write {self._filepath} instead."
                )
            raise ArtefactDatasetError(
                f"{self._filepath} does not exist yet; write it with `{self._rerun}`."
            )
        return path

    def _describe(self) -> dict[str, Any]:
        return {
            "filepath": self._filepath,
            "protocol": self._protocol,
            "version": self._version,
            "rerun": self._rerun,
        }

    def _exists(self) -> bool:
        try:
            path = self._path(self._get_load_path())
        except DatasetError:
            return False
        return self._fs.exists(path)

    def _release(self) -> None:
        super()._release()
        self._invalidate_cache()

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(self._path(self._filepath))

    def _archive_meta(self, path: str) -> Any:
        """The ``__meta__`` member of the ``.npz`` at ``path`` (JSON), not its arrays."""
        with self._fs.open(path, "rb") as file:
            with np.load(file, allow_pickle=False) as archive:
                return json.loads(str(archive[META_KEY][()]))

    def fingerprint(self) -> str | None:
        """The recorded content hash (``sha256`` of ``__meta__``), or ``None`` when there
        is no file."""
        if not self._exists():
            return None
        return self._archive_meta(self._path(self._get_load_path())).get("sha256")


class ArrayBundleDataset(_PortableDataset):
    """Nested data (dicts, lists, strings, numbers, NumPy arrays) as one ``.npz``.

    The arrays are the archive's members; the JSON tree (with the arrays replaced by
    references) and its SHA-256 are one more member, ``__meta__``. Tuples come back as
    lists; object arrays of strings come back as unicode arrays.

    Example (catalog)::

        model_input:
          type: art_genre.datasets.ArrayBundleDataset
          filepath: data/05_model_input/model_input.npz
          rerun: kedro run --pipelines feature_engineering
    """

    def load(self) -> Any:
        """The saved data.

        Raises:
            ArtefactDatasetError: Naming the file and the command that rewrites it.
        """
        path = self._load_path()
        with self._fs.open(path, "rb") as file:
            meta, arrays = _read_npz(file, path, self._rerun)
        if not _is_array_bundle(meta):
            raise ArtefactDatasetError(
                f"{path} is not an art_genre array bundle; write it again with "
                f"`{self._rerun}`."
            )
        if content_hash(meta["data"], arrays) != meta["sha256"]:
            raise ArtefactDatasetError(
                f"{path} does not match its recorded hash (changed after it was "
                f"written); write it again with `{self._rerun}`."
            )
        return from_parts(meta["data"], arrays)

    def load_manifest(self) -> Any:
        """The saved data without reading its arrays: each is ``{"__array__": name}``.

        Reads only the archive's ``__meta__`` member (the JSON tree: ids, digests,
        settings), not the arrays' bytes, so listing what a folder of bundles holds
        costs a few KB per file, whatever the size of the arrays. The content hash is
        not checked here (it covers the arrays); :meth:`load` checks it.

        Raises:
            ArtefactDatasetError: Naming the file and the command that rewrites it.
        """
        path = self._load_path()
        try:
            meta = self._archive_meta(path)
        except Exception as error:  # noqa: BLE001 - every way a file can be broken
            raise ArtefactDatasetError(
                f"{path} is corrupt, truncated or not an art_genre artefact "
                f"({type(error).__name__}); write it again with `{self._rerun}`."
            ) from None
        if not _is_array_bundle(meta):
            raise ArtefactDatasetError(
                f"{path} is not an art_genre array bundle; write it again with "
                f"`{self._rerun}`."
            )
        return meta["data"]

    def save(self, data: Any) -> None:
        """Write ``data`` (atomically on a local disk)."""
        tree, arrays = to_parts(data)
        meta = {"format": BUNDLE_FORMAT, "sha256": content_hash(tree, arrays), "data": tree}
        with self._open_write(self._path(self._get_save_path())) as file:
            write_npz(file, meta, arrays)
        self._invalidate_cache()

    def preview(self) -> JSONPreview:
        """The data's layout for kedro-viz: keys, list lengths, array shapes."""

        def outline(value: Any) -> Any:
            if isinstance(value, np.ndarray):
                return f"array {value.dtype} {list(value.shape)}"
            if isinstance(value, dict):
                return {k: outline(v) for k, v in value.items()}
            if isinstance(value, list):
                return f"list of {len(value)}"
            return value

        return JSONPreview(json.dumps(outline(self.load.__wrapped__(self))))  # type: ignore[attr-defined]


class _ArraysAndJsonDataset(_PortableDataset):
    """An artefact as ``<name>.npz`` (arrays only) beside ``<name>.json`` (metadata).

    The JSON records ``sha256``, the content hash of both parts; loading recomputes it
    and refuses a file changed after it was written.
    """

    KIND = "artefact"

    def _to_parts(self, data: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _from_parts(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
        raise NotImplementedError

    def _hash(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
        """The content hash recorded as ``sha256`` (of both parts)."""
        return content_hash(meta, arrays)

    @staticmethod
    def _json_path(npz_path: str) -> str:
        return str(PurePosixPath(npz_path).with_suffix(".json"))

    def load(self) -> Any:
        """The artefact, rebuilt from its arrays and metadata.

        Raises:
            ArtefactDatasetError: Naming the file and the command that rewrites it.
        """
        path = self._load_path()
        json_path = self._json_path(path)
        try:
            with self._fs.open(json_path, "r", encoding="utf-8") as file:
                meta = json.load(file)
            expected = meta.pop("sha256")
        except Exception as error:  # noqa: BLE001 - every way a file can be broken
            raise ArtefactDatasetError(
                f"{json_path} is missing, corrupt or truncated ({type(error).__name__}); "
                f"write it again with `{self._rerun}`."
            ) from None
        with self._fs.open(path, "rb") as file:
            _, arrays = _read_npz(file, path, self._rerun)
        if self._hash(meta, arrays) != expected:
            raise ArtefactDatasetError(
                f"{path} and {json_path} do not match their recorded hash (changed after "
                f"they were written); write them again with `{self._rerun}`."
            )
        try:
            return self._from_parts(meta, arrays)
        except Exception as error:  # noqa: BLE001
            raise ArtefactDatasetError(
                f"{json_path} does not describe a {self.KIND} this version reads "
                f"({error}); write it again with `{self._rerun}`."
            ) from None

    def save(self, data: Any) -> None:
        """Write ``<name>.npz`` then ``<name>.json`` (each atomically on a local disk)."""
        meta, arrays = self._to_parts(data)
        meta = {**meta, "sha256": self._hash(meta, arrays)}
        path = self._path(self._get_save_path())
        with self._open_write(path) as file:
            write_npz(file, {}, arrays)
        with self._open_write(self._json_path(path)) as file:
            file.write(json.dumps(meta, indent=1, ensure_ascii=False).encode())
        self._invalidate_cache()

    def _exists(self) -> bool:
        if not super()._exists():
            return False
        return self._fs.exists(self._json_path(self._path(self._get_load_path())))

    def metadata_json(self) -> dict[str, Any] | None:
        """The saved metadata (with ``sha256``) without reading the arrays."""
        if not self._exists():
            return None
        with self._fs.open(self._json_path(self._path(self._get_load_path())), "r") as file:
            return json.load(file)

    def fingerprint(self) -> str | None:
        """The recorded content hash, or ``None`` when there is no file."""
        meta = self.metadata_json()
        return None if meta is None else meta.get("sha256")

    def preview(self) -> JSONPreview:
        """The metadata, for kedro-viz."""
        return JSONPreview(json.dumps(self.metadata_json() or {}))


class TransformDataset(_ArraysAndJsonDataset):
    """A fitted ``PCA``, ``IncrementalPCA`` or ``StandardScaler`` as arrays plus JSON.

    The JSON names the class (one of those three, nothing else is rebuilt), its
    parameters and fitted scalars; the ``.npz`` holds its fitted arrays. The recorded
    ``sha256`` equals :func:`art_genre.artefacts.transform_hash` of the transform, which
    each model records for the PCA and scaler it was trained on.

    Example (catalog)::

        pca:
          type: art_genre.datasets.TransformDataset
          filepath: data/06_models/pca.npz
          rerun: kedro run --pipelines feature_engineering
    """

    KIND = "PCA or scaler"

    def _to_parts(self, data: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return transform_to_parts(data)

    def _from_parts(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
        return transform_from_parts(meta, arrays)


class GenreClassifierDataset(_ArraysAndJsonDataset):
    """A trained :class:`~art_genre.modelling.classifier.GenreClassifier`: weights + JSON.

    ``<name>.npz`` holds the weights; ``<name>.json`` the architecture (``mlp`` or
    ``boosted`` with its variant and stages), the genre vocabulary, the training
    parameters, the fingerprints of the backbone, PCA and scaler it was trained on, and
    ``sha256`` (:func:`art_genre.artefacts.classifier_hash`). With
    ``versioned: true`` both files go to ``<filepath>/<version>/``.

    Example (catalog)::

        "{model}.model":
          type: art_genre.datasets.GenreClassifierDataset
          filepath: data/06_models/{model}.npz
          rerun: kedro run --pipelines {model}
          versioned: true
    """

    KIND = "model"

    def _to_parts(self, data: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return classifier_to_parts(data)

    def _from_parts(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
        return classifier_from_parts(meta, arrays)

    def _hash(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
        return model_hash(meta, arrays)  # without the timing fields

    def _legacy_path(self) -> str | None:
        # The older layout: data/06_models/<model>.pkl/<version>/<model>.pkl
        legacy = self._filepath.with_suffix(".pkl")
        if self._fs.exists(self._path(legacy)) and self._fs.glob(
            self._path(legacy / "*" / legacy.name)
        ):
            return str(legacy)
        return None


class GenreVocabularyDataset(AtomicSaveMixin, JSONDataset):
    """The fitted ``MultiLabelBinarizer`` of the genres, saved as ``{"genres": [...]}``.

    Loading rebuilds the binarizer with exactly those classes, in that order.
    """

    def save(self, data: Any) -> None:
        """Save the binarizer's ``classes_`` (or a list of genres) as JSON."""
        genres = getattr(data, "classes_", data)
        super().save({"genres": [str(g) for g in genres]})

    def load(self) -> Any:
        """A ``MultiLabelBinarizer`` fitted on the saved genres, in their order.

        Raises:
            ArtefactDatasetError: When the file is missing (naming the command) or is
                not a genre list.
        """
        from sklearn.preprocessing import MultiLabelBinarizer

        path = str(self._filepath)
        legacy = PurePosixPath(path).with_suffix(".pkl")
        if not self._exists():
            if os.path.exists(legacy):
                raise ArtefactDatasetError(
                    f"{legacy} is a pickled artefact of an older version of art_genre, "
                    f"which is no longer read; run `kedro run --pipelines "
                    f"data_processing` to write {path} instead."
                )
            raise ArtefactDatasetError(
                f"{path} does not exist yet; write it with "
                f"`kedro run --pipelines data_processing`."
            )
        try:
            genres = super().load()["genres"]
        except Exception as error:  # noqa: BLE001
            raise ArtefactDatasetError(
                f"{path} is corrupt or not a genre list ({type(error).__name__}); write it "
                f"again with `kedro run --pipelines data_processing`."
            ) from None
        binarizer = MultiLabelBinarizer(classes=list(genres))
        return binarizer.fit([])

    def preview(self) -> JSONPreview:
        """The saved genre list, for kedro-viz."""
        return JSONPreview(json.dumps(JSONDataset.load.__wrapped__(self)))  # type: ignore[attr-defined]


class BoundThresholdsDataset(AtomicSaveMixin, JSONDataset):
    """One model's tuned thresholds with the model's hash (JSON, versioned with the model).

    ``json.JSONDataset`` with atomic local saves and a content hash of its own: the
    saved record carries ``sha256`` (:func:`~art_genre.artefacts.data_hash` of the rest),
    so a hand-edited threshold is refused like a tampered model. A missing, truncated,
    edited or unhashed file is one line naming the file and ``rerun``.
    """

    def __init__(self, *, rerun: str = "kedro run --pipelines reporting", **kwargs: Any) -> None:
        """Args:
        rerun: The command that writes the file, named in the error.
        **kwargs: ``json.JSONDataset``'s arguments.
        """
        super().__init__(**kwargs)
        self._rerun = rerun

    def save(self, data: dict[str, Any]) -> None:
        """Save the record with its content hash (``sha256``)."""
        record = {k: v for k, v in data.items() if k != "sha256"}
        super().save({**record, "sha256": data_hash(record)})

    def load(self) -> Any:
        """The thresholds record (without ``sha256``), checked against its hash.

        Raises:
            ArtefactDatasetError: When there is no file, or it is truncated, corrupt,
                edited after it was written or has no hash (naming the file and command).
        """
        if not self._exists():
            raise ArtefactDatasetError(
                f"{self._filepath} does not exist yet; write it with `{self._rerun}`."
            )
        path = get_filepath_str(self._get_load_path(), self._protocol)
        try:
            with self._fs.open(path, mode="r", encoding="utf-8") as file:
                record = json.load(file)
            expected = record.pop("sha256")
        except Exception as error:  # noqa: BLE001 - every way a file can be broken
            raise ArtefactDatasetError(
                f"{path} is corrupt, truncated or has no content hash "
                f"({type(error).__name__}); write it again with `{self._rerun}`."
            ) from None
        if data_hash(record) != expected:
            raise ArtefactDatasetError(
                f"{path} does not match its recorded hash (edited after it was written); "
                f"write it again with `{self._rerun}`."
            )
        return record
