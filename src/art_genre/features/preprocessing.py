"""Each backbone's own ``preprocess_input``, applied to batches of uint8 RGB images."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from art_genre.features.settings import BackboneSettings


def import_keras() -> Any:
    """Import Keras (and with it TensorFlow) on first use only."""
    import keras  # noqa: PLC0415 - heavy import, deferred on purpose

    return keras


def preprocess_function(settings: BackboneSettings) -> Callable[..., Any]:
    """Return the backbone's own ``keras.applications.<module>.preprocess_input``.

    Args:
        settings: Backbone settings.

    Returns:
        The preprocessing function.
    """
    keras = import_keras()
    return getattr(keras.applications, settings.spec.module).preprocess_input


def preprocess(settings: BackboneSettings, batch_uint8: np.ndarray) -> np.ndarray:
    """Apply the backbone's preprocessing to a batch of uint8 RGB images.

    Args:
        settings: Backbone settings.
        batch_uint8: Array of shape ``(n, size, size, 3)``.

    Returns:
        A new C-contiguous float32 array of the same shape.

    Raises:
        ValueError: If the batch does not have shape ``(n, size, size, 3)``.
    """
    batch = np.asarray(batch_uint8)
    expected = (settings.input_size, settings.input_size, 3)
    if batch.ndim != 4 or batch.shape[1:] != expected:
        raise ValueError(
            f"Expected a batch of shape (n, {expected[0]}, {expected[1]}, 3), "
            f"got {batch.shape}."
        )
    x = batch.astype(np.float32)  # always a copy: preprocess_input works in place
    out = preprocess_function(settings)(x)
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32))


