"""The OpenVINO engine: the Keras backbone converted once, cached, compiled per run.

``engine: openvino`` runs the same network as ``engine: tensorflow``, with the same
weights:

1. :func:`converted_backbone` builds the float32 Keras model with its two outputs
   (pooled features and the last feature map, see
   :func:`~art_genre.features.backbones.build_explaining_backbone`), converts it with
   ``openvino.convert_model`` and saves the IR (float32 weights, not compressed to
   float16) under the backbone's fingerprint, beside the feature cache:
   ``<engine cache>/<fingerprint>/openvino-<version>/backbone.xml``. Later runs, the
   Dask workers, ``predict`` and the explainer read it back without converting again;
   another backbone setting is another fingerprint, hence another folder.
2. :func:`compile_backbone` compiles it for the CPU with ``INFERENCE_PRECISION_HINT``
   from ``precision`` (``f32`` or ``bf16``) and the ``THROUGHPUT`` performance hint.
3. :class:`OpenVinoBackbone` splits each batch over the compiled model's optimal
   number of infer requests (one per stream) and runs them at once.

The engine cache folder is ``data/04_feature/engine_cache`` (relative to the directory
the run starts in, the project root for ``kedro run``) unless the environment variable
``ART_GENRE_ENGINE_CACHE`` names another one.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from art_genre.features.settings import BackboneSettings

logger = logging.getLogger(__name__)

ENGINE_CACHE_ENV = "ART_GENRE_ENGINE_CACHE"
DEFAULT_ENGINE_CACHE = Path("data") / "04_feature" / "engine_cache"
FEATURES, FEATURE_MAP = "features", "feature_map"
"""Names given to the converted model's two outputs."""
OV_PRECISIONS = {"float32": "f32", "bfloat16": "bf16"}


def import_openvino() -> Any:
    """Import OpenVINO, with an error that says how to get it when it is missing."""
    try:
        import openvino  # noqa: PLC0415 - optional and heavy, deferred on purpose
    except ImportError as error:
        raise ImportError(
            "backbone.engine is openvino but the openvino package is not installed: "
            "pip install openvino (it is in requirements-linux-py311.txt), or set "
            "feature_engineering.backbone.engine=tensorflow."
        ) from error
    return openvino


def engine_cache_dir() -> Path:
    """The folder holding converted models: ``$ART_GENRE_ENGINE_CACHE`` or the default."""
    return Path(os.environ.get(ENGINE_CACHE_ENV) or DEFAULT_ENGINE_CACHE)


def converted_model_path(settings: BackboneSettings, cache_dir: Path | None = None) -> Path:
    """Where the converted model of ``settings`` is (or will be) cached."""
    version = import_openvino().get_version().split("-", 1)[0]
    root = Path(cache_dir) if cache_dir is not None else engine_cache_dir()
    return root / settings.fingerprint() / f"openvino-{version}" / "backbone.xml"


def _name_outputs(model: Any) -> None:
    """Name the feature map (the 4-D output) and the pooled features (the other)."""
    outputs = list(model.outputs)
    ranks = [out.get_partial_shape().rank.get_length() for out in outputs]
    if len(outputs) != 2 or ranks.count(4) != 1:  # pragma: no cover - a converter change
        raise RuntimeError(f"Unexpected outputs of the converted backbone: {outputs}.")
    for out, rank in zip(outputs, ranks, strict=True):
        out.get_tensor().set_names({FEATURE_MAP if rank == 4 else FEATURES})


def _convert(keras_model: Callable[[], Any], target: Path) -> None:
    """Convert the float32 Keras backbone (two outputs) and save it at ``target``."""
    ov = import_openvino()
    model = ov.convert_model(keras_model())
    _name_outputs(model)
    target.parent.parent.mkdir(parents=True, exist_ok=True)
    # Saved into a private folder, then moved in whole: a reader never sees half a model,
    # and two processes converting at once both end with a complete one.
    staging = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent.parent))
    try:
        ov.save_model(model, staging / target.name, compress_to_fp16=False)
        try:
            staging.rename(target.parent)
        except OSError:  # another process moved its copy in first
            logger.debug("Converted model already at %s; this copy is dropped.", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def converted_backbone(
    settings: BackboneSettings, keras_model: Callable[[], Any], cache_dir: Path | None = None
) -> Any:
    """The backbone of ``settings`` as an ``openvino.Model``, converted on first use only.

    Args:
        settings: Validated backbone settings (any ``engine``: the network is the same).
        keras_model: Builds the float32 Keras backbone with both outputs (pooled
            features, last feature map), called only when a conversion is needed
            (:func:`art_genre.features.backbones.keras_float32_explaining`).
        cache_dir: Engine cache folder; ``None``: :func:`engine_cache_dir`.

    Returns:
        The model, with outputs ``features`` ``(batch, D)`` and ``feature_map``
        ``(batch, H, W, K)`` and a free batch dimension.

    Raises:
        WeightsUnavailableError: If the model must be converted and its ImageNet weights
            cannot be had.
    """
    ov = import_openvino()
    path = converted_model_path(settings, cache_dir)
    if path.is_file():
        logger.info("OpenVINO backbone %s: converted model reused from %s.", settings.name, path)
    else:
        logger.info("OpenVINO backbone %s: converting it once into %s.", settings.name, path)
        # A folder left without its model (an interrupted move) is replaced.
        if path.parent.exists():
            shutil.rmtree(path.parent, ignore_errors=True)
        _convert(keras_model, path)
    return ov.Core().read_model(path)


def compile_backbone(model: Any, precision: str, threads: int | None = None) -> Any:
    """Compile ``model`` for the CPU at ``precision`` with the throughput hint.

    Args:
        model: An ``openvino.Model`` (:func:`converted_backbone`).
        precision: ``float32`` or ``bfloat16`` (``INFERENCE_PRECISION_HINT`` ``f32`` or
            ``bf16``). A CPU without bfloat16 instructions computes float32 instead:
            OpenVINO reports it, and so does the log.
        threads: ``INFERENCE_NUM_THREADS`` (``None``: every core this process may use).

    Returns:
        The ``openvino.CompiledModel``.
    """
    ov = import_openvino()
    hint = ov.properties.hint
    config = {
        hint.inference_precision: OV_PRECISIONS[precision],
        hint.performance_mode: hint.PerformanceMode.THROUGHPUT,
    }
    if threads is not None:
        config[ov.properties.inference_num_threads] = threads
    compiled = ov.Core().compile_model(model, "CPU", config)
    used = compiled.get_property(hint.inference_precision).to_string()  # "f32", "bf16"
    streams = compiled.get_property(ov.properties.optimal_number_of_infer_requests)
    logger.info(
        "OpenVINO backbone compiled for the CPU: inference precision %s (asked %s), "
        "%d infer requests.",
        used,
        OV_PRECISIONS[precision],
        streams,
    )
    if precision == "bfloat16" and used != "bf16":
        logger.warning(
            "backbone.precision is bfloat16 but OpenVINO computes %s on this CPU (no "
            "AVX512-BF16 or AMX): the features are float32 ones, under a bfloat16 "
            "fingerprint.",
            used,
        )
    return compiled


class OpenVinoBackbone:
    """A compiled backbone that runs each batch over all its infer requests at once.

    Behaves as the Keras model for :func:`~art_genre.features.backbones.run_backbone`:
    ``predict_on_batch(x)`` returns the pooled features, or ``[features, feature_map]``
    when built ``with_feature_map``. Calls from several threads take turns.

    Args:
        compiled: The ``openvino.CompiledModel`` (:func:`compile_backbone`).
        with_feature_map: Also return the last feature map (for the explainer).
        precision: The precision it was compiled with (for the record).
    """

    def __init__(self, compiled: Any, with_feature_map: bool, precision: str) -> None:
        ov = import_openvino()
        self.compiled = compiled
        self.with_feature_map = with_feature_map
        self.precision = precision
        n = int(compiled.get_property(ov.properties.optimal_number_of_infer_requests))
        self._requests = [compiled.create_infer_request() for _ in range(max(1, n))]
        self._lock = threading.Lock()

    def _outputs(self, request: Any) -> list[np.ndarray]:
        names = (FEATURES, FEATURE_MAP) if self.with_feature_map else (FEATURES,)
        return [np.array(request.get_tensor(name).data, dtype=np.float32) for name in names]

    def predict_on_batch(self, x: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """Features of a preprocessed batch ``(n, size, size, 3)`` (and feature maps)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        with self._lock:
            parts = [p for p in np.array_split(x, len(self._requests)) if len(p)]
            busy = self._requests[: len(parts)]
            for request, part in zip(busy, parts, strict=True):
                request.start_async({0: part}, share_inputs=True)
            for request in busy:
                request.wait()
            outputs = [self._outputs(request) for request in busy]
        joined = [np.concatenate(column) for column in zip(*outputs, strict=True)]
        return joined if self.with_feature_map else joined[0]


def openvino_backbone(
    settings: BackboneSettings,
    keras_model: Callable[[], Any],
    with_feature_map: bool,
    cache_dir: Path | None = None,
    threads: int | None = None,
) -> OpenVinoBackbone:
    """The backbone of ``settings`` on OpenVINO: converted (once), compiled, ready.

    Args:
        settings: Validated backbone settings.
        keras_model: See :func:`converted_backbone`.
        with_feature_map: Also return the last feature map from each call.
        cache_dir: Engine cache folder; ``None``: :func:`engine_cache_dir`.
        threads: Inference threads (``None``: every core this process may use).

    Returns:
        The :class:`OpenVinoBackbone`.
    """
    model = converted_backbone(settings, keras_model, cache_dir)
    compiled = compile_backbone(model, settings.precision, threads)
    return OpenVinoBackbone(compiled, with_feature_map, settings.precision)
