"""Typed parameters of the ``feature_engineering`` pipeline (validated before any node)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from art_genre.features import BackboneSettings


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
        batch_size: Images per model call (and per cache shard).
        decode_workers: Threads decoding the next batch while the model runs.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = "resnet50"
    weights: str | None = "imagenet"
    pooling: Literal["avg", "max", "flatten"] = "avg"
    alpha: float | None = None
    input_size: int = 224
    resample: str = "bilinear"
    seed: int = 0
    batch_size: int = Field(32, ge=1)
    decode_workers: int = Field(1, ge=0)

    @model_validator(mode="after")
    def _known_backbone(self) -> BackboneParams:
        self.settings()  # raises ValueError naming the setting
        return self

    def settings(self) -> BackboneSettings:
        """The :class:`~art_genre.features.BackboneSettings` these parameters describe."""
        return BackboneSettings(
            name=self.name,
            weights=self.weights,
            pooling=self.pooling,
            alpha=self.alpha,
            input_size=self.input_size,
            resample=self.resample,
            seed=self.seed,
        )


class PCAParams(BaseModel):
    """Dimension reduction fitted on the training split only.

    Attributes:
        n_components: Components kept (the study: 100).
        random_state: Seed of the randomized solvers (the study: 42).
        standardize: Scale every feature to unit variance before the PCA.
        solver: ``auto`` (``randomized`` for features wider than 20,000, else ``full``),
            ``full``, ``randomized`` or ``incremental`` (``IncrementalPCA`` in batches).
        batch_size: Rows per ``partial_fit`` for the incremental solver.
    """

    model_config = ConfigDict(extra="forbid")

    n_components: int = Field(100, ge=1)
    random_state: int = 42
    standardize: bool = False
    solver: Literal["auto", "full", "randomized", "incremental"] = "auto"
    batch_size: int = Field(512, ge=1)


class FeatureEngineeringParams(BaseModel):
    """Parameters of the ``feature_engineering`` pipeline."""

    model_config = ConfigDict(extra="forbid")

    backbone: BackboneParams = Field(default_factory=BackboneParams)
    pca: PCAParams = Field(default_factory=PCAParams)
    on_bad_input: Literal["skip", "fail"] = "skip"
