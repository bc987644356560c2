"""Artefacts as parts: NumPy arrays plus JSON, their content hashes and ``.npz`` files.

Every artefact the project saves (models, the PCA, the scaler, feature shards, model
input, predictions) is split into two parts:

* ``meta``: a JSON tree (dicts, lists, strings, numbers, ``None``); an array inside the
  tree is replaced by ``{"__array__": "<key>"}``;
* ``arrays``: ``{key: numpy array}`` of numeric, boolean or unicode dtype (never
  ``object``), written to an ``.npz`` archive and read back with ``allow_pickle=False``.

Loading therefore needs no project class at a given module path and runs no code: the
JSON names what to rebuild (an MLP, a ``PCA``...) from a fixed list. The content hash
(:func:`content_hash`) is computed from the parts, so an object in memory and the same
object read back from disk have the same hash: a model records the hash of the PCA and
scaler it was trained on, and ``predict`` recomputes both from the files it loads.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import numpy as np

ARRAY_KEY = "__array__"
META_KEY = "__meta__"
"""Key of the JSON metadata inside an ``.npz`` written by :func:`write_npz`."""

class ArtefactFormatError(ValueError):
    """An artefact file that cannot be read: an older format, corrupt or truncated.

    Its message is one line naming the file and the command that writes it again. The
    catalog's datasets (:mod:`art_genre.datasets.artefacts`) raise it as the cause of a
    Kedro ``DatasetError``, so that Kedro shows the line as it is.
    """


# ------------------------------------------------------------------ nested data


def to_parts(data: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """Split nested data into a JSON tree and its arrays (see the module doc).

    Args:
        data: dicts with string keys, lists, tuples (saved as lists), strings, numbers,
            booleans, ``None``, NumPy scalars and NumPy arrays of a non-object dtype.

    Returns:
        ``(meta, arrays)``.

    Raises:
        TypeError: For anything else (an object array, a class instance), naming the
            place in the tree.
    """
    arrays: dict[str, np.ndarray] = {}

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                if all(isinstance(v, str) for v in value.ravel()):
                    value = value.astype(str)
                else:
                    raise TypeError(f"{where or '/'}: an object array cannot be saved")
            key = where.lstrip("/") or "array"  # its place in the tree: stable
            while key in arrays:  # only if a dict key holds a "/"
                key += "~"
            arrays[key] = value
            return {ARRAY_KEY: key}
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise TypeError(f"{where}/{k!r}: keys must be strings")
                out[k] = walk(v, f"{where}/{k}")
            if ARRAY_KEY in out and len(out) == 1:
                raise TypeError(f"{where}: the key {ARRAY_KEY!r} is reserved")
            return out
        if isinstance(value, list | tuple):
            return [walk(v, f"{where}/{i}") for i, v in enumerate(value)]
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, str | bool | int | float):
            return value
        raise TypeError(f"{where or '/'}: {type(value).__name__} cannot be saved")

    return walk(data, ""), arrays


def from_parts(meta: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild what :func:`to_parts` split (tuples come back as lists)."""
    if isinstance(meta, dict):
        if len(meta) == 1 and ARRAY_KEY in meta:
            return arrays[meta[ARRAY_KEY]]
        return {k: from_parts(v, arrays) for k, v in meta.items()}
    if isinstance(meta, list):
        return [from_parts(v, arrays) for v in meta]
    return meta


def canonical_json(meta: Any) -> str:
    """``meta`` as one canonical JSON string (sorted keys, no spaces)."""
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(meta: Any, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of the parts: the canonical JSON, then each array's dtype, shape, bytes."""
    digest = hashlib.sha256(canonical_json(meta).encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"\n{key}:{array.dtype.str}:{array.shape}\n".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def data_hash(data: Any) -> str:
    """:func:`content_hash` of nested data (see :func:`to_parts`)."""
    return content_hash(*to_parts(data))


# ------------------------------------------------------------------ npz files


def write_npz(file: Any, meta: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``meta`` (as a unicode array under ``__meta__``) to ``file``."""
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY!r} is reserved")
    buffer = io.BytesIO()
    np.savez(buffer, **{META_KEY: np.array(canonical_json(meta))}, **arrays)
    file.write(buffer.getvalue())


def read_npz(file: Any, name: str, rerun: str) -> tuple[Any, dict[str, np.ndarray]]:
    """Read what :func:`write_npz` wrote, with ``allow_pickle=False``.

    Args:
        file: A binary file object.
        name: The file's path, for the error message.
        rerun: The command that writes the file again, for the error message.

    Raises:
        ArtefactFormatError: One line naming the file and ``rerun`` when the file is
            truncated, corrupt, pickled or not written by :func:`write_npz`.
    """
    try:
        with np.load(io.BytesIO(file.read()), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        meta = json.loads(str(arrays.pop(META_KEY)[()]))
    except Exception as error:  # noqa: BLE001 - every way a file can be broken
        raise ArtefactFormatError(
            f"{name} is corrupt, truncated or not an art_genre artefact "
            f"({type(error).__name__}); write it again with `{rerun}`."
        ) from None
    return meta, arrays
