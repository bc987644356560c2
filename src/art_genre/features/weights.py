"""Backbone weights: ImageNet weights through Keras' cache (with a clear error when they
cannot be had), or random weights that depend on the seed alone, with BatchNorm
statistics calibrated so that random features are usable.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from art_genre.features.images import describe_error
from art_genre.features.preprocessing import import_keras, preprocess
from art_genre.features.settings import BackboneSettings

if TYPE_CHECKING:  # pragma: no cover
    import keras

_CALIBRATION_IMAGES = 4


class WeightsUnavailableError(RuntimeError):
    """Raised when Keras cannot find or download a backbone's ImageNet weights."""


def keras_models_dir() -> Path:
    """Return the folder Keras caches downloaded weights in.

    That is ``$KERAS_HOME/models`` (``~/.keras/models`` by default). Keras reads
    ``KERAS_HOME`` once, when it is first imported; if that folder is not
    writable, Keras falls back to ``/tmp/.keras/models``.

    Returns:
        The folder path.
    """
    try:
        from keras.src.backend import config  # noqa: PLC0415

        home = config.keras_home()
    except (ImportError, AttributeError):  # pragma: no cover - other Keras layouts
        home = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    base = os.path.expanduser(home)
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp", ".keras")
    return Path(base) / "models"


def _get_file_frame(exc: BaseException) -> dict[str, Any] | None:
    """Return the locals of Keras' ``get_file`` if ``exc`` was raised inside it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        tb: TracebackType | None = current.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_name == "get_file" and "file_utils" in code.co_filename:
                return dict(tb.tb_frame.f_locals)
            tb = tb.tb_next
        current = current.__cause__ or current.__context__
    return None


def _weights_unavailable(
    settings: BackboneSettings, exc: BaseException, frame: dict[str, Any]
) -> WeightsUnavailableError:
    fname = frame.get("fname") or settings.imagenet_weights_file
    origin = frame.get("origin") or "the Keras weights server"
    datadir = frame.get("datadir") or str(keras_models_dir())
    root = exc  # Keras wraps the URLError: report the original reason
    while (root.__cause__ or root.__context__) is not None:
        root = root.__cause__ or root.__context__
    return WeightsUnavailableError(
        f"ImageNet weights for backbone {settings.name!r} are not available: "
        f"Keras needs {fname!r} and could not download it from {origin} "
        f"({describe_error(root)}). Either put that file in {datadir}/ "
        "(Keras looks in $KERAS_HOME/models/, default ~/.keras/models/; "
        "KERAS_HOME is read when Keras is first imported), or run offline with "
        "random weights: set backbone.weights to null "
        "(kedro run --params feature_engineering.backbone.weights=null)."
    )


def randomise_weights(model: keras.Model, seed: int) -> None:
    """Give every weight a fresh value drawn from ``np.random.default_rng(seed)``.

    Keras draws the seeds of unseeded initialisers from Python's global ``random``, which
    any other thread (a notebook, a Dask worker's event loop) may advance meanwhile: the
    "same" random backbone would then differ between runs. Drawing every value here from a
    local Generator makes random weights depend on ``seed`` alone. Kernels get Keras'
    default Glorot-uniform values (fans as ``keras.initializers`` computes them), biases
    and BatchNorm shifts zeros, BatchNorm scales and variances ones.
    """
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        shape = tuple(int(d) for d in weight.shape)
        name = (getattr(weight, "path", None) or weight.name).rsplit("/", 1)[-1]
        if name in ("gamma", "moving_variance"):
            values = np.ones(shape)
        elif len(shape) < 2:
            values = np.zeros(shape)
        else:
            receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            values = rng.uniform(-limit, limit, shape)
        weight.assign(values.astype(np.float32))


def calibrate_batch_norm(model: keras.Model, settings: BackboneSettings) -> None:
    """Set BatchNorm statistics of a randomly initialised model from a noise batch.

    Freshly initialised BatchNorm layers hold mean 0 / variance 1, so in
    inference mode they do not normalise, and through MobileNet's 27 plain
    conv layers the activations shrink to ~1e-17 (MobileNetV2 ~1e-12,
    EfficientNetB0 ~1e-6): features that small are useless downstream. One
    training-mode pass over a fixed, seeded noise batch with momentum 0 stores
    each layer's actual statistics, giving O(0.1-1) features.
    """
    keras = import_keras()
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not layers:
        return
    rng = np.random.default_rng(settings.seed)
    side = settings.input_size
    noise = rng.integers(0, 256, (_CALIBRATION_IMAGES, side, side, 3), dtype=np.uint8)
    momenta = [layer.momentum for layer in layers]
    model.trainable = True  # frozen BatchNorm layers ignore training=True
    try:
        for layer in layers:
            layer.momentum = 0.0
        model(preprocess(settings, noise), training=True)
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
        model.trainable = False




def weights_error(settings: BackboneSettings, exc: BaseException) -> Exception | None:
    """The clear error to raise when building the backbone raised ``exc``, if any.

    Returns:
        A :class:`WeightsUnavailableError` when ImageNet weights were asked for and
        ``exc`` comes from Keras' download (``get_file``); ``None`` otherwise.
    """
    frame = _get_file_frame(exc) if settings.weights == "imagenet" else None
    return None if frame is None else _weights_unavailable(settings, exc, frame)
