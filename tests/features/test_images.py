"""to_model_input: every Pillow mode, EXIF orientation, frames and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from art_genre.features import ImageDecodeError, open_image, path_items, to_model_input
from tests.features.helpers import (
    BLUE,
    RED,
    animated_gif,
    exif_rotated_jpeg,
    palette_with_transparency,
    save,
    truncated_jpeg,
)

SMALL = (16, 16)


def _check(array: np.ndarray, size=SMALL) -> np.ndarray:
    assert array.dtype == np.uint8
    assert array.shape == (*size, 3)
    assert array.flags.c_contiguous
    return array


def _reload(img: Image.Image, path: Path, **kwargs) -> Image.Image:
    save(img, path, **kwargs)
    return open_image(path)


def test_rgb_resized_to_requested_height_and_width():
    out = to_model_input(Image.new("RGB", (50, 40), RED), size=(30, 20))
    _check(out, (30, 20))
    assert (out == RED).all()


def test_default_size_is_224():
    _check(to_model_input(Image.new("RGB", (10, 10))), (224, 224))


def test_grey_l(tmp_path):
    img = _reload(Image.new("L", (20, 20), 77), tmp_path / "l.png")
    assert img.mode == "L"
    assert (_check(to_model_input(img, SMALL)) == 77).all()


def test_grey_with_alpha_la_composited_on_white(tmp_path):
    img = Image.new("LA", (20, 20), (0, 0))  # fully transparent black
    img.paste((0, 255), (0, 0, 10, 20))  # left half opaque black
    img = _reload(img, tmp_path / "la.png")
    assert img.mode == "LA"
    out = _check(to_model_input(img, (20, 20), resample="nearest"), (20, 20))
    assert (out[:, :10] == 0).all()
    assert (out[:, 10:] == 255).all()


def test_palette_without_transparency(tmp_path):
    img = Image.new("P", (20, 10), 0)
    img.putpalette([*RED, *BLUE] + [0] * 762)
    img.paste(1, (10, 0, 20, 10))
    img = _reload(img, tmp_path / "p.png")
    assert img.mode == "P"
    assert "transparency" not in img.info
    out = _check(to_model_input(img, (10, 20), resample="nearest"), (10, 20))
    assert (out[:, :10] == RED).all()
    assert (out[:, 10:] == BLUE).all()


def test_palette_with_transparency_composited_on_white(tmp_path):
    img = open_image(palette_with_transparency(tmp_path / "pt.png"))
    assert img.mode == "P"
    assert "transparency" in img.info
    out = _check(to_model_input(img, (10, 20), resample="nearest"), (10, 20))
    assert (out[:, :10] == 255).all()  # transparent red became white
    assert (out[:, 10:] == BLUE).all()


def test_rgba_composited_on_white(tmp_path):
    img = _reload(Image.new("RGBA", (20, 20), (255, 0, 0, 128)), tmp_path / "a.png")
    assert img.mode == "RGBA"
    out = _check(to_model_input(img, SMALL))
    np.testing.assert_allclose(out[0, 0], (255, 127, 127), atol=1)


def test_cmyk_jpeg(tmp_path):
    img = _reload(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), tmp_path / "c.jpg")
    assert img.mode == "CMYK"
    r, g, b = _check(to_model_input(img, SMALL)).reshape(-1, 3).mean(axis=0)
    assert r > 200 and g < 60 and b < 60  # still red


def test_sixteen_bit_grey_png_stretched_over_its_real_range(tmp_path):
    # A 12-bit ramp in a 16-bit PNG: clipping would give 255 everywhere, a plain
    # /257 scaling would give an almost black image.
    ramp = np.tile(np.linspace(0, 4095, 64).astype(np.uint16), (8, 1))
    img = _reload(Image.fromarray(ramp), tmp_path / "i16.png")
    assert img.mode.startswith("I")
    out = _check(to_model_input(img, (8, 64), resample="nearest"), (8, 64))
    assert out[..., 0].min() == 0
    assert out[..., 0].max() == 255
    assert np.all(np.diff(out[0, :, 0].astype(int)) >= 0)
    assert (out[..., 0] == out[..., 1]).all()


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_high_depth_grey_modes_in_memory(mode):
    values = np.array([[1000, 2000], [3000, 5000]])
    if mode == "I":
        img = Image.fromarray(values.astype(np.int32), mode="I")
    else:
        dtype = ">u2" if mode.endswith("B") else "<u2"
        img = Image.frombytes(mode, (2, 2), values.astype(dtype).tobytes())
    assert img.mode == mode
    out = to_model_input(img, (2, 2), resample="nearest")[..., 0]
    np.testing.assert_array_equal(out, [[0, 64], [128, 255]])


def test_float_grey_with_non_finite_values():
    values = np.array([[0.0, 0.5], [1.0, np.nan]], dtype=np.float32)
    out = to_model_input(Image.fromarray(values, mode="F"), (2, 2), "nearest")
    np.testing.assert_array_equal(out[..., 0], [[0, 128], [255, 0]])


def test_constant_sixteen_bit_image_keeps_its_brightness():
    img = Image.fromarray(np.full((4, 4), 65535, np.uint16))
    assert (to_model_input(img, (4, 4)) == 255).all()


def test_one_bit(tmp_path):
    img = Image.new("1", (20, 20), 0)
    img.paste(1, (10, 0, 20, 20))
    img = _reload(img, tmp_path / "b.png")
    assert img.mode == "1"
    out = _check(to_model_input(img, (20, 20), resample="nearest"), (20, 20))
    assert (out[:, :10] == 0).all()
    assert (out[:, 10:] == 255).all()


def test_exif_orientation_is_applied(tmp_path):
    img = open_image(exif_rotated_jpeg(tmp_path / "rot.jpg"))
    assert img.size == (60, 30)  # stored landscape
    # Orientation 6 = rotate 90 degrees clockwise: displayed portrait, the
    # stored left (red) half on top, the right (blue) half at the bottom.
    out = to_model_input(img, (60, 30), resample="nearest").astype(int)
    top, bottom = out[:25].reshape(-1, 3).mean(0), out[35:].reshape(-1, 3).mean(0)
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize("lazy", [True, False])
def test_animated_gif_gives_first_frame(tmp_path, lazy):
    path = animated_gif(tmp_path / "anim.gif")
    if lazy:
        img = Image.open(path)
        assert img.n_frames == 3
        img.seek(2)  # even when positioned on a later frame
    else:
        img = open_image(path)
    out = to_model_input(img, SMALL).reshape(-1, 3)
    assert (np.abs(out.astype(int) - RED).max(axis=1) < 10).all()


def test_truncated_jpeg_raises_decode_error(tmp_path):
    img = Image.open(truncated_jpeg(tmp_path / "cut.jpg"))  # lazy: header only
    with pytest.raises(ImageDecodeError, match="truncated"):
        to_model_input(img, SMALL)


def test_not_an_image_raises_decode_error():
    with pytest.raises(ImageDecodeError, match="PIL.Image.Image"):
        to_model_input(np.zeros((4, 4, 3)), SMALL)
    assert issubclass(ImageDecodeError, ValueError)


def test_bad_arguments():
    img = Image.new("RGB", (4, 4))
    with pytest.raises(ValueError, match="Unknown resample method 'cubic'"):
        to_model_input(img, SMALL, resample="cubic")
    with pytest.raises(ValueError, match="positive"):
        to_model_input(img, (0, 4))


def test_path_items_ids(tmp_path):
    (tmp_path / "a").mkdir()
    p = save(Image.new("RGB", (4, 4)), tmp_path / "a" / "x.jpg")
    [(image_id, load)] = list(path_items([p], root=tmp_path))
    assert image_id == "a/x.jpg"
    assert load().size == (4, 4)
    assert next(path_items([p]))[0] == "x.jpg"


# ------------------------------------------------------- reduced-size JPEG decoding


def _painting_like(width: int, height: int, seed: int = 0) -> Image.Image:
    """A smooth image with strokes and fine texture (not noise: JPEG-like content)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack(
        [
            128 + 100 * np.sin(x / 97 + c) * np.cos(y / 131 - c) + 20 * np.sin(x / 7 + y / 11)
            for c in range(3)
        ],
        axis=-1,
    )
    coarse = rng.normal(0, 25, (height // 40 + 1, width // 40 + 1, 3))
    base += np.kron(coarse, np.ones((40, 40, 1)))[:height, :width]
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), mode="RGB")


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("draft") / "big.jpg"
    _painting_like(2400, 1800).save(path, quality=90)
    return path


def test_draft_decodes_big_jpeg_at_or_above_target(big_jpeg):
    from art_genre.features.images import draft_jpeg

    img = open_image(big_jpeg, lazy=True)
    assert img.size == (2400, 1800)
    assert draft_jpeg(img, 224, 224)
    img.load()
    # 1/8 is the smallest scale with both sides >= 224 (1800 / 8 = 225)
    assert img.size == (300, 225)
    assert min(img.size) >= 224


def test_draft_pixels_stay_close_to_full_decoding(big_jpeg):
    full = to_model_input(open_image(big_jpeg), (224, 224)).astype(np.int16)
    drafted = to_model_input(open_image(big_jpeg, lazy=True), (224, 224), draft=True)
    diff = np.abs(drafted.astype(np.int16) - full)
    assert diff.mean() < 3.0  # grey levels out of 255
    assert np.percentile(diff, 99) < 20


def test_draft_off_gives_todays_bytes_exactly(big_jpeg):
    today = to_model_input(open_image(big_jpeg), (224, 224))
    lazy_off = to_model_input(open_image(big_jpeg, lazy=True), (224, 224), draft=False)
    assert np.array_equal(today, lazy_off)


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (400, 300)), ("PNG", (2400, 1800))])
def test_draft_leaves_small_jpegs_and_other_formats_alone(tmp_path, fmt, size):
    path = save(_painting_like(*size), tmp_path / f"img.{fmt.lower()}", format=fmt)
    today = to_model_input(open_image(path), (224, 224))
    drafted = to_model_input(open_image(path, lazy=True), (224, 224), draft=True)
    assert np.array_equal(today, drafted)


def test_draft_of_decoded_image_is_a_no_op(big_jpeg):
    from art_genre.features.images import draft_jpeg

    img = open_image(big_jpeg)  # already decoded: nothing to gain, nothing changes
    assert not draft_jpeg(img, 224, 224)
    assert img.size == (2400, 1800)


def test_draft_respects_exif_rotation(tmp_path):
    from art_genre.features.images import draft_jpeg

    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: stored 2400 x 1000 is shown 1000 x 2400
    path = tmp_path / "rotated.jpg"
    _painting_like(2400, 1000).save(path, exif=exif.tobytes())
    img = open_image(path, lazy=True)
    # target 448 wide x 224 high once shown: stored sides must stay >= (224, 448)
    assert draft_jpeg(img, 448, 224)
    img.load()
    # 1/2, not the 1/4 the unrotated sides would allow (1000 / 4 = 250 < 448)
    assert img.size == (1200, 500)
    out = to_model_input(open_image(path, lazy=True), (224, 448), draft=True)
    assert out.shape == (224, 448, 3)


def test_lazy_image_dataset_decodes_on_first_use(big_jpeg):
    from kedro_datasets.pillow import ImageDataset

    from art_genre.datasets import LazyImageDataset

    lazy = LazyImageDataset(filepath=str(big_jpeg)).load()
    assert lazy.tile  # opened, not decoded
    full = ImageDataset(filepath=str(big_jpeg)).load()
    assert np.array_equal(np.asarray(lazy), np.asarray(full))
