"""Draw class activation maps over the painting, readable at a glance.

An overlay is one image: the painting, then the painting once more per explained genre
with its map laid over it, each panel titled (``Impressionism 0.91``). The maps (a few
cells a side, e.g. 7 x 7) are upsampled smoothly to the painting and drawn in the
``jet`` colours with an opacity that grows with the value, so that where the map is zero
the painting shows untouched and the regions that speak for the genre glow red.

Each map of an overlay is scaled to its own peak, so that every panel is readable (a
shared scale leaves a weaker genre's panel as the bare painting); each map panel has a
colour bar (``0`` to ``own max``) and the overlay a caption saying so. A panel can carry
a note (``predict`` marks the most probable genre when it is not assigned: a grey frame
and the note in red). :func:`blend_map` with ``peak`` draws maps on a shared scale (the
report's gallery). Drawn with Pillow alone (no Matplotlib figure per image): ``predict``
writes one per painting, and this keeps them cheap.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from art_genre.features.images import to_display_image

__all__ = ["CAPTION", "COLOURMAP", "blend_map", "compact", "genre_title", "panel_image", "render_overlay"]

COLOURMAP = "jet"
_MAX_OPACITY = 0.6
_TITLE_HEIGHT = 26
_BAR_HEIGHT = 18  # the colour bar under a map panel, with its labels
_NOTE_HEIGHT = 16
_CAPTION_HEIGHT = 18
_GAP = 6
_NOTE_COLOUR = (170, 0, 0)
_FRAME_COLOUR = (150, 150, 150)
CAPTION = "Each map on its own scale: colour bar 0 to that map's max."
ZERO_MAP = "map all zero: no region raises it"
_BACKGROUND = (255, 255, 255)
_TEXT_LOCK = threading.Lock()  # one FreeType face is shared: overlays drawn on threads


@lru_cache(maxsize=1)
def _palette() -> list[int]:
    """The colour map as a Pillow palette: 256 RGB triplets, flat."""
    from matplotlib import colormaps  # noqa: PLC0415 - only the colour table

    table = np.rint(colormaps[COLOURMAP](np.linspace(0, 1, 256))[:, :3] * 255)
    return table.astype(np.uint8).ravel().tolist()


@lru_cache(maxsize=1)
def _opacity_table() -> list[int]:
    return [round(_MAX_OPACITY * v) for v in range(256)]


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        from matplotlib import font_manager  # noqa: PLC0415 - the font file only

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)
    except Exception:  # pragma: no cover - no FreeType: Pillow's own font
        return ImageFont.load_default()


def _map_layer(
    cam: np.ndarray, peak: float | None, size: tuple[int, int]
) -> tuple[Image.Image, Image.Image] | None:
    """The map drawn at ``size``: its ``jet`` colours and their opacity (``None``: all 0)."""
    cam = np.asarray(cam, dtype=np.float32)
    if peak is None:
        peak = float(cam.max()) if cam.size else 0.0
    if not np.isfinite(peak) or peak <= 0:
        return None
    cells = np.rint(np.clip(cam / peak, 0.0, 1.0) * 255.0).astype(np.uint8)
    level = Image.fromarray(cells, mode="L").resize(size, Image.Resampling.BILINEAR)
    colours = Image.frombytes("P", level.size, level.tobytes())
    colours.putpalette(_palette())
    return colours.convert("RGB"), level.point(_opacity_table())


def blend_map(painting: Image.Image, cam: np.ndarray, peak: float | None = None) -> Image.Image:
    """The painting with one map over it (see the module docstring).

    Args:
        painting: RGB image, any size.
        cam: Non-negative map ``(H, W)`` over the whole painting (the backbone sees the
            painting resized to a square, so map cell ``(i, j)`` covers the same fraction
            of the painting whatever its shape).
        peak: The map value drawn at full strength (default: the map's maximum).

    Returns:
        A new RGB image of the painting's size; the painting itself if the map is all 0.
    """
    base = painting.convert("RGB") if painting.mode != "RGB" else painting.copy()
    layer = _map_layer(cam, peak, painting.size)
    if layer is not None:
        base.paste(layer[0], None, layer[1])
    return base


def compact(overlay: Image.Image) -> Image.Image:
    """The overlay with a 256-colour palette (fast octree, no dithering).

    Its PNG is about a quarter of the RGB one's size and is written about three times
    faster, with no difference a reader would notice at a glance.
    """
    return overlay.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def genre_title(genre: str, probability: float) -> str:
    """A panel title: ``"Impressionism 0.91"`` (``"<0.01"`` for tiny probabilities)."""
    return f"{genre} {probability:.2f}" if probability >= 0.005 else f"{genre} <0.01"


@lru_cache(maxsize=1024)
def _text_length(text: str, size: int) -> float:
    with _TEXT_LOCK:
        return _font(size).getlength(text)


def _fit_title(text: str, width: int, size: int) -> tuple[str, int]:
    """The title and font size that fit ``width``: smaller type first (down to 11 px),
    then the start of the text shortened; its last word (the probability) always stays."""
    for candidate in range(size, 10, -1):
        if _text_length(text, candidate) <= width:
            return text, candidate
    head, _, tail = text.rpartition(" ")
    if not head:
        head, tail = text, ""
    tail = f"… {tail}" if tail else "…"
    while len(head) > 1 and _text_length(head + tail, 11) > width:
        head = head[:-1]
    return head + tail, 11


@lru_cache(maxsize=512)
def _title_strip(text: str, size: int, width: int) -> Image.Image:
    """A panel's title drawn black on the background, ``width`` x the title height.

    Cached: the genre titles (``Post-Impressionism 1.00``) recur from painting to painting.
    """
    strip = Image.new("RGB", (width, _TITLE_HEIGHT), _BACKGROUND)
    with _TEXT_LOCK:
        ImageDraw.Draw(strip).text(
            (2, (_TITLE_HEIGHT - size) // 2 - 1), text, fill=(0, 0, 0), font=_font(size)
        )
    return strip


def panel_image(image: Image.Image, panel_height: int) -> Image.Image:
    """The painting as one overlay panel shows it: upright RGB, ``panel_height`` high.

    The width follows the aspect ratio, kept between half and twice the height. A panel
    image passes through :func:`render_overlay` unchanged (``predict`` keeps one per
    painting from its first decoding instead of decoding the file twice).

    Args:
        image: The decoded painting (any mode, size and orientation).
        panel_height: Panel height in pixels.

    Returns:
        An RGB image.
    """
    upright = to_display_image(image, max(image.size))  # RGB, EXIF-rotated, full size
    aspect = min(max(upright.width / upright.height, 0.5), 2.0)
    size = (max(1, round(panel_height * aspect)), panel_height)
    if upright.size == size:
        return upright
    return upright.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


@lru_cache(maxsize=64)
def _colour_bar(width: int) -> Image.Image:
    """A map panel's colour bar: the ``jet`` colours, labelled ``0`` and ``own max``."""
    strip = Image.new("RGB", (width, _BAR_HEIGHT), _BACKGROUND)
    label = 11
    with _TEXT_LOCK:
        left = _font(label).getlength("0") + 4
        right = _font(label).getlength("own max") + 4
    bar_width = max(1, int(width - left - right - 4))
    ramp = np.linspace(0, 255, bar_width).astype(np.uint8)[None, :].repeat(8, axis=0)
    bar = Image.frombytes("P", (bar_width, 8), ramp.tobytes())
    bar.putpalette(_palette())
    strip.paste(bar.convert("RGB"), (int(left) + 2, 5))
    with _TEXT_LOCK:
        draw = ImageDraw.Draw(strip)
        draw.text((2, 2), "0", fill=(0, 0, 0), font=_font(label))
        draw.text((int(width - right) + 2, 2), "own max", fill=(0, 0, 0), font=_font(label))
    return strip


def _text_strip(text: str, width: int, height: int, colour: tuple[int, int, int]) -> Image.Image:
    strip = Image.new("RGB", (width, height), _BACKGROUND)
    fitted, size = _fit_title(text, width - 4, 12) if text else ("", 12)
    with _TEXT_LOCK:
        ImageDraw.Draw(strip).text((2, 1), fitted, fill=colour, font=_font(size))
    return strip


# long: one layout, panel by panel (titles, maps, bars, notes, caption)
def render_overlay(
    image: Image.Image,
    maps: np.ndarray,
    titles: Sequence[str],
    *,
    notes: Sequence[str] | None = None,
    first_title: str = "painting",
    panel_height: int = 224,
    font_size: int = 15,
) -> Image.Image:
    """The painting, then one panel per map: ``len(maps) + 1`` titled panels in a row.

    Every map is drawn on its own scale, with a colour bar under its panel (a map that
    is zero everywhere says so instead); a caption under the row says so. A panel with a note gets a grey frame and the note in red
    under its colour bar.

    Args:
        image: The decoded painting (any mode, size and orientation).
        maps: ``(k, H, W)`` non-negative maps, one per genre.
        titles: One title per map, e.g. ``"Impressionism 0.91"``.
        notes: One note per map (``""``: none), e.g. ``"not assigned: < 0.62"``.
        first_title: Title of the plain painting's panel.
        panel_height: Height of every panel in pixels (the width follows the painting's
            aspect ratio, at most twice the height).
        font_size: Title size in pixels.

    Returns:
        An RGB image: titles, panels, colour bars, a note row when any map has a note,
        and the caption.

    Raises:
        ValueError: If ``titles`` (or ``notes``) and ``maps`` differ in length.
    """
    maps = np.asarray(maps)
    notes = list(notes) if notes is not None else [""] * len(maps)
    if len(titles) != len(maps) or len(notes) != len(maps):
        raise ValueError(f"{len(maps)} maps but {len(titles)} titles and {len(notes)} notes.")
    painting = panel_image(image, panel_height)
    size = painting.size
    all_titles = [first_title, *titles]
    n_panels = len(all_titles)
    width = n_panels * size[0] + (n_panels - 1) * _GAP
    note_height = _NOTE_HEIGHT if any(notes) else 0
    below = _TITLE_HEIGHT + size[1]
    height = below + ((_BAR_HEIGHT + _CAPTION_HEIGHT) if len(maps) else 0) + note_height
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    # One type size for all titles: the largest at which each fits (or 11 px, shortened).
    font_size = min(_fit_title(t, size[0] - 4, font_size)[1] for t in all_titles)
    for n, title in enumerate(all_titles):
        left = n * (size[0] + _GAP)
        canvas.paste(painting, (left, _TITLE_HEIGHT))
        text, text_size = _fit_title(title, size[0] - 4, font_size)
        canvas.paste(_title_strip(text, text_size, size[0]), (left, 0))
        if not n:
            continue
        layer = _map_layer(maps[n - 1], None, size)  # each map on its own scale
        if layer is not None:  # the map's colours over the painting, as blend_map
            canvas.paste(layer[0], (left, _TITLE_HEIGHT), layer[1])
            canvas.paste(_colour_bar(size[0]), (left, below))
        else:  # all zero: nothing in the picture raises this genre's score
            canvas.paste(_text_strip(ZERO_MAP, size[0], _BAR_HEIGHT, (60, 60, 60)),
                         (left, below))
        if notes[n - 1]:
            canvas.paste(_text_strip(notes[n - 1], size[0], _NOTE_HEIGHT, _NOTE_COLOUR),
                         (left, below + _BAR_HEIGHT))
            ImageDraw.Draw(canvas).rectangle(
                (left, _TITLE_HEIGHT, left + size[0] - 1, below - 1), outline=_FRAME_COLOUR,
                width=3,
            )
    if len(maps):
        canvas.paste(_text_strip(CAPTION, width, _CAPTION_HEIGHT, (60, 60, 60)),
                     (0, height - _CAPTION_HEIGHT))
    return canvas
