"""Artefacts: everything the project saves, as pickle-free parts with content hashes.

Every artefact (models, the PCA, the scaler, feature shards, model input, predictions)
is split into two parts:

* ``meta``: a JSON tree (dicts, lists, strings, numbers, ``None``); an array inside the
  tree is replaced by ``{"__array__": "<key>"}``;
* ``arrays``: ``{key: numpy array}`` of numeric, boolean or unicode dtype (never
  ``object``), written to an ``.npz`` archive and read back with ``allow_pickle=False``.

Loading therefore needs no project class at a given module path and runs no code: the
JSON names what to rebuild (an MLP, a ``PCA``...) from a fixed list. The content hash is
computed from the parts, so an object in memory and the same object read back from disk
have the same hash: a model records the hash of the PCA and scaler it was trained on,
its thresholds record the model's hash, and ``predict`` recomputes each from the files.

* :mod:`.parts`: nested data ↔ parts, content hashes, ``.npz`` files;
* :mod:`.transforms`: fitted ``PCA`` / ``IncrementalPCA`` / ``StandardScaler`` ↔ parts;
* trained models ↔ parts: :mod:`art_genre.modelling.artefacts` (they need the
  classifier, so they live beside it).

The catalog's datasets for these files are in :mod:`art_genre.datasets.artefacts`. This
package does not import Kedro.
"""

from .parts import (
    ARRAY_KEY,
    META_KEY,
    ArtefactFormatError,
    canonical_json,
    content_hash,
    data_hash,
    from_parts,
    read_npz,
    to_parts,
    write_npz,
)
from .transforms import (
    TRANSFORMS,
    transform_from_parts,
    transform_hash,
    transform_to_parts,
)

__all__ = [
    "ARRAY_KEY",
    "META_KEY",
    "TRANSFORMS",
    "ArtefactFormatError",
    "canonical_json",
    "content_hash",
    "data_hash",
    "from_parts",
    "read_npz",
    "to_parts",
    "transform_from_parts",
    "transform_hash",
    "transform_to_parts",
    "write_npz",
]
