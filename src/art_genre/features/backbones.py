"""Build and run a backbone: the frozen Keras feature extractor of a
:class:`~art_genre.features.settings.BackboneSettings`, or its OpenVINO-compiled
twin when ``engine`` is ``openvino``, and one call that runs either on a batch.

The settings and their fingerprint live in :mod:`art_genre.features.settings`, the
weights in :mod:`art_genre.features.weights`, the preprocessing in
:mod:`art_genre.features.preprocessing` (the package, :mod:`art_genre.features`, exports
the public names of all four). Keras (and with it TensorFlow) is imported lazily.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from art_genre.features.preprocessing import import_keras
from art_genre.features.settings import BackboneSettings
from art_genre.features.weights import (
    calibrate_batch_norm,
    randomise_weights,
    weights_error,
)
from art_genre.machine import cpu_flags

if TYPE_CHECKING:  # pragma: no cover
    import keras

__all__ = [
    "build_backbone",
    "build_explaining_backbone",
    "build_keras_backbone",
    "cpu_has_fast_bfloat16",
    "run_backbone",
    "warn_if_no_fast_bfloat16",
]

logger = logging.getLogger(__name__)

_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def build_keras_backbone(settings: BackboneSettings, precision: str | None = None) -> keras.Model:
    """The frozen Keras feature extractor of ``settings``, whatever its engine.

    With ``weights=None`` the weights are random but reproducible (seeded by
    ``settings.seed``) and BatchNorm statistics are calibrated on seeded noise
    (see :func:`~art_genre.features.weights.calibrate_batch_norm`), so offline features
    are not ~0.

    Args:
        settings: Validated backbone settings.
        precision: Keras compute precision; ``None``: ``settings.precision``.

    Returns:
        A ``keras.Model`` (not trainable) mapping preprocessed ``(batch, size, size, 3)``
        float32 batches to ``(batch, D)`` features, ``D`` = :func:`~art_genre.features.settings.feature_width`.

    Raises:
        WeightsUnavailableError: If ``weights="imagenet"`` and Keras can neither
            find the weights file in its cache nor download it.
    """
    keras = import_keras()
    spec = settings.spec
    kwargs: dict[str, Any] = {
        "include_top": False,
        "weights": settings.weights,
        "input_shape": (settings.input_size, settings.input_size, 3),
        "pooling": None if settings.pooling == "flatten" else settings.pooling,
    }
    if spec.alphas is not None:
        kwargs["alpha"] = settings.alpha
    constructor = getattr(keras.applications, spec.constructor)
    precision = precision or settings.precision
    if precision != "float32":
        warn_if_no_fast_bfloat16()
    with _dtype_policy(keras, _POLICIES[precision]):
        try:
            base = constructor(**kwargs)
        except Exception as exc:
            clear = weights_error(settings, exc)
            if clear is not None:
                raise clear from exc
            raise
        if settings.weights is None:
            randomise_weights(base, settings.seed)
            calibrate_batch_norm(base, settings)
        if settings.pooling == "flatten":
            outputs = keras.layers.Flatten(name="flatten_features")(base.output)
            model = keras.Model(base.inputs, outputs, name=f"{base.name}_flatten")
        else:
            model = base
    model.trainable = False
    return model


def keras_float32_explaining(settings: BackboneSettings) -> Callable[[], keras.Model]:
    """What OpenVINO converts: the float32 Keras backbone with both outputs, built on
    call (only when the converted model is not cached yet)."""
    return lambda: keras_explaining_backbone(
        build_keras_backbone(settings, precision="float32"), settings.name
    )


def keras_explaining_backbone(model: keras.Model, name: str) -> keras.Model:
    """``model`` with a second output: the last feature map its pooling layer reads.

    Raises:
        ValueError: If the backbone's pooling layer does not read a 4-D feature map.
    """
    keras = import_keras()
    feature_map = model.layers[-1].input
    if len(feature_map.shape) != 4:  # pragma: no cover - a Keras layout change
        raise ValueError(
            f"Backbone {name!r} does not end with a pooling layer over a feature "
            f"map (its last layer reads shape {feature_map.shape})."
        )
    explaining = keras.Model(
        model.inputs, [model.output, feature_map], name=f"{model.name}_with_map"
    )
    explaining.trainable = False
    return explaining


def build_backbone(settings: BackboneSettings, threads: int | None = None) -> Any:
    """Build the frozen feature extractor described by ``settings``, on its engine.

    Args:
        settings: Validated backbone settings.
        threads: OpenVINO inference threads (``None``: every core it may use); TensorFlow's
            threads are set for the whole process instead
            (``tf.config.threading``, see :mod:`art_genre.features.distributed`).

    Returns:
        With ``engine: tensorflow`` the Keras model of :func:`build_keras_backbone`;
        with ``engine: openvino`` an
        :class:`~art_genre.features.openvino_engine.OpenVinoBackbone` (converted once,
        cached beside the feature cache) giving the same features. Either runs through
        :func:`run_backbone`.

    Raises:
        WeightsUnavailableError: As :func:`build_keras_backbone`.
    """
    if settings.engine == "openvino":
        from art_genre.features.openvino_engine import openvino_backbone  # noqa: PLC0415

        return openvino_backbone(settings, keras_float32_explaining(settings),
                                 with_feature_map=False, threads=threads)
    return build_keras_backbone(settings)


def build_explaining_backbone(settings: BackboneSettings) -> Any:
    """Build the backbone of ``settings`` with a second output: its last feature map.

    The same model as :func:`build_backbone` (same weights, same pooled features), whose
    pooling layer's input, the last convolutional feature map ``A`` of shape
    ``(batch, H, W, K)``, is returned too. One forward pass gives both what the classifier
    reads and what class activation maps (:mod:`art_genre.explain`) are made of; with
    OpenVINO both come from the one compiled model.

    Args:
        settings: Validated backbone settings.

    Returns:
        A frozen model mapping a preprocessed batch to
        ``[features (batch, D), feature_map (batch, H, W, K)]`` through
        :func:`run_backbone`.

    Raises:
        WeightsUnavailableError: As :func:`build_backbone`.
        ValueError: If the backbone's pooling layer does not read a 4-D feature map.
    """
    if settings.engine == "openvino":
        from art_genre.features.openvino_engine import openvino_backbone  # noqa: PLC0415

        return openvino_backbone(settings, keras_float32_explaining(settings),
                                 with_feature_map=True)
    return keras_explaining_backbone(build_keras_backbone(settings), settings.name)


_FORWARDS: weakref.WeakKeyDictionary[Any, Callable[[Any], Any]] = weakref.WeakKeyDictionary()
_FORWARDS_LOCK = threading.Lock()


def run_backbone(model: Any, x: np.ndarray) -> Any:
    """``model.predict_on_batch(x)``, with one traced graph for every batch size.

    Keras traces its predict function again for each new batch shape: a folder's last,
    smaller batch (or one shortened by unreadable images) paid a second trace. Here the
    model runs in a ``tf.function`` whose batch dimension is free, traced once per model
    (cached while the model lives). ``benchmarks/batch_tracing.py``, a fresh model per
    run on 2 cores: 420 images through MobileNet 0.25 in 1.36 s instead of 1.56 s, 68
    through ResNet50 in 5.06 s instead of 6.19 s; the outputs are identical to
    ``predict_on_batch``'s (also tested).

    Args:
        model: A Keras model (one input; one or more outputs), or an object with its
            own ``predict_on_batch`` (e.g. the distributed workers' serialised model),
            which is called as is.
        x: The preprocessed batch ``(n, ...)``.

    Returns:
        A NumPy array, or a list of them for a model with several outputs.
    """
    if not hasattr(model, "layers"):
        return model.predict_on_batch(x)
    with _FORWARDS_LOCK:
        forward = _FORWARDS.get(model)
        if forward is None:
            import tensorflow as tf  # noqa: PLC0415 - heavy import, deferred on purpose

            owner = weakref.ref(model)  # the cache must not keep the model alive
            forward = tf.function(
                lambda batch: owner()(batch, training=False),
                input_signature=[tf.TensorSpec((None, *x.shape[1:]), tf.as_dtype(x.dtype))],
            )
            _FORWARDS[model] = forward
    out = forward(x)
    if isinstance(out, list | tuple):
        return [np.asarray(o) for o in out]
    return np.asarray(out)


_POLICY_LOCK = threading.Lock()


@contextmanager
def _dtype_policy(keras: Any, policy: str) -> Iterator[None]:
    """Build under Keras' global dtype ``policy``, restoring the previous one after.

    Layers take the global policy when they are created, so the policy applies to this
    backbone only; the lock keeps two threads building at once from seeing each other's.
    """
    if policy == "float32" and keras.config.dtype_policy().name == "float32":
        yield
        return
    with _POLICY_LOCK:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(policy)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(previous)


def cpu_has_fast_bfloat16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool | None:
    """Whether the CPU flags list AVX512-BF16 or AMX-BF16 (``None``: flags unknown)."""
    flags = cpu_flags(cpuinfo)
    if flags is None:
        return None
    return any(flag in flags for flag in _BF16_CPU_FLAGS)


_WARNED_BF16: list[bool] = []


def _has_gpu() -> bool:
    try:
        import tensorflow as tf  # noqa: PLC0415 - already imported by Keras here

        return bool(tf.config.list_physical_devices("GPU"))
    except Exception:  # noqa: BLE001 - another Keras backend: judge by the CPU
        return False


def warn_if_no_fast_bfloat16() -> None:
    """Log once per process when the CPU has no bfloat16 instructions."""
    if _WARNED_BF16 or cpu_has_fast_bfloat16() is not False:
        return
    if _has_gpu():
        return  # the model runs on the GPU, whose bfloat16 units are fast
    _WARNED_BF16.append(True)
    logger.warning(
        "backbone.precision is bfloat16 but this CPU has neither AVX512-BF16 nor "
        "AMX-BF16 (/proc/cpuinfo): bfloat16 is emulated and usually slower than "
        "float32 here (on a GPU it is fast); precision: float32 is the better choice "
        "on this machine."
    )


