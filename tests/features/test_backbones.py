"""Backbone settings, fingerprints, model widths, preprocessing, weights errors."""

from __future__ import annotations

import gc
import os
import urllib.error
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from art_genre.features import (
    BACKBONES,
    BackboneSettings,
    WeightsUnavailableError,
    build_backbone,
    build_explaining_backbone,
    feature_width,
    iter_feature_batches,
    preprocess,
    run_backbone,
)
from art_genre.features.backbones import _FORWARDS, cpu_has_fast_bfloat16
from tests.conftest import SHARED_KERAS, needs
from tests.features.helpers import stack_batches

# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"name": "resnet18"},
            "Unknown backbone 'resnet18'; known backbones: .*mobilenet_v2.*resnet50",
        ),
        ({"pooling": "mean"}, "pooling must be one of avg, max, flatten; got 'mean'"),
        ({"pooling": None}, "pooling must be one of"),
        ({"alpha": 0.5}, "Backbone 'resnet50' has no alpha"),
        ({"name": "vgg16", "alpha": 1.0}, "'vgg16' has no alpha"),
        (
            {"name": "mobilenet", "alpha": 0.3},
            r"alpha for 'mobilenet' must be one of 0\.25, 0\.5, 0\.75, 1\.0; got 0\.3",
        ),
        (
            {"name": "mobilenet_v2", "alpha": 0.25},
            "alpha for 'mobilenet_v2' must be one of 0.35",
        ),
        (
            {"name": "mobilenet", "alpha": "wide"},
            "alpha for 'mobilenet' must be one of",
        ),
        (
            {"weights": "no/such/weights.h5"},
            "weights file not found: 'no/such/weights.h5'",
        ),
        ({"weights": 3}, "weights must be 'imagenet', None or a weights file path"),
        ({"input_size": 100}, "input_size must be a multiple of 32"),
        ({"input_size": 0}, "input_size must be a multiple of 32"),
        ({"input_size": 224.0}, "input_size must be an integer"),
        (
            {"name": "mobilenet", "input_size": 256},
            "ImageNet weights for 'mobilenet' exist only for input_size 128, 160, 192, 224",
        ),
        ({"resample": "cubic"}, "resample must be one of"),
        ({"seed": "x", "weights": None}, "seed must be an integer"),
        ({"precision": "float16"}, "precision must be one of float32, bfloat16"),
        ({"precision": None}, "precision must be one of"),
        ({"jpeg_draft": "yes"}, "jpeg_draft must be true or false"),
        ({"engine": "onnx"}, "engine must be one of tensorflow, openvino; got 'onnx'"),
    ],
)
def test_invalid_settings_rejected_up_front(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackboneSettings(**kwargs)


def test_settings_normalisation(tmp_path):
    assert BackboneSettings().name == "resnet50"
    assert BackboneSettings(name="ResNet50").name == "resnet50"
    assert BackboneSettings(weights="null").weights is None
    assert BackboneSettings(weights="None").weights is None
    assert BackboneSettings(weights="ImageNet").weights == "imagenet"
    assert BackboneSettings(name="mobilenet").alpha == 1.0
    assert BackboneSettings(name="mobilenet", alpha=0.50).alpha == 0.5
    assert BackboneSettings(name="resnet50").alpha is None
    # random weights may use any multiple-of-32 size
    assert (
        BackboneSettings(name="mobilenet", weights=None, input_size=256).input_size
        == 256
    )
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"x")
    assert BackboneSettings(weights=path).weights == str(path)


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        BackboneSettings().name = "vgg16"  # type: ignore[misc]


# --------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable():
    fp = BackboneSettings().fingerprint()
    assert fp == BackboneSettings().fingerprint()
    assert len(fp) == 16 and int(fp, 16) >= 0
    # Pinned: a change here invalidates every cached feature file.
    assert fp == "45fa5a2a74d69f2f"


def test_fingerprint_changes_with_every_setting(tmp_path):
    weights_file = tmp_path / "w.h5"
    weights_file.write_bytes(b"weights v1")
    base = BackboneSettings(name="mobilenet", alpha=0.25, weights=None)
    variants = [
        base,
        replace(base, name="mobilenet_v2", alpha=0.35),
        replace(base, weights="imagenet"),
        replace(base, weights=str(weights_file)),
        replace(base, pooling="max"),
        replace(base, pooling="flatten"),
        replace(base, alpha=0.5),
        replace(base, input_size=192),
        replace(base, resample="bicubic"),
        replace(base, seed=1),
        replace(base, precision="bfloat16"),
        replace(base, jpeg_draft=True),
        replace(base, engine="openvino"),
    ]
    fingerprints = [v.fingerprint() for v in variants]
    assert len(set(fingerprints)) == len(variants)


def test_fingerprint_follows_weights_file_content_not_path(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    fa = BackboneSettings(weights=str(a)).fingerprint()
    assert fa == BackboneSettings(weights=str(b)).fingerprint()
    a.write_bytes(b"different")
    os.utime(a, ns=(1, 1))  # a new mtime must not be needed to notice
    assert BackboneSettings(weights=str(a)).fingerprint() != fa


def test_fingerprint_default_alpha_equals_explicit_alpha():
    implicit = BackboneSettings(name="mobilenet")
    assert (
        implicit.fingerprint()
        == BackboneSettings(name="mobilenet", alpha=1.0).fingerprint()
    )


def test_seed_matters_only_for_random_weights():
    a = BackboneSettings(seed=0).fingerprint()
    assert a == BackboneSettings(seed=1).fingerprint()


# ------------------------------------------------------ models and widths


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max", "flatten"])
def test_feature_width_matches_model(tiny_settings, tiny_model, pooling):
    settings = replace(tiny_settings, pooling=pooling)
    model = tiny_model if pooling == "avg" else build_backbone(settings)
    x = preprocess(settings, np.zeros((2, 224, 224, 3), np.uint8))
    out = model.predict_on_batch(x)
    expected = {"avg": 256, "max": 256, "flatten": 7 * 7 * 256}[pooling]
    assert feature_width(settings) == expected
    assert out.shape == (2, expected)
    assert model.output_shape == (None, expected)
    assert not model.trainable


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max", "flatten"])
def test_the_explaining_backbone_also_returns_the_map_it_pools(tiny_settings, pooling):
    settings = replace(tiny_settings, pooling=pooling, input_size=64)
    plain, explaining = build_backbone(settings), build_explaining_backbone(settings)
    rng = np.random.default_rng(0)
    x = preprocess(settings, rng.integers(0, 256, (3, 64, 64, 3), dtype=np.uint8))
    features, feature_map = explaining.predict_on_batch(x)
    assert feature_map.shape == (3, 2, 2, 256) and not explaining.trainable
    np.testing.assert_array_equal(features, plain.predict_on_batch(x))  # the same weights
    pooled = {
        "avg": feature_map.mean(axis=(1, 2)),
        "max": feature_map.max(axis=(1, 2)),
        "flatten": feature_map.reshape(3, -1),
    }[pooling]
    np.testing.assert_allclose(features, pooled, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_run_backbone_gives_predict_on_batch_outputs_for_any_batch_size(tiny_settings):
    """One graph with a free batch size: a smaller last batch is not traced again."""
    settings = replace(tiny_settings, input_size=64)
    plain, explaining = build_backbone(settings), build_explaining_backbone(settings)
    rng = np.random.default_rng(1)
    for n in (5, 2, 5, 1):
        x = preprocess(settings, rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8))
        np.testing.assert_array_equal(run_backbone(plain, x), plain.predict_on_batch(x))
        features, feature_map = run_backbone(explaining, x)
        expected = explaining.predict_on_batch(x)
        np.testing.assert_array_equal(features, expected[0])
        np.testing.assert_array_equal(feature_map, expected[1])
    assert _FORWARDS[plain].experimental_get_tracing_count() == 1  # four sizes, one trace
    del plain
    gc.collect()
    assert all(model is explaining for model in _FORWARDS.keys())  # no model kept alive


def test_run_backbone_calls_a_wrappers_own_predict_on_batch():
    class Serial:
        def predict_on_batch(self, x):
            return x * 2

    np.testing.assert_array_equal(run_backbone(Serial(), np.ones((2, 3))), np.full((2, 3), 2.0))


@pytest.mark.slow
def test_resnet50_flatten_is_the_study_width():
    settings = BackboneSettings(name="resnet50", weights=None, pooling="flatten")
    model = build_backbone(settings)
    assert feature_width(settings) == 100_352 == 7 * 7 * 2048
    assert model.output_shape == (None, 100_352)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "alpha", "width"),
    [
        ("mobilenet_v2", None, 1280),
        ("mobilenet_v2", 1.4, 1792),
        ("efficientnet_b0", None, 1280),
        ("vgg16", None, 512),
    ],
)
def test_other_backbones_widths(name, alpha, width):
    settings = BackboneSettings(name=name, alpha=alpha, weights=None, input_size=64)
    assert feature_width(settings) == width
    assert build_backbone(settings).output_shape == (None, width)


@pytest.mark.slow
def test_random_weights_are_seeded(tiny_settings, tiny_model):
    again = build_backbone(tiny_settings).get_weights()
    for a, b in zip(tiny_model.get_weights(), again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = build_backbone(replace(tiny_settings, seed=1)).get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(again, other, strict=True))


@pytest.mark.slow
def test_random_weight_features_do_not_vanish(tiny_settings, tiny_model):
    # Uncalibrated, random MobileNet 0.25 features are ~1e-17.
    rng = np.random.default_rng(5)
    batch = rng.integers(0, 256, (4, 224, 224, 3), dtype=np.uint8)
    features = tiny_model.predict_on_batch(preprocess(tiny_settings, batch))
    assert 0.01 < np.abs(features).mean() < 100
    assert features.std(axis=0).mean() > 1e-3  # images differ


# ----------------------------------------------------------- preprocessing


@pytest.mark.parametrize(
    ("name", "first_pixel"),
    [
        # caffe: RGB -> BGR minus the ImageNet means
        ("resnet50", [255 - 103.939, 0 - 116.779, 0 - 123.68]),
        ("vgg16", [255 - 103.939, 0 - 116.779, 0 - 123.68]),
        # tf: scaled to [-1, 1]
        ("mobilenet", [-1.0, -1.0, 1.0]),
        ("mobilenet_v2", [-1.0, -1.0, 1.0]),
        # the model rescales itself: identity
        ("efficientnet_b0", [0.0, 0.0, 255.0]),
    ],
)
def test_preprocess_uses_each_backbones_own_function(name, first_pixel):
    settings = BackboneSettings(name=name, weights=None, input_size=32)
    batch = np.zeros((1, 32, 32, 3), np.uint8)
    batch[..., 2] = 255  # pure blue
    out = preprocess(settings, batch)
    assert out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out[0, 0, 0], first_pixel, rtol=1e-6)
    assert batch[0, 0, 0, 2] == 255  # input untouched


def test_preprocess_rejects_wrong_shape(tiny_settings):
    with pytest.raises(
        ValueError, match=r"Expected a batch of shape \(n, 224, 224, 3\)"
    ):
        preprocess(tiny_settings, np.zeros((224, 224, 3), np.uint8))


# ------------------------------------------------------------ weights


@pytest.fixture
def offline_keras(tmp_path, monkeypatch):
    """An empty Keras cache and a network that always fails."""
    from keras.src.backend import config
    from keras.src.utils import file_utils

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("simulated: no network")

    monkeypatch.setattr(config, "_KERAS_DIR", str(tmp_path))
    monkeypatch.setattr(file_utils, "urlretrieve", no_network)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kwargs", "file_name"),
    [
        ({"name": "resnet50"}, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ({"name": "mobilenet", "alpha": 0.25}, "mobilenet_2_5_224_tf_no_top.h5"),
        (
            {"name": "mobilenet_v2", "alpha": 0.35, "input_size": 96},
            "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5",
        ),
        ({"name": "efficientnet_b0"}, "efficientnetb0_notop.h5"),
        ({"name": "vgg16"}, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ],
)
def test_failed_download_gives_one_clear_error(offline_keras, kwargs, file_name):
    settings = BackboneSettings(**kwargs)
    assert settings.imagenet_weights_file == file_name
    with pytest.raises(WeightsUnavailableError) as info:
        build_backbone(settings)
    message = str(info.value)
    assert f"'{file_name}'" in message
    assert str(offline_keras / "models") in message
    assert "$KERAS_HOME/models/" in message
    assert "~/.keras/models/" in message
    assert "backbone.weights" in message and "null" in message
    assert "simulated: no network" in message
    assert isinstance(info.value, RuntimeError)
    assert not (offline_keras / "models" / file_name).exists()


@pytest.mark.slow
@pytest.mark.real_data
@needs(SHARED_KERAS / "models" / "mobilenet_2_5_224_tf_no_top.h5")
def test_real_imagenet_weights_load_offline_through_keras_home(shared_keras_python):
    last = shared_keras_python(
        """
        import numpy as np
        from art_genre.features import BackboneSettings, build_backbone, keras_models_dir
        s = BackboneSettings(name="mobilenet", alpha=0.25, weights="imagenet")
        m = build_backbone(s)
        r = build_backbone(BackboneSettings(name="mobilenet", alpha=0.25, weights=None))
        same = all(np.array_equal(a, b) for a, b in zip(m.get_weights(), r.get_weights()))
        print(keras_models_dir(), m.output_shape, same)
        """
    )
    assert last == f"{SHARED_KERAS / 'models'} (None, 256) False"


def test_registry_names():
    assert {"resnet50", "mobilenet", "mobilenet_v2", "efficientnet_b0", "vgg16"} <= set(
        BACKBONES
    )


@pytest.mark.slow
def test_random_weights_ignore_the_global_random_state():
    """Another thread drawing from Python's `random` must not change a seeded backbone."""
    import random
    import threading

    from art_genre.features import BackboneSettings, build_backbone, preprocess

    settings = BackboneSettings(name="mobilenet", weights=None, alpha=0.25, input_size=64)
    pixels = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    batch = preprocess(settings, pixels)
    quiet = np.asarray(build_backbone(settings).predict_on_batch(batch))
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            random.random()

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        busy = np.asarray(build_backbone(settings).predict_on_batch(batch))
    finally:
        stop.set()
        thread.join()
    np.testing.assert_array_equal(quiet, busy)
    other = BackboneSettings(name="mobilenet", weights=None, alpha=0.25, input_size=64, seed=1)
    assert not np.array_equal(quiet, np.asarray(build_backbone(other).predict_on_batch(batch)))


# ----------------------------------------------------------------- precision


def test_precision_normalised_and_default_fingerprint_kept():
    assert BackboneSettings(precision="BFloat16").precision == "bfloat16"
    # float32 / no draft leave the pinned fingerprint (and the caches made before) as is
    assert BackboneSettings(precision="float32", jpeg_draft=False).fingerprint() == (
        BackboneSettings().fingerprint()
    )


@pytest.mark.slow
def test_bfloat16_features_are_float32_and_close(tiny_settings, tiny_model):
    import keras

    bf16 = replace(tiny_settings, precision="bfloat16")
    model = build_backbone(bf16)
    # the mixed policy belongs to this model only: the global policy is untouched
    assert keras.config.dtype_policy().name == "float32"
    assert model.layers[-1].dtype_policy.name == "mixed_bfloat16"
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (4, 224, 224, 3), dtype=np.uint8)
    x = preprocess(tiny_settings, pixels)
    ref = np.asarray(tiny_model.predict_on_batch(x), dtype=np.float32)
    ids, feats, _ = stack_batches(
        iter_feature_batches(
            [(str(i), Image.fromarray(p)) for i, p in enumerate(pixels)],
            model,
            bf16,
            progress=False,
        )
    )
    assert feats.dtype == np.float32 and feats.shape == ref.shape
    # bfloat16 keeps 8 bits of mantissa (~0.4 % per rounding); through 28 random-weight
    # layers (BatchNorm calibrated in bfloat16 too) that adds up to ~10 % per feature
    scale = np.abs(ref).mean()
    corr = np.corrcoef(feats.ravel(), ref.ravel())[0, 1]
    assert np.abs(feats - ref).mean() < 0.2 * scale
    assert corr > 0.75  # measured 0.85 (ImageNet weights: see benchmarks)


def test_cpu_bfloat16_flags(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu avx2 avx512f\n")
    assert cpu_has_fast_bfloat16(info) is False
    info.write_text("flags : fpu avx512f avx512_bf16\nflags : fpu amx_bf16\n")
    assert cpu_has_fast_bfloat16(info) is True
    assert cpu_has_fast_bfloat16(tmp_path / "missing") is None


def test_no_fast_bfloat16_is_logged_once(monkeypatch, caplog):
    from art_genre.features import backbones

    monkeypatch.setattr(backbones, "_WARNED_BF16", [])
    monkeypatch.setattr(backbones, "cpu_has_fast_bfloat16", lambda: False)
    monkeypatch.setattr(backbones, "_has_gpu", lambda: False)
    with caplog.at_level("WARNING", logger=backbones.__name__):
        backbones.warn_if_no_fast_bfloat16()
        backbones.warn_if_no_fast_bfloat16()
    messages = [r.getMessage() for r in caplog.records if "AVX512-BF16" in r.getMessage()]
    assert len(messages) == 1
