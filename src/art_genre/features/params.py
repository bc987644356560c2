"""Typed parameters of the features: ``params:feature_engineering`` (validated before any node).

Used by the ``feature_engineering`` pipeline and, for its PCA settings, by ``ablations``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from art_genre.features.engine_choice import choose_engine
from art_genre.features.settings import ENGINES, BackboneSettings, Pooling, Precision
from art_genre.quality import OnBadInput

EngineChoice = Literal[("auto", *ENGINES)]
"""``auto`` or one of the engines (one literal: one clear validation error)."""


class BackboneParams(BaseModel):
    """The pretrained network that turns an image into a feature vector.

    Attributes:
        name: A ``keras.applications`` model of the registry (``resnet50``, the study's;
            ``mobilenet``, ``mobilenet_v2``, ``efficientnet_b0``, ``vgg16``).
        weights: ``imagenet`` (Keras downloads them once into ``$KERAS_HOME/models``),
            ``null`` for a random, seeded backbone (offline; for tests), or a weights file.
        pooling: ``avg`` or ``max`` global pooling, or ``flatten``: the whole last feature
            map (ResNet50: 7x7x2048 = 100,352 numbers, as the study).
        alpha: Width multiplier where the model has one (MobileNet: 0.25 ... 1.0).
        input_size: Square input side (224 for ImageNet weights).
        resample: Resize filter (``bilinear``; Keras' ``load_img`` uses ``nearest``).
        seed: Seed of the random weights when ``weights`` is null.
        precision: ``float32`` or ``bfloat16`` (Keras' ``mixed_bfloat16`` policy for the
            backbone only; fast on CPUs with AVX512-BF16/AMX and on GPUs, emulated and
            slower elsewhere). Part of the fingerprint; features are stored as float32.
        jpeg_draft: Decode JPEGs at least twice the input size at 1/2, 1/4 or 1/8 scale
            (the smallest that stays at or above the input size), then resize as usual.
            Part of the fingerprint.
        engine: What runs the backbone: ``tensorflow`` (Keras), ``openvino`` (the same
            model converted once, cached under ``data/04_feature/engine_cache``, compiled
            at ``precision``) or ``auto``: the faster of the two for ``precision`` on this
            CPU (:func:`~art_genre.features.engine_choice.choose_engine`; the run logs
            the choice and why). Part of the fingerprint (the engine actually used).
        batch_size: Images per model call (and per cache shard; with the ``dask``
            executor, per task).
        decode_workers: Threads decoding the next batch while the model runs (on a Dask
            worker: threads decoding the images of its batch).
        executor: Where the extraction runs: ``local`` (in the Kedro process, one
            backbone, batch after batch) or ``dask`` (one Dask task per missing shard on
            a Dask cluster; see :class:`DaskParams`). The features, the shards and the
            fingerprint are the same either way.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "resnet50"
    weights: str | None = "imagenet"
    pooling: Pooling = "avg"
    alpha: float | None = None
    input_size: int = 224
    resample: str = "bilinear"
    seed: int = 0
    precision: Precision = "float32"
    jpeg_draft: bool = False
    engine: EngineChoice = "auto"
    batch_size: int = Field(32, ge=1)
    decode_workers: int = Field(1, ge=0)
    executor: Literal["local", "dask"] = "local"

    @model_validator(mode="after")
    def _known_backbone(self) -> BackboneParams:
        self.settings()  # raises ValueError naming the setting
        return self

    def engine_choice(self) -> tuple[str, str]:
        """``(engine, reason)``: the engine that runs, ``auto`` resolved for this CPU."""
        if self.engine == "auto":
            engine, why = choose_engine(self.precision)
            return engine, f"auto: {why}"
        return self.engine, "set in the parameters"

    def settings(self) -> BackboneSettings:
        """The :class:`~art_genre.features.BackboneSettings` these parameters describe
        (with ``engine: auto`` resolved for this CPU)."""
        return BackboneSettings(
            name=self.name,
            weights=self.weights,
            pooling=self.pooling,
            alpha=self.alpha,
            input_size=self.input_size,
            resample=self.resample,
            seed=self.seed,
            precision=self.precision,
            jpeg_draft=self.jpeg_draft,
            engine=self.engine_choice()[0],
        )


class PCAParams(BaseModel):
    """Dimension reduction, fitted on the training split only (or, as the study, on all).

    Attributes:
        fit_on: Rows the scaler and the PCA are fitted on: ``train`` (the training split
            only; validation and test images are only transformed) or ``all`` (every
            image, test included: the study's leak, kept to measure what it was worth).
        n_components: Components kept (the study: 100).
        random_state: Seed of the randomized solvers (the study: 42).
        standardize: Scale every feature to unit variance before the PCA.
        solver: ``auto`` (``randomized`` for features wider than 20,000, else ``full``),
            ``full``, ``randomized`` or ``incremental`` (``IncrementalPCA`` in batches).
        batch_size: Rows per ``partial_fit`` for the incremental solver.
    """

    model_config = ConfigDict(extra="forbid")

    fit_on: Literal["train", "all"] = "train"
    n_components: int = Field(100, ge=1)
    random_state: int = 42
    standardize: bool = False
    solver: Literal["auto", "full", "randomized", "incremental"] = "auto"
    batch_size: int = Field(512, ge=1)


_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$")


class DaskParams(BaseModel):
    """The Dask cluster that extracts features when ``backbone.executor`` is ``dask``.

    Each planned cache shard becomes one task; every worker process builds the backbone
    once and keeps it for the tasks that follow. Workers import ``art_genre`` (install
    the project on every worker machine) and read the images through the paths of the
    ``painting_images`` catalog entry, so a remote worker needs the same path (a shared
    mount) or an fsspec URL (``s3://...``) it can reach.

    Attributes:
        address: A running scheduler (``tcp://host:8786``); ``null`` starts a
            ``LocalCluster`` on this machine for the run and closes it when the last
            shard is written (or the run fails).
        n_workers: Worker processes of that ``LocalCluster`` (ignored with ``address``).
            Processes, not threads: each holds its own TensorFlow and backbone.
        threads_per_worker: Tasks one ``LocalCluster`` worker runs at once (ignored with
            ``address``: ``dask worker --nthreads``). The model calls of a worker take
            turns; with 2 the next task decodes its images meanwhile, as the local
            executor decodes the next batch (1 loses that overlap: 0.5-0.7x the speed).
        tf_threads: TensorFlow intra-op threads per worker process (with the OpenVINO
            engine: its inference threads); ``null`` keeps the engine's default (every
            core of the machine). On one machine with
            several workers, cores / ``n_workers`` avoids oversubscribing the cores.
        retries: Extra attempts of a task that raised (a worker that dies is handled
            by the scheduler: its tasks are rerun elsewhere, up to Dask's
            ``distributed.scheduler.allowed-failures``).
        dashboard_address: Dashboard of the ``LocalCluster`` (``":8787"``; needs
            ``bokeh``); ``null``: none.
        max_in_flight: At most this many batch tasks on the cluster at once (the next is
            submitted as each finished shard is written), so that a plan of a million
            images neither floods the scheduler nor keeps every result there; ``null``:
            every batch at once.
    """

    model_config = ConfigDict(extra="forbid")

    address: str | None = None
    n_workers: int = Field(2, ge=1)
    threads_per_worker: int = Field(2, ge=1)
    tf_threads: int | None = Field(None, ge=1)
    retries: int = Field(2, ge=0)
    dashboard_address: str | None = None
    max_in_flight: int | None = Field(64, ge=1)

    @field_validator("address")
    @classmethod
    def _scheduler_url(cls, address: str | None) -> str | None:
        if address is None or not address.strip() or address.strip().lower() == "null":
            return None
        address = address.strip()
        if not _ADDRESS.match(address):
            raise ValueError(
                f"feature_engineering.dask.address must be a scheduler URL such as "
                f"tcp://host:8786, or null for a LocalCluster; got {address!r}."
            )
        return address


class FeatureEngineeringParams(BaseModel):
    """Parameters of the ``feature_engineering`` pipeline."""

    model_config = ConfigDict(extra="forbid")

    backbone: BackboneParams = Field(default_factory=BackboneParams)
    dask: DaskParams = Field(default_factory=DaskParams)
    pca: PCAParams = Field(default_factory=PCAParams)
    on_bad_input: OnBadInput = "skip"
