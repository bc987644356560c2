"""One builder of synthetic ``model_input`` (the output of ``feature_engineering``).

Each genre is a cluster around its own centre in feature space; every image belongs to
one genre (tests that need more labels add them). The draws come in a fixed order
(centres, then each split's labels and noise), so a seed gives the same data every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

GENRES = ("Baroque", "Cubism", "Impressionism")
SPLITS = ("train", "val", "test")


def synthetic_model_input(
    sizes: Sequence[int] = (60, 20, 20),
    *,
    width: int = 10,
    genres: Sequence[str] = GENRES,
    centre_scale: float = 3.0,
    genre_p: Sequence[float] | None = None,
    dtype: Any = np.float32,
    seed: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    """Clustered features and one-hot genres for the train, val and test splits.

    Args:
        sizes: Images in train, val and test.
        width: Features per image.
        genres: The genre vocabulary.
        centre_scale: Spread of the genre centres (noise has sd 1): 3 separates the
            genres well, 1 makes them overlap.
        genre_p: Each genre's share of the images (uniform when ``None``).
        dtype: Of ``X`` and ``Y``.
        seed: Of every draw.
        **extra: Further top-level keys (e.g. ``pca_hash``), over the defaults
            ``fingerprint="synthetic"``, ``pca_hash="pca"``, ``scaler_hash="scaler"``.

    Returns:
        ``{"genres", "fingerprint", "pca_hash", "scaler_hash", "train": {"image_ids",
        "X", "Y"}, "val": ..., "test": ...}``.
    """
    rng = np.random.default_rng(seed)
    n_genres = len(genres)
    centres = rng.normal(scale=centre_scale, size=(n_genres, width))
    model_input: dict[str, Any] = {
        "genres": list(genres),
        "fingerprint": "synthetic",
        "pca_hash": "pca",
        "scaler_hash": "scaler",
        **extra,
    }
    for split, n in zip(SPLITS, sizes, strict=True):
        if genre_p is None:
            labels = rng.integers(0, n_genres, n)
        else:
            labels = rng.choice(n_genres, n, p=genre_p)
        X = centres[labels] + rng.normal(size=(n, width))
        model_input[split] = {
            "image_ids": [f"{split}_{i}.jpg" for i in range(n)],
            "X": X.astype(dtype),
            "Y": np.eye(n_genres, dtype=dtype)[labels],
        }
    return model_input
