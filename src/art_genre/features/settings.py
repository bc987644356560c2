"""Backbone settings: the registry of ``keras.applications`` models, their validated
settings, and the fingerprint that names their feature cache.

Nothing here imports Keras or TensorFlow: validating settings and computing the
fingerprint stay cheap (random weights' fingerprint reads Keras' version from the
package metadata only).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, get_args

from art_genre.features.images import RESAMPLING_METHODS

Pooling = Literal["avg", "max", "flatten"]
Precision = Literal["float32", "bfloat16"]
Engine = Literal["tensorflow", "openvino"]
"""Inference engines running the backbone (:mod:`art_genre.features.openvino_engine`)."""
# The choice lists, declared once: the typed parameters use the Literals themselves.
POOLING_MODES: tuple[str, ...] = get_args(Pooling)
PRECISIONS: tuple[str, ...] = get_args(Precision)
ENGINES: tuple[str, ...] = get_args(Engine)
_FINGERPRINT_SCHEME = 1

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
        engine: What runs the backbone: ``"tensorflow"`` (the Keras model) or
            ``"openvino"`` (the same model converted once by OpenVINO and compiled with
            ``precision`` as its inference precision; see
            :mod:`art_genre.features.openvino_engine`).
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
    engine: str = "tensorflow"

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
        if isinstance(self.engine, str):
            object.__setattr__(self, "engine", self.engine.strip().lower())
        if self.engine not in ENGINES:
            raise ValueError(
                f"engine must be one of {', '.join(ENGINES)}; got {self.engine!r}."
            )

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
        pooling, alpha, input size and resize method, and the compute precision,
        reduced-size JPEG decoding and the engine when they differ from float32 / off /
        tensorflow (so that caches made before these settings existed keep their
        fingerprint).

        Returns:
            16 hexadecimal characters.
        """
        if self.weights == "imagenet":
            weights: Any = {"imagenet": self.imagenet_weights_file}
        elif self.weights is None:
            weights = {
                "random_seed": self.seed,
                "init": "local-glorot-uniform",  # see weights.randomise_weights
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
        if self.engine != "tensorflow":
            payload["engine"] = self.engine
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
