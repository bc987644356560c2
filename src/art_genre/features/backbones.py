"""A small registry of ``keras.applications`` backbones used as feature extractors.

Settings are validated up front (no Keras import needed), fingerprinted for
caching, and turned into a frozen ``keras.Model`` that maps a preprocessed
``(batch, size, size, 3)`` float32 batch to ``(batch, D)`` features.

Keras (and with it TensorFlow) is imported lazily, so importing this module and
validating settings stay cheap.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from art_genre.features.images import RESAMPLING_METHODS, describe_error
from art_genre.machine import cpu_flags

if TYPE_CHECKING:  # pragma: no cover
    import keras

logger = logging.getLogger(__name__)

POOLING_MODES = ("avg", "max", "flatten")
PRECISIONS = ("float32", "bfloat16")
_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
_FINGERPRINT_SCHEME = 1
_CALIBRATION_IMAGES = 4


class WeightsUnavailableError(RuntimeError):
    """Raised when Keras cannot find or download a backbone's ImageNet weights."""


@dataclass(frozen=True)
class BackboneSpec:
    """How to build one ``keras.applications`` backbone.

    Attributes:
        constructor: Attribute of ``keras.applications`` that builds the model.
        module: Submodule of ``keras.applications`` holding ``preprocess_input``.
        channels: Maps the effective ``alpha`` to the last feature map's depth.
        weights_file: Maps ``(alpha, input_size)`` to the no-top ImageNet weights
            file name Keras downloads into ``$KERAS_HOME/models/``.
        alphas: Width multipliers Keras has ImageNet weights for, or ``None``
            when the model has no ``alpha``.
        imagenet_sizes: Input sizes Keras has ImageNet weights for, or ``None``
            when any size works.
    """

    constructor: str
    module: str
    channels: Callable[[float | None], int]
    weights_file: Callable[[float | None, int], str]
    alphas: tuple[float, ...] | None = None
    imagenet_sizes: tuple[int, ...] | None = None

    @property
    def default_alpha(self) -> float | None:
        """The ``alpha`` Keras uses when none is given (``None`` if no alpha)."""
        return 1.0 if self.alphas is not None else None


def _mobilenet_file(alpha: float | None, size: int) -> str:
    text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[float(alpha or 1.0)]
    return f"mobilenet_{text}_{size}_tf_no_top.h5"


def _mobilenet_v2_file(alpha: float | None, size: int) -> str:
    return (
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
        f"{float(alpha or 1.0)}_{size}_no_top.h5"
    )


def _mobilenet_v2_channels(alpha: float | None) -> int:
    alpha = float(alpha or 1.0)
    if alpha <= 1.0:
        return 1280
    value = 1280 * alpha  # keras' _make_divisible(1280 * alpha, 8)
    rounded = max(8, int(value + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * value else rounded


#: Registered backbones, by settings name.
BACKBONES: dict[str, BackboneSpec] = {
    "resnet50": BackboneSpec(
        constructor="ResNet50",
        module="resnet50",
        channels=lambda _alpha: 2048,
        weights_file=lambda _a, _s: (
            "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
        ),
    ),
    "mobilenet": BackboneSpec(
        constructor="MobileNet",
        module="mobilenet",
        channels=lambda alpha: int(1024 * float(alpha or 1.0)),
        weights_file=_mobilenet_file,
        alphas=(0.25, 0.5, 0.75, 1.0),
        imagenet_sizes=(128, 160, 192, 224),
    ),
    "mobilenet_v2": BackboneSpec(
        constructor="MobileNetV2",
        module="mobilenet_v2",
        channels=_mobilenet_v2_channels,
        weights_file=_mobilenet_v2_file,
        alphas=(0.35, 0.5, 0.75, 1.0, 1.3, 1.4),
        imagenet_sizes=(96, 128, 160, 192, 224),
    ),
    "efficientnet_b0": BackboneSpec(
        constructor="EfficientNetB0",
        module="efficientnet",
        channels=lambda _alpha: 1280,
        weights_file=lambda _a, _s: "efficientnetb0_notop.h5",
    ),
    "vgg16": BackboneSpec(
        constructor="VGG16",
        module="vgg16",
        channels=lambda _alpha: 512,
        weights_file=lambda _a, _s: "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
    ),
}


@dataclass(frozen=True)
class BackboneSettings:
    """Everything that determines which features a backbone produces.

    Values are validated (and ``alpha``/``weights`` normalised) on creation, so
    a bad configuration fails before any image is read.

    Attributes:
        name: A key of :data:`BACKBONES`.
        weights: ``"imagenet"``, ``None`` (random, seeded weights, BatchNorm
            statistics calibrated on seeded noise; works offline) or the path
            of a weights file that exists.
        pooling: ``"avg"`` or ``"max"`` (global pooling, ``D`` = channels) or
            ``"flatten"`` (the whole last feature map, e.g. 7x7x2048 = 100,352
            numbers for ResNet50 at 224 px, as in the study).
        alpha: Width multiplier, only for MobileNet (0.25, 0.5, 0.75, 1.0) and
            MobileNetV2 (0.35, 0.5, 0.75, 1.0, 1.3, 1.4); ``None`` means 1.0.
        input_size: Square input side in pixels, a multiple of 32 (>= 32).
        resample: Resize filter used by :func:`~art_genre.features.images.to_model_input`.
        seed: Seed of the random initialisation, used only when ``weights`` is
            ``None`` so that offline runs are reproducible.
        precision: Compute precision of the backbone: ``"float32"`` or ``"bfloat16"``
            (Keras' ``mixed_bfloat16`` policy: float32 weights, bfloat16 compute; fast
            only on CPUs with AVX512-BF16/AMX or on GPUs). Features are float32 either way.
        jpeg_draft: Decode JPEGs at least twice the input size at a reduced scale
            (1/2, 1/4 or 1/8, the smallest that stays at or above the input size)
            before the resize (see :func:`~art_genre.features.images.to_model_input`).
    """

    name: str = "resnet50"
    weights: str | None = "imagenet"
    pooling: str = "avg"
    alpha: float | None = None
    input_size: int = 224
    resample: str = "bilinear"
    seed: int = 0
    precision: str = "float32"
    jpeg_draft: bool = False

    def __post_init__(self) -> None:
        """Validate every field and normalise ``name``, ``weights`` and ``alpha``."""
        if isinstance(self.name, str):
            object.__setattr__(self, "name", self.name.strip().lower())
        if self.name not in BACKBONES:
            known = ", ".join(sorted(BACKBONES))
            raise ValueError(
                f"Unknown backbone {self.name!r}; known backbones: {known}."
            )
        spec = BACKBONES[self.name]
        object.__setattr__(self, "weights", _normalise_weights(self.weights))
        if self.pooling not in POOLING_MODES:
            raise ValueError(
                f"pooling must be one of {', '.join(POOLING_MODES)}; "
                f"got {self.pooling!r}."
            )
        size = self.input_size
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"input_size must be an integer, got {size!r}.")
        if size < 32 or size % 32:
            raise ValueError(
                f"input_size must be a multiple of 32 and at least 32, got {size}."
            )
        object.__setattr__(self, "alpha", _normalise_alpha(self.name, spec, self.alpha))
        if (
            self.weights == "imagenet"
            and spec.imagenet_sizes is not None
            and size not in spec.imagenet_sizes
        ):
            sizes = ", ".join(map(str, spec.imagenet_sizes))
            raise ValueError(
                f"ImageNet weights for {self.name!r} exist only for input_size "
                f"{sizes}; got {size}."
            )
        if self.resample not in RESAMPLING_METHODS:
            known = ", ".join(sorted(RESAMPLING_METHODS))
            raise ValueError(f"resample must be one of {known}; got {self.resample!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}.")
        if isinstance(self.precision, str):
            object.__setattr__(self, "precision", self.precision.strip().lower())
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}."
            )
        if not isinstance(self.jpeg_draft, bool):
            raise ValueError(f"jpeg_draft must be true or false, got {self.jpeg_draft!r}.")

    @property
    def spec(self) -> BackboneSpec:
        """The registry entry of this backbone."""
        return BACKBONES[self.name]

    @property
    def image_size(self) -> tuple[int, int]:
        """The ``(height, width)`` images are resized to."""
        return (self.input_size, self.input_size)

    @property
    def imagenet_weights_file(self) -> str:
        """File name Keras uses for this backbone's no-top ImageNet weights."""
        return self.spec.weights_file(self.alpha, self.input_size)

    def fingerprint(self) -> str:
        """Return a short, stable hex hash of everything that changes the features.

        Covers the backbone name, weights (ImageNet file name; a weights file's
        content hash; or the seed and Keras version for random weights),
        pooling, alpha, input size and resize method, and the compute precision and
        reduced-size JPEG decoding when they differ from float32 / off (so that caches
        made before these settings existed keep their fingerprint).

        Returns:
            16 hexadecimal characters.
        """
        if self.weights == "imagenet":
            weights: Any = {"imagenet": self.imagenet_weights_file}
        elif self.weights is None:
            weights = {
                "random_seed": self.seed,
                "init": "local-glorot-uniform",  # see _randomise_weights
                "keras": _keras_version(),
            }
        else:
            weights = {"file_sha256": _file_sha256(self.weights)}
        payload = {
            "scheme": _FINGERPRINT_SCHEME,
            "name": self.name,
            "weights": weights,
            "pooling": self.pooling,
            "alpha": self.alpha,
            "input_size": self.input_size,
            "resample": self.resample,
        }
        if self.precision != "float32":
            payload["precision"] = self.precision
        if self.jpeg_draft:
            payload["jpeg_draft"] = True
        blob = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a plain dict (for logging or metadata)."""
        return asdict(self)


def _normalise_weights(weights: Any) -> str | None:
    if weights is None:
        return None
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if not isinstance(weights, str):
        raise ValueError(
            f"weights must be 'imagenet', None or a weights file path; got {weights!r}."
        )
    if weights.strip().lower() in {"none", "null", ""}:
        return None
    if weights.strip().lower() == "imagenet":
        return "imagenet"
    if not Path(weights).is_file():
        raise ValueError(
            f"weights file not found: {weights!r} (weights must be 'imagenet', "
            "None or the path of an existing weights file)."
        )
    return weights


def _normalise_alpha(name: str, spec: BackboneSpec, alpha: Any) -> float | None:
    if spec.alphas is None:
        if alpha is not None:
            with_alpha = sorted(n for n, s in BACKBONES.items() if s.alphas)
            raise ValueError(
                f"Backbone {name!r} has no alpha (got alpha={alpha!r}); only "
                f"{', '.join(with_alpha)} take one."
            )
        return None
    if alpha is None:
        return spec.default_alpha
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(alpha, bool) or value not in spec.alphas:
        allowed = ", ".join(str(a) for a in spec.alphas)
        raise ValueError(f"alpha for {name!r} must be one of {allowed}; got {alpha!r}.")
    return value


def _keras_version() -> str:
    try:
        return metadata.version("keras")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


@lru_cache(maxsize=32)
def _file_sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_sha256(path: str) -> str:
    stat = os.stat(path)
    return _file_sha256_cached(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


def _import_keras() -> Any:
    import keras  # noqa: PLC0415 - heavy import, deferred on purpose

    return keras


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


def _randomise_weights(model: keras.Model, seed: int) -> None:
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


def build_backbone(settings: BackboneSettings) -> keras.Model:
    """Build the frozen feature extractor described by ``settings``.

    With ``weights=None`` the weights are random but reproducible (seeded by
    ``settings.seed``) and BatchNorm statistics are calibrated on seeded noise
    (see :func:`_calibrate_batch_norm`), so offline features are not ~0.

    Args:
        settings: Validated backbone settings.

    Returns:
        A ``keras.Model`` (not trainable) mapping ``(batch, size, size, 3)`` float32 batches
        (already passed through :func:`preprocess`) to ``(batch, D)`` features,
        ``D`` = :func:`feature_width`.

    Raises:
        WeightsUnavailableError: If ``weights="imagenet"`` and Keras can neither
            find the weights file in its cache nor download it.
    """
    keras = _import_keras()
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
    if settings.precision != "float32":
        warn_if_no_fast_bfloat16()
    with _dtype_policy(keras, _POLICIES[settings.precision]):
        try:
            base = constructor(**kwargs)
        except Exception as exc:
            frame = _get_file_frame(exc) if settings.weights == "imagenet" else None
            if frame is not None:
                raise _weights_unavailable(settings, exc, frame) from exc
            raise
        if settings.weights is None:
            _randomise_weights(base, settings.seed)
            _calibrate_batch_norm(base, settings)
        if settings.pooling == "flatten":
            outputs = keras.layers.Flatten(name="flatten_features")(base.output)
            model = keras.Model(base.inputs, outputs, name=f"{base.name}_flatten")
        else:
            model = base
    model.trainable = False
    return model


def build_explaining_backbone(settings: BackboneSettings) -> keras.Model:
    """Build the backbone of ``settings`` with a second output: its last feature map.

    The same model as :func:`build_backbone` (same weights, same pooled features), whose
    pooling layer's input, the last convolutional feature map ``A`` of shape
    ``(batch, H, W, K)``, is returned too. One forward pass gives both what the classifier
    reads and what class activation maps (:mod:`art_genre.explain`) are made of.

    Args:
        settings: Validated backbone settings.

    Returns:
        A frozen ``keras.Model`` mapping a preprocessed batch to
        ``[features (batch, D), feature_map (batch, H, W, K)]``.

    Raises:
        WeightsUnavailableError: As :func:`build_backbone`.
        ValueError: If the backbone's pooling layer does not read a 4-D feature map.
    """
    keras = _import_keras()
    model = build_backbone(settings)
    feature_map = model.layers[-1].input
    if len(feature_map.shape) != 4:  # pragma: no cover - a Keras layout change
        raise ValueError(
            f"Backbone {settings.name!r} does not end with a pooling layer over a feature "
            f"map (its last layer reads shape {feature_map.shape})."
        )
    explaining = keras.Model(
        model.inputs, [model.output, feature_map], name=f"{model.name}_with_map"
    )
    explaining.trainable = False
    return explaining


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


def _calibrate_batch_norm(model: keras.Model, settings: BackboneSettings) -> None:
    """Set BatchNorm statistics of a randomly initialised model from a noise batch.

    Freshly initialised BatchNorm layers hold mean 0 / variance 1, so in
    inference mode they do not normalise, and through MobileNet's 27 plain
    conv layers the activations shrink to ~1e-17 (MobileNetV2 ~1e-12,
    EfficientNetB0 ~1e-6): features that small are useless downstream. One
    training-mode pass over a fixed, seeded noise batch with momentum 0 stores
    each layer's actual statistics, giving O(0.1-1) features.
    """
    keras = _import_keras()
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


def preprocess_function(settings: BackboneSettings) -> Callable[..., Any]:
    """Return the backbone's own ``keras.applications.<module>.preprocess_input``.

    Args:
        settings: Backbone settings.

    Returns:
        The preprocessing function.
    """
    keras = _import_keras()
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


def feature_width(settings: BackboneSettings) -> int:
    """Return ``D``, the number of features per image, without building a model.

    Args:
        settings: Backbone settings.

    Returns:
        Channels of the last feature map for ``avg``/``max`` pooling, times the
        ``(input_size / 32) ** 2`` positions for ``flatten``.
    """
    channels = settings.spec.channels(settings.alpha)
    if settings.pooling == "flatten":
        side = settings.input_size // 32
        return channels * side * side
    return channels
