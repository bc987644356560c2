"""iter_feature_batches: batching, order, failures, streaming."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from art_genre.features import (
    FeatureBatch,
    iter_feature_batches,
    preprocess,
    to_model_input,
)
from tests.features.helpers import (
    animated_gif,
    exif_rotated_jpeg,
    kedro_loader,
    noise_image,
    palette_with_transparency,
    save,
    stack_batches,
    truncated_jpeg,
)

pytestmark = pytest.mark.slow  # every test here runs a (tiny) Keras backbone


def _good_images(folder: Path, n: int) -> list[tuple[str, object]]:
    items = []
    for i in range(n):
        size = (40 + 7 * i, 30 + 5 * i)
        path = save(noise_image(i, size), folder / f"img_{i}.png")
        items.append((f"img_{i}", kedro_loader(path)))
    return items


def _one_by_one(items, model, settings) -> np.ndarray:
    rows = []
    for _, load in items:
        x = preprocess(settings, to_model_input(load(), settings.image_size)[None])
        rows.append(model(x, training=False).numpy()[0])
    return np.stack(rows)


def test_batches_match_one_by_one_and_keep_order(tmp_path, tiny_model, tiny_settings):
    items = _good_images(tmp_path, 7)
    expected = _one_by_one(items, tiny_model, tiny_settings)
    for batch_size, workers in [(3, 0), (3, 1), (7, 2)]:
        batches = list(
            iter_feature_batches(
                items,
                tiny_model,
                tiny_settings,
                batch_size=batch_size,
                progress=False,
                decode_workers=workers,
            )
        )
        assert [len(b) for b in batches] == [
            min(batch_size, 7 - s) for s in range(0, 7, batch_size)
        ]
        ids = [i for b in batches for i in b.ids]
        assert ids == [f"img_{i}" for i in range(7)]
        features = np.concatenate([b.features for b in batches])
        assert features.dtype == np.float32
        assert features.shape == (7, 256)
        np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(features[0], features[1])  # different images differ


def _every_kind(folder: Path) -> list[tuple[str, object]]:
    """Good images of every mode plus every kind of broken file, interleaved."""
    files = {}
    files["L.png"] = save(Image.new("L", (30, 20), 90), folder / "L.png")
    files["LA.png"] = save(Image.new("LA", (30, 20), (90, 100)), folder / "LA.png")
    files["P.gif"] = save(noise_image(1).convert("P"), folder / "P.gif")
    files["P_transparent.png"] = palette_with_transparency(folder / "Pt.png")
    files["RGBA.png"] = save(
        Image.new("RGBA", (30, 20), (9, 9, 9, 9)), folder / "a.png"
    )
    files["CMYK.jpg"] = save(
        Image.new("CMYK", (30, 20), (9, 90, 9, 0)), folder / "c.jpg"
    )
    files["I16.png"] = save(
        Image.fromarray(np.arange(600, dtype=np.uint16).reshape(20, 30)),
        folder / "i.png",
    )
    files["1bit.png"] = save(Image.new("1", (30, 20), 1), folder / "b.png")
    files["rotated.jpg"] = exif_rotated_jpeg(folder / "r.jpg")
    files["animated.gif"] = animated_gif(folder / "anim.gif")
    (folder / "empty.jpg").write_bytes(b"")
    files["empty.jpg"] = folder / "empty.jpg"
    files["truncated.jpg"] = truncated_jpeg(folder / "t.jpg")
    (folder / "text.jpg").write_text("this is not a JPEG\n")
    files["text.jpg"] = folder / "text.jpg"
    files["bomb.png"] = save(Image.new("RGB", (256, 256)), folder / "bomb.png")
    return [(name, kedro_loader(path)) for name, path in files.items()]


BROKEN = {
    "empty.jpg": "UnidentifiedImageError",
    "truncated.jpg": "truncated",
    "text.jpg": "UnidentifiedImageError",
    "bomb.png": "DecompressionBombError",
}


def test_every_kind_of_file_yields_features_or_a_listed_failure(
    tmp_path, tiny_model, tiny_settings, monkeypatch, caplog
):
    # 256 x 256 = 65,536 pixels > 2 x 20,000: Pillow refuses it as a
    # decompression bomb (the other images have at most 16,384 pixels).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)
    items = _every_kind(tmp_path)
    with caplog.at_level(logging.WARNING, logger="art_genre.features.extraction"):
        ids, features, failures = stack_batches(
            iter_feature_batches(items, tiny_model, tiny_settings, batch_size=4, progress=False)
        )
    good = [name for name, _ in items if name not in BROKEN]
    assert ids == good
    assert features.shape == (len(good), 256)
    assert np.isfinite(features).all()
    assert [name for name, _ in failures] == list(BROKEN)
    for name, reason in failures:
        assert BROKEN[name] in reason, (name, reason)
    assert "bomb.png" in caplog.text and "Skipping image" in caplog.text


def test_batch_of_only_failures_has_empty_features(tiny_model, tiny_settings):
    def broken():
        raise OSError("disk on fire")

    items = {"ok": lambda: Image.new("RGB", (8, 8)), "bad1": broken, "bad2": broken}
    batches = list(
        iter_feature_batches(
            items, tiny_model, tiny_settings, batch_size=1, progress=False
        )
    )
    assert [b.ids for b in batches] == [["ok"], [], []]
    assert batches[1].features.shape == (0, 256)
    assert batches[2].failures == [("bad2", "OSError: disk on fire")]
    assert isinstance(batches[0], FeatureBatch)


def test_streaming_reads_at_most_two_batches_ahead(tiny_model, tiny_settings):
    pulled = 0

    def source():
        nonlocal pulled
        for i in range(1000):  # far more than the test ever decodes
            pulled += 1
            yield str(i), (lambda: Image.new("RGB", (8, 8)))

    stream = iter_feature_batches(
        source(), tiny_model, tiny_settings, batch_size=4, progress=False
    )
    first = next(stream)
    assert first.ids == ["0", "1", "2", "3"]
    assert pulled <= 8  # the current batch + the one decoding ahead
    stream.close()  # closing early shuts the decoder down cleanly
    assert pulled <= 8


def test_pil_images_and_progress_bar(tiny_model, tiny_settings, capsys):
    items = [(7, Image.new("RGB", (8, 8)))]  # an image instead of a loader
    [batch] = iter_feature_batches(items, tiny_model, tiny_settings, progress=True)
    assert batch.ids == ["7"]
    assert "img/s" in capsys.readouterr().err


def test_empty_input_and_bad_arguments(tiny_model, tiny_settings):
    assert (
        list(iter_feature_batches([], tiny_model, tiny_settings, progress=False)) == []
    )
    with pytest.raises(ValueError, match="batch_size"):
        next(iter_feature_batches([], tiny_model, tiny_settings, batch_size=0))
    with pytest.raises(ValueError, match="decode_workers"):
        next(iter_feature_batches([], tiny_model, tiny_settings, decode_workers=-1))


def test_jpeg_draft_features_stay_close(tmp_path, tiny_settings, tiny_model):
    from dataclasses import replace

    from art_genre.features import path_items
    from tests.features.test_images import _painting_like

    paths, requantised = [], []
    for i in range(3):
        image = _painting_like(2400, 1800, seed=i)
        image.save(path := tmp_path / f"big_{i}.jpg", quality=90)
        image.save(other := tmp_path / f"q80_{i}.jpg", quality=80)
        paths.append(path)
        requantised.append(other)

    def features(files, settings):
        _, out, failures = stack_batches(
            iter_feature_batches(path_items(files, lazy=True), tiny_model, settings, progress=False)
        )
        assert not failures and out.dtype == np.float32
        return out

    full = features(paths, tiny_settings)
    drafted = features(paths, replace(tiny_settings, jpeg_draft=True))
    q80 = features(requantised, tiny_settings)
    # A random-weight network amplifies any pixel change, so the yardstick is a change
    # nobody minds: the same painting saved at JPEG quality 80 instead of 90.
    draft_change = np.abs(drafted - full).mean()
    quality_change = np.abs(q80 - full).mean()
    assert draft_change < 2.0 * quality_change  # measured 1.55x
