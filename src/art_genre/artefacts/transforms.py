"""Fitted sklearn transforms (``PCA``, ``IncrementalPCA``, ``StandardScaler``) as parts.

The parts are the class name, its constructor parameters and every attribute the fit
set; rebuilding creates one of those three classes and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .parts import (
    ArtefactFormatError,
    canonical_json,
    content_hash,
    from_parts,
    to_parts,
)

#: sklearn transforms that can be saved as their arrays and rebuilt (no other class).
TRANSFORMS = ("PCA", "IncrementalPCA", "StandardScaler")


def _transform_classes() -> dict[str, type]:
    from sklearn.decomposition import PCA, IncrementalPCA
    from sklearn.preprocessing import StandardScaler

    return {"PCA": PCA, "IncrementalPCA": IncrementalPCA, "StandardScaler": StandardScaler}


def transform_to_parts(transform: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A fitted ``PCA`` / ``IncrementalPCA`` / ``StandardScaler`` as JSON + arrays.

    The parts are the class name, its constructor parameters and every attribute the
    fit set (arrays go to the arrays, numbers and strings to the JSON).

    Raises:
        TypeError: For another class or an attribute that is neither.
    """
    kind = type(transform).__name__
    if kind not in TRANSFORMS:
        raise TypeError(f"Only {', '.join(TRANSFORMS)} can be saved, not {kind}.")
    attributes = {
        k: v for k, v in vars(transform).items() if k not in transform.get_params()
    }
    meta, arrays = to_parts({"params": transform.get_params(), "attributes": attributes})
    meta = json.loads(canonical_json(meta))  # what a JSON round trip gives back
    return {"format": "art_genre.transform/1", "class": kind, **meta}, arrays


def transform_from_parts(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild a transform from :func:`transform_to_parts`'s parts (no other class)."""
    classes = _transform_classes()
    kind = meta.get("class")
    if meta.get("format") != "art_genre.transform/1" or kind not in classes:
        raise ArtefactFormatError(f"not a saved {' / '.join(TRANSFORMS)} (class {kind!r})")
    transform = classes[kind](**meta["params"])
    for key, value in from_parts(meta["attributes"], arrays).items():
        setattr(transform, key, value)
    return transform


def transform_hash(transform: Any) -> str:
    """Content hash of a fitted transform: the same in memory and read back from disk."""
    return content_hash(*transform_to_parts(transform))
