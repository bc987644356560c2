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
    # titles, panels, colour bars, caption (no note row without notes)
    assert overlay.mode == "RGB" and overlay.height == 26 + 100 + 18 + 18
    assert overlay.width == 3 * 200 + 2 * 6  # 2:1 painting, three panels, two gaps
    pixels = np.asarray(overlay)[26:126]
    first, second, third = pixels[:, :200], pixels[:, 206:406], pixels[:, 412:612]
    np.testing.assert_array_equal(first, third)  # an all-zero map leaves the painting as is
    assert np.abs(first.astype(int) - second).max() > 50  # the map shows


def test_each_map_is_drawn_on_its_own_scale_so_a_weak_one_is_still_seen():
    painting = _painting()
    maps = np.stack([np.full((7, 7), 4.0), np.full((7, 7), 0.01)]).astype(np.float32)
    maps[:, 0, 0] = 0.0
    overlay = np.asarray(render_overlay(painting, maps, ["a 0.9", "b 0.1"], panel_height=100),
                         dtype=int)[26:126]
    strong, weak = overlay[:, 206:406], overlay[:, 412:612]
    np.testing.assert_array_equal(strong, weak)  # the same shape, each to its own peak


def test_a_noted_panel_gets_a_frame_and_its_note():
    plain = render_overlay(_painting(), np.ones((1, 7, 7)), ["a 0.9"], panel_height=100)
    noted = render_overlay(_painting(), np.ones((1, 7, 7)), ["a 0.9"],
                           notes=["not assigned: threshold 0.95"], panel_height=100)
    assert noted.height == plain.height + 16
    frame = np.asarray(noted)[26 + 50, 206]  # the left edge of the map panel
    np.testing.assert_array_equal(frame, [150, 150, 150])


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK"])
def test_any_image_mode_is_drawn(mode):
    overlay = render_overlay(_painting(mode=mode), np.ones((1, 2, 2)), ["x"], panel_height=64)
    assert overlay.mode == "RGB"


def test_blend_map_with_a_shared_peak_draws_weak_evidence_weakly():
    painting = _painting()
    strong = np.asarray(blend_map(painting, np.full((7, 7), 4.0), peak=4.0), dtype=int)
    weak = np.asarray(blend_map(painting, np.full((7, 7), 1.0), peak=4.0), dtype=int)
    base = np.asarray(painting, dtype=int)
    assert np.abs(weak - base).mean() < np.abs(strong - base).mean() / 2


def test_titles_and_maps_must_pair_up():
    with pytest.raises(ValueError, match="2 maps but 1 titles"):
        render_overlay(_painting(), np.zeros((2, 7, 7)), ["one"])
    with pytest.raises(ValueError, match="1 titles and 2 notes"):
        render_overlay(_painting(), np.zeros((1, 7, 7)), ["one"], notes=["", ""])


def test_genre_titles():
    assert genre_title("Baroque", 0.914) == "Baroque 0.91"
    assert genre_title("Baroque", 0.001) == "Baroque <0.01"


def test_a_long_title_keeps_its_probability():
    from art_genre.explain.overlay import _fit_title

    text, size = _fit_title("Abstract Expressionism 1.00", 80, 15)
    assert text.endswith("… 1.00") and size == 11
    assert _fit_title("Cubism 0.91", 200, 15) == ("Cubism 0.91", 15)


def test_an_all_zero_map_says_so_instead_of_a_colour_bar():
    maps = np.zeros((2, 7, 7), np.float32)
    maps[0, 3, 3] = 1.0
    overlay = np.asarray(render_overlay(_painting(), maps, ["a 0.9", "b 0.1"], panel_height=100),
                         dtype=int)
    bars = overlay[126:144]
    with_bar, zero = bars[:, 206:406], bars[:, 412:612]
    assert (np.abs(with_bar[..., 0] - with_bar[..., 2]) > 100).any()  # red/blue colours
    assert (np.abs(zero[..., 0] - zero[..., 2]) < 10).all()  # grey text only
    assert (zero < 200).any()  # but some text
