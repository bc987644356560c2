"""Overlays: the painting and its maps side by side, titled, upright, in proportion."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from art_genre.explain.overlay import blend_map, genre_title, render_overlay


def _painting(width=300, height=150, mode="RGB"):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)


def test_an_overlay_is_the_painting_and_one_panel_per_map():
    maps = np.zeros((2, 7, 7), np.float32)
    maps[0, 3, 3] = 1.0
    overlay = render_overlay(_painting(), maps, ["Cubism 0.90", "Baroque 0.10"], panel_height=100)
    assert overlay.mode == "RGB" and overlay.height == 26 + 100
    assert overlay.width == 3 * 200 + 2 * 6  # 2:1 painting, three panels, two gaps
    pixels = np.asarray(overlay)[26:]
    first, second, third = pixels[:, :200], pixels[:, 206:406], pixels[:, 412:612]
    np.testing.assert_array_equal(first, third)  # an all-zero map leaves the painting as is
    assert np.abs(first.astype(int) - second).max() > 50  # the map shows


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK"])
def test_any_image_mode_is_drawn(mode):
    overlay = render_overlay(_painting(mode=mode), np.ones((1, 2, 2)), ["x"], panel_height=64)
    assert overlay.mode == "RGB"


def test_maps_share_one_scale_so_weak_evidence_looks_weak():
    painting = _painting()
    strong = np.asarray(blend_map(painting, np.full((7, 7), 4.0), peak=4.0), dtype=int)
    weak = np.asarray(blend_map(painting, np.full((7, 7), 1.0), peak=4.0), dtype=int)
    base = np.asarray(painting, dtype=int)
    assert np.abs(weak - base).mean() < np.abs(strong - base).mean() / 2


def test_titles_and_maps_must_pair_up():
    with pytest.raises(ValueError, match="2 maps but 1 titles"):
        render_overlay(_painting(), np.zeros((2, 7, 7)), ["one"])


def test_genre_titles():
    assert genre_title("Baroque", 0.914) == "Baroque 0.91"
    assert genre_title("Baroque", 0.001) == "Baroque <0.01"


def test_a_long_title_keeps_its_probability():
    from art_genre.explain.overlay import _fit_title

    text, size = _fit_title("Abstract Expressionism 1.00", 80, 15)
    assert text.endswith("… 1.00") and size == 11
    assert _fit_title("Cubism 0.91", 200, 15) == ("Cubism 0.91", 15)
