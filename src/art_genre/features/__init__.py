"""Image feature extraction with pretrained ``keras.applications`` backbones.

Typical use::

    settings = BackboneSettings(name="resnet50", weights="imagenet", pooling="avg")
    model = build_backbone(settings)
    for batch in iter_feature_batches(partitions.items(), model, settings):
        ...  # batch.ids, batch.features (n, D), batch.failures

``settings.engine`` picks what runs the backbone: TensorFlow, or OpenVINO
(:mod:`art_genre.features.openvino_engine`); everything above works the same with
either. Keras/TensorFlow (and OpenVINO) are imported only when a model is built or images are
preprocessed, so importing this package is cheap.
"""

from art_genre.features.backbones import (
    build_backbone,
    build_explaining_backbone,
    run_backbone,
)
from art_genre.features.extraction import (
    FeatureBatch,
    iter_feature_batches,
)
from art_genre.features.images import (
    RESAMPLING_METHODS,
    ImageDecodeError,
    open_image,
    path_items,
    to_model_input,
)
from art_genre.features.preprocessing import preprocess, preprocess_function
from art_genre.features.settings import (
    BACKBONES,
    ENGINES,
    POOLING_MODES,
    PRECISIONS,
    BackboneSettings,
    BackboneSpec,
    feature_width,
)
from art_genre.features.weights import WeightsUnavailableError, keras_models_dir

__all__ = [
    "BACKBONES",
    "ENGINES",
    "POOLING_MODES",
    "PRECISIONS",
    "RESAMPLING_METHODS",
    "BackboneSettings",
    "BackboneSpec",
    "FeatureBatch",
    "ImageDecodeError",
    "WeightsUnavailableError",
    "build_backbone",
    "build_explaining_backbone",
    "feature_width",
    "iter_feature_batches",
    "keras_models_dir",
    "open_image",
    "path_items",
    "preprocess",
    "preprocess_function",
    "run_backbone",
    "to_model_input",
]
