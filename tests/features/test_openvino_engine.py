"""The OpenVINO engine: parity with TensorFlow, the converted-model cache, the explainer,
and ``engine: auto``."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pytest

from art_genre.explain.cam import Explainer
from art_genre.features import (
    BackboneSettings,
    build_backbone,
    build_explaining_backbone,
    iter_feature_batches,
    openvino_engine,
    path_items,
    preprocess,
    run_backbone,
)
from art_genre.features.engine_choice import choose_engine
from art_genre.features.params import BackboneParams
from tests.conftest import SAMPLE, SHARED_KERAS, needs
from tests.explain.helpers import head
from tests.features.conftest import TINY
from tests.features.helpers import stack_batches


def _has_openvino() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


needs_openvino = pytest.mark.skipif(not _has_openvino(), reason="openvino not installed")
OPENVINO = replace(TINY, engine="openvino")  # MobileNet 0.25, random seeded weights


@pytest.fixture
def engine_cache(tmp_path, monkeypatch):
    """A private engine cache folder for the test."""
    folder = tmp_path / "engine_cache"
    monkeypatch.setenv(openvino_engine.ENGINE_CACHE_ENV, str(folder))
    return folder


@pytest.fixture(scope="module")
def sample_items():
    files = sorted(p for p in SAMPLE.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg"})
    return files[::7]


# ------------------------------------------------------------------ settings


def test_the_fingerprint_includes_the_engine():
    assert OPENVINO.fingerprint() != TINY.fingerprint()
    # the default engine leaves the fingerprint of earlier caches as it was
    assert TINY.fingerprint() == BackboneSettings(
        name="mobilenet", alpha=0.25, weights=None, engine=" TensorFlow "
    ).fingerprint()


def test_an_unknown_engine_is_refused_up_front():
    with pytest.raises(ValueError, match="engine must be one of tensorflow, openvino"):
        BackboneSettings(engine="onnx")
    with pytest.raises(ValueError, match="engine"):
        BackboneParams(engine="onnx")


@pytest.mark.parametrize(
    ("flags", "precision", "engine"),
    [
        ("fpu avx2 fma", "float32", "openvino"),
        ("fpu avx2 fma", "bfloat16", "tensorflow"),
        ("avx2 avx512f avx512_bf16", "bfloat16", "openvino"),
        ("avx2 avx512f avx512_bf16", "float32", "openvino"),
        ("avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "bfloat16", "openvino"),
        ("avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "float32", "tensorflow"),
    ],
)
def test_auto_picks_the_engine_measured_faster_for_the_cpu(tmp_path, flags, precision, engine):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    chosen, why = choose_engine(precision, cpuinfo)
    assert chosen == engine
    assert precision in why


def test_auto_is_resolved_in_the_settings_and_explained():
    params = BackboneParams(name="mobilenet", alpha=0.25, weights=None)
    assert params.engine == "auto"
    engine, why = params.engine_choice()
    assert params.settings().engine == engine == choose_engine("float32")[0]
    assert why.startswith("auto: ")
    fixed = BackboneParams(name="mobilenet", alpha=0.25, weights=None, engine="tensorflow")
    assert fixed.engine_choice() == ("tensorflow", "set in the parameters")


# ------------------------------------------------------------------ the engine


@needs_openvino
@pytest.mark.slow
def test_openvino_features_equal_tensorflow_ones_on_the_sample(
    engine_cache, tiny_model, sample_items
):
    on_openvino = OPENVINO
    model = build_backbone(on_openvino)
    assert isinstance(model, openvino_engine.OpenVinoBackbone)
    expected = stack_batches(
        iter_feature_batches(path_items(sample_items), tiny_model, TINY, progress=False)
    )
    got = stack_batches(
        iter_feature_batches(path_items(sample_items), model, on_openvino, progress=False)
    )
    assert got[0] == expected[0] and len(got[0]) == len(sample_items)
    scale = np.abs(expected[1]).max()
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-4, atol=1e-4 * scale)


@needs_openvino
@pytest.mark.slow
def test_the_converted_model_is_cached_and_reused(engine_cache, monkeypatch, caplog):
    settings = OPENVINO
    conversions = []
    convert = openvino_engine._convert
    monkeypatch.setattr(
        openvino_engine,
        "_convert",
        # <cache>/<fingerprint>/openvino-<version>/backbone.xml
        lambda keras_model, target: conversions.append(target.parent.parent.name)
        or convert(keras_model, target),
    )
    path = openvino_engine.converted_model_path(settings)
    assert path.is_relative_to(engine_cache / settings.fingerprint())
    first = build_backbone(settings)
    assert path.is_file() and path.with_suffix(".bin").is_file()
    with caplog.at_level(logging.INFO, logger=openvino_engine.__name__):
        second = build_explaining_backbone(settings)  # same network: same cached model
    assert conversions == [settings.fingerprint()]
    assert "reused" in caplog.text
    x = preprocess(settings, np.full((3, 224, 224, 3), 127, dtype=np.uint8))
    features, feature_map = run_backbone(second, x)
    np.testing.assert_array_equal(run_backbone(first, x), features)
    assert feature_map.shape == (3, 7, 7, 256)
    # another backbone setting is another fingerprint: converted again, elsewhere
    reseeded = replace(settings, seed=1)
    build_backbone(reseeded)
    assert conversions == [settings.fingerprint(), reseeded.fingerprint()]
    assert openvino_engine.converted_model_path(reseeded).is_file()
    assert len(list(engine_cache.iterdir())) == 2


@needs_openvino
@pytest.mark.slow
def test_a_half_written_cache_entry_is_converted_again(engine_cache):
    settings = OPENVINO
    path = openvino_engine.converted_model_path(settings)
    path.parent.mkdir(parents=True)
    (path.parent / "backbone.bin").write_bytes(b"interrupted")  # no .xml
    model = build_backbone(settings)
    assert path.is_file()
    x = preprocess(settings, np.zeros((2, 224, 224, 3), dtype=np.uint8))
    assert run_backbone(model, x).shape == (2, 256)


@needs_openvino
@pytest.mark.slow
def test_class_activation_maps_from_openvino_equal_tensorflow_ones(
    engine_cache, sample_items
):
    from art_genre.features import open_image

    images = [open_image(path) for path in sample_items[:6]]
    tf_model = build_explaining_backbone(TINY)
    pixels = np.stack(
        [np.asarray(img.convert("RGB").resize((224, 224))) for img in images]
    )
    features = run_backbone(tf_model, preprocess(TINY, pixels))[0]
    scaler, pca, classifier = head(np.asarray(features, dtype=np.float64))
    maps = {}
    for settings in (TINY, OPENVINO):
        fingerprint = settings.fingerprint()
        saved = {**settings.to_dict(), "fingerprint": fingerprint}
        explainer = Explainer(
            saved, scaler, pca, replace(classifier, feature_fingerprint=fingerprint)
        )
        explanation = explainer.explain(images, genre_indices=np.tile([0, 1, 2], (6, 1)))
        maps[settings.engine] = explanation.maps
    assert maps["openvino"].shape == (6, 3, 7, 7)
    scale = maps["tensorflow"].max()
    assert scale > 0
    # rtol 1e-3; a floor of 1e-4 of the largest map value for the locations where
    # positive and negative channel contributions nearly cancel
    np.testing.assert_allclose(
        maps["openvino"], maps["tensorflow"], rtol=1e-3, atol=1e-4 * scale
    )


@needs_openvino
def test_bfloat16_on_a_cpu_without_it_is_reported(monkeypatch, caplog):
    import openvino as ov

    inputs = ov.opset13.parameter([1, 4], np.float32)
    model = ov.Model([ov.opset13.relu(inputs)], [inputs])
    with caplog.at_level(logging.INFO, logger=openvino_engine.__name__):
        compiled = openvino_engine.compile_backbone(model, "bfloat16")
    used = compiled.get_property(ov.properties.hint.inference_precision).to_string()
    assert f"inference precision {used} (asked bf16)" in caplog.text
    assert (used == "bf16") != ("computes f32" in caplog.text)


@needs_openvino
@pytest.mark.slow
def test_the_dask_task_runs_the_openvino_backbone(engine_cache, sample_items):
    from art_genre.features.distributed import cached_backbone, extract_batch

    items = list(path_items(sample_items[:5]))
    batch = extract_batch(items, OPENVINO, OPENVINO.fingerprint(), decode_workers=0)
    worker_model = cached_backbone(OPENVINO, OPENVINO.fingerprint()).model
    assert isinstance(worker_model, openvino_engine.OpenVinoBackbone)
    local = stack_batches(
        iter_feature_batches(items, build_backbone(OPENVINO), OPENVINO, progress=False)
    )
    assert batch.ids == local[0]
    np.testing.assert_allclose(batch.features, local[1], rtol=1e-6, atol=1e-7)


@needs_openvino
@pytest.mark.slow
@pytest.mark.real_data
@needs(SHARED_KERAS / "models" / "mobilenet_2_5_224_tf_no_top.h5")
def test_imagenet_mobilenet_features_from_openvino_match_tensorflow(
    tmp_path, shared_keras_python
):
    code = f"""
        from dataclasses import replace
        import numpy as np
        from art_genre.features import (
            BackboneSettings, build_backbone, iter_feature_batches, path_items
        )
        s = BackboneSettings(name="mobilenet", alpha=0.25, weights="imagenet")
        files = sorted(__import__("pathlib").Path({str(SAMPLE)!r}).rglob("*.jpg"))[::4]
        def features(settings):
            model = build_backbone(settings)
            batches = iter_feature_batches(path_items(files), model, settings, progress=False)
            return np.concatenate([b.features for b in batches])
        a, b = features(s), features(replace(s, engine="openvino"))
        cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        print(len(a), float(cos.min()))
        """
    n, cosine = shared_keras_python(
        code, timeout=600, **{openvino_engine.ENGINE_CACHE_ENV: str(tmp_path)}
    ).split()
    assert int(n) == 40
    assert float(cosine) >= 0.9999


@needs_openvino
def test_the_threads_of_a_worker_reach_openvino():
    import openvino as ov

    inputs = ov.opset13.parameter([1, 4], np.float32)
    model = ov.Model([ov.opset13.relu(inputs)], [inputs])
    compiled = openvino_engine.compile_backbone(model, "float32", threads=1)
    assert compiled.get_property(ov.properties.inference_num_threads) == 1
