"""Generate the small synthetic sample of the "Best Artworks of All Time" data.

The real Kaggle archive (``artists.csv`` plus ``Artist_Name_N.jpg`` images) is too
large to commit, so ``kedro run`` on a fresh clone uses this generated stand-in:
ten real artists with their real Kaggle metadata, and a few small synthetic images
per artist painted in a distinct style per genre (palette, stroke and geometry), so
that a classifier has something to learn.

The output is deterministic: the same seed gives byte-identical files (per-image
seeded ``numpy.random.Generator``, explicit JPEG options, no EXIF or timestamps).
As in the real archive, "Albrecht Dürer" is NFC in ``artists.csv`` while his file
names use the decomposed (NFD) form ``Albrecht_Du\\u0308rer_N.jpg``.

Layouts (``layout=``):

* ``resized`` (default): ``artists.csv`` + ``resized/<Artist_Name>_<n>.jpg``
* ``images``: ``artists.csv`` + ``images/<Artist_Name>/<Artist_Name>_<n>.jpg``
* ``folders``: ``images/<Genre_Name>/<n>.jpg``, one folder per genre, no CSV
  (WikiArt style)

Usage::

    python scripts/make_sample.py [--out PATH] [--seed 42] [--layout resized]

Tests import this file by path (``scripts/`` is not a package)::

    spec = importlib.util.spec_from_file_location("make_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_sample(tmp_path, seed=42, layout="images")
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import shutil
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "01_raw" / "sample"
DEFAULT_SEED = 42
LAYOUTS = ("resized", "images", "folders")
CSV_COLUMNS = (
    "id",
    "name",
    "years",
    "genre",
    "nationality",
    "bio",
    "wikipedia",
    "paintings",
)
MIN_SIDE, MAX_SIDE = 120, 200
#: Explicit JPEG settings so the bytes do not depend on Pillow defaults.
JPEG_OPTIONS = {
    "format": "JPEG",
    "quality": 85,
    "subsampling": 2,  # 4:2:0
    "optimize": False,
    "progressive": False,
    "dpi": (72, 72),
}
#: Images per genre folder in the ``folders`` layout.
IMAGES_PER_GENRE = 6
#: Everything this script writes inside its output folder (removed before writing).
MANAGED_ENTRIES = ("artists.csv", "resized", "images")

Colour = tuple[int, int, int]
Size = tuple[int, int]


class Artist(NamedTuple):
    """One ``artists.csv`` row (real Kaggle metadata) and its sample image count."""

    id: int
    name: str
    years: str
    genre: str
    nationality: str
    wikipedia: str
    n_images: int

    @property
    def genres(self) -> list[str]:
        """Genres in Kaggle order; the first one is the primary genre."""
        return self.genre.split(",")

    @property
    def file_stem(self) -> str:
        """Image name stem: underscores and NFD, like the real archive."""
        return unicodedata.normalize("NFD", self.name.replace(" ", "_"))

    @property
    def bio(self) -> str:
        """A short neutral description that flags the row as synthetic."""
        return (
            f"{self.name} ({self.years}), {self.nationality} painter; "
            f"genre: {self.genre.replace(',', ', ')}. "
            "Synthetic sample row: the images are generated, not real paintings."
        )


WIKI = "http://en.wikipedia.org/wiki/"

#: Real rows of the Kaggle ``artists.csv`` (ids, years, genres and URLs as there;
#: note the en dash in some ``years``). The last field is the sample image count.
# fmt: off
ARTISTS: tuple[Artist, ...] = (
    Artist(1, "Vasiliy Kandinskiy", "1866 - 1944", "Expressionism,Abstractionism",
           "Russian", f"{WIKI}Wassily_Kandinsky", 16),
    Artist(3, "Claude Monet", "1840 - 1926", "Impressionism",
           "French", f"{WIKI}Claude_Monet", 18),
    Artist(4, "Rene Magritte", "1898 - 1967", "Surrealism,Impressionism",
           "Belgian", f"{WIKI}René_Magritte", 14),
    Artist(5, "Salvador Dali", "1904 - 1989", "Surrealism",
           "Spanish", f"{WIKI}Salvador_Dalí", 14),
    Artist(8, "Vincent van Gogh", "1853 – 1890", "Post-Impressionism",
           "Dutch", f"{WIKI}Vincent_van_Gogh", 24),
    Artist(9, "Gustav Klimt", "1862 - 1918", "Symbolism,Art Nouveau",
           "Austrian", f"{WIKI}Gustav_Klimt", 16),
    Artist(13, "Pablo Picasso", "1881 - 1973", "Cubism",
           "Spanish", f"{WIKI}Pablo_Picasso", 16),
    Artist(19, "Albrecht Dürer", "1471 - 1528", "Northern Renaissance",
           "German", f"{WIKI}Albrecht_Dürer", 14),
    Artist(31, "Rembrandt", "1606 - 1669", "Baroque",
           "Dutch", f"{WIKI}Rembrandt", 16),
    Artist(49, "Jackson Pollock", "1912 – 1956", "Abstract Expressionism",
           "American", f"{WIKI}Jackson_Pollock", 12),
)
# fmt: on


# --------------------------------------------------------------------------- helpers


def _vary(rng: np.random.Generator, colour: Colour, spread: int = 18) -> Colour:
    """Return ``colour`` with a little per-channel random variation."""
    noisy = np.asarray(colour) + rng.integers(-spread, spread + 1, size=3)
    return tuple(int(c) for c in np.clip(noisy, 0, 255))


def _pick(
    rng: np.random.Generator, palette: Sequence[Colour], spread: int = 18
) -> Colour:
    """Pick a palette colour at random and vary it slightly."""
    return _vary(rng, palette[int(rng.integers(len(palette)))], spread)


def _point(rng: np.random.Generator, size: Size, margin: int = 0) -> tuple[int, int]:
    """A random point on a canvas of ``size`` (may lie ``margin`` px outside)."""
    w, h = size
    return (
        int(rng.integers(-margin, w + margin)),
        int(rng.integers(-margin, h + margin)),
    )


def _canvas(rng: np.random.Generator, size: Size, ground: Colour, spread: int = 12):
    """A flat canvas in a varied ground colour, with its drawing context."""
    image = Image.new("RGB", size, _vary(rng, ground, spread))
    return image, ImageDraw.Draw(image)


def _spiral(
    centre: tuple[float, float], radius: float, turns: float, phase: float
) -> list[tuple[float, float]]:
    """Points of an Archimedean spiral growing from ``centre`` to ``radius``."""
    n = max(8, int(24 * turns))
    t = np.linspace(0.0, 1.0, n)
    angle = phase + 2 * math.pi * turns * t
    r = radius * t
    xs = centre[0] + r * np.cos(angle)
    ys = centre[1] + r * np.sin(angle)
    return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _random_polygon(
    rng: np.random.Generator,
    centre: tuple[int, int],
    radius: float,
    n_vertices: int,
    jitter: float,
) -> list[tuple[float, float]]:
    """A star-shaped polygon: sorted random angles, radii jittered by ``jitter``."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, n_vertices))
    radii = radius * rng.uniform(1 - jitter, 1 + jitter, n_vertices)
    return [
        (float(centre[0] + r * math.cos(a)), float(centre[1] + r * math.sin(a)))
        for a, r in zip(angles, radii, strict=True)
    ]


def _vertical_gradient(size: Size, top: Colour, bottom: Colour) -> np.ndarray:
    """An ``(h, w, 3)`` float array fading from ``top`` to ``bottom``."""
    w, h = size
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    column = (1 - t) * np.asarray(top, float) + t * np.asarray(bottom, float)
    return np.repeat(column, w, axis=1)


# ---------------------------------------------------------------------------- styles


def paint_impressionism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Many small pastel dabs on a light ground (bluer above, greener below)."""
    image, draw = _canvas(rng, size, (230, 228, 212))
    w, h = size
    sky = [(175, 205, 235), (235, 215, 230), (250, 240, 200), (205, 225, 245)]
    land = [(195, 225, 170), (240, 200, 210), (250, 235, 160), (200, 185, 230)]
    for _ in range(int(w * h / 55 * rng.uniform(0.8, 1.2))):
        x, y = _point(rng, size)
        palette = sky if y < h * 0.45 else land
        rx, ry = int(rng.integers(2, 5)), int(rng.integers(1, 3))
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=_pick(rng, palette, 12))
    return image


def paint_post_impressionism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Thick swirling curved strokes in saturated blue and yellow."""
    image, draw = _canvas(rng, size, (25, 45, 125))
    palette = [
        (30, 70, 210),
        (250, 205, 30),
        (80, 150, 235),
        (245, 235, 120),
        (15, 35, 150),
    ]
    w, h = size
    for _ in range(int(rng.integers(14, 22))):
        centre = _point(rng, size, margin=10)
        radius = float(rng.uniform(12, 0.3 * max(w, h)))
        points = _spiral(
            centre,
            radius,
            float(rng.uniform(1.0, 2.5)),
            float(rng.uniform(0, 2 * math.pi)),
        )
        draw.line(points, fill=_pick(rng, palette), width=int(rng.integers(3, 6)))
    for _ in range(int(rng.integers(4, 8))):  # long wavy strokes across the sky
        y0, amp = float(rng.uniform(0, h)), float(rng.uniform(4, 12))
        freq, phase = float(rng.uniform(0.03, 0.08)), float(rng.uniform(0, 6.3))
        points = [
            (float(x), y0 + amp * math.sin(freq * x + phase))
            for x in range(0, w + 4, 4)
        ]
        draw.line(points, fill=_pick(rng, palette), width=int(rng.integers(4, 7)))
    return image


def paint_cubism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Overlapping angular polygons in ochre, grey and brown, outlined dark."""
    image, draw = _canvas(rng, size, (170, 140, 95))
    palette = [
        (195, 155, 80),
        (140, 122, 98),
        (105, 82, 58),
        (172, 166, 152),
        (92, 88, 84),
        (212, 182, 122),
    ]
    w, h = size
    for _ in range(int(rng.integers(18, 30))):
        polygon = _random_polygon(
            rng,
            _point(rng, size),
            rng.uniform(15, 0.35 * min(w, h)),
            int(rng.integers(3, 6)),
            0.3,
        )
        draw.polygon(
            polygon,
            fill=_pick(rng, palette),
            outline=_vary(rng, (55, 42, 30), 10),
            width=int(rng.integers(1, 3)),
        )
    return image


def paint_abstract_expressionism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Drips and splatters of black, white and colour lines on raw canvas."""
    image, draw = _canvas(rng, size, (222, 212, 190))
    palette = [
        (15, 15, 15),
        (15, 15, 15),
        (250, 250, 245),
        (200, 40, 30),
        (235, 195, 40),
        (70, 90, 120),
    ]
    for _ in range(int(rng.integers(25, 40))):  # poured lines: random walks
        x, y = _point(rng, size)
        angle = float(rng.uniform(0, 2 * math.pi))
        points = [(float(x), float(y))]
        for _ in range(int(rng.integers(8, 25))):
            angle += float(rng.normal(0, 0.6))
            step = float(rng.uniform(4, 14))
            x, y = x + step * math.cos(angle), y + step * math.sin(angle)
            points.append((x, y))
        draw.line(points, fill=_pick(rng, palette, 8), width=int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(60, 120))):  # splatter
        x, y = _point(rng, size)
        r = int(rng.integers(1, 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=_pick(rng, palette, 8))
    return image


def paint_symbolism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Gold ornamental rings, concentric 'eyes' and dots on a dark ground."""
    image, draw = _canvas(rng, size, (32, 24, 16), spread=8)
    gold = [(212, 175, 55), (240, 200, 90), (180, 140, 40), (255, 225, 120)]
    for _ in range(int(rng.integers(25, 45))):
        x, y = _point(rng, size)
        r = int(rng.integers(4, 16))
        for k in range(int(rng.integers(1, 4))):  # concentric rings
            rk = r - 4 * k
            if rk > 1:
                draw.ellipse(
                    (x - rk, y - rk, x + rk, y + rk), outline=_pick(rng, gold), width=2
                )
    for _ in range(int(rng.integers(40, 80))):
        x, y = _point(rng, size)
        draw.ellipse((x - 1, y - 1, x + 2, y + 2), fill=_pick(rng, gold))
    return image


def paint_art_nouveau(rng: np.random.Generator, size: Size) -> Image.Image:
    """Gold whiplash spirals and green leaf shapes on a dark ground."""
    image, draw = _canvas(rng, size, (28, 30, 22), spread=8)
    gold = [(212, 175, 55), (240, 200, 90), (190, 150, 50)]
    leaf = [(70, 110, 70), (110, 140, 80), (50, 90, 85)]
    for _ in range(int(rng.integers(10, 18))):
        x, y = _point(rng, size)
        rx, ry = int(rng.integers(3, 7)), int(rng.integers(8, 16))
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=_pick(rng, leaf))
    for _ in range(int(rng.integers(8, 14))):
        points = _spiral(
            _point(rng, size),
            float(rng.uniform(8, 30)),
            float(rng.uniform(1.5, 3.0)),
            float(rng.uniform(0, 6.3)),
        )
        draw.line(points, fill=_pick(rng, gold), width=2)
    return image


def paint_expressionism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Bold distorted shapes in harsh contrasting colours with black contours."""
    palette = [
        (225, 25, 25),
        (25, 165, 55),
        (250, 220, 0),
        (20, 40, 205),
        (255, 115, 0),
        (155, 0, 155),
    ]
    image, draw = _canvas(rng, size, palette[int(rng.integers(len(palette)))], 10)
    w, h = size
    for _ in range(int(rng.integers(6, 11))):
        polygon = _random_polygon(
            rng,
            _point(rng, size),
            rng.uniform(20, 0.45 * min(w, h)),
            int(rng.integers(6, 11)),
            0.55,
        )
        draw.polygon(
            polygon,
            fill=_pick(rng, palette, 10),
            outline=(10, 10, 10),
            width=int(rng.integers(2, 5)),
        )
    return image


def paint_abstractionism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Clean geometric circles and straight lines on a flat pale ground."""
    image, draw = _canvas(rng, size, (238, 232, 214), spread=6)
    palette = [(210, 40, 40), (30, 60, 170), (240, 195, 20), (20, 20, 20)]
    w, h = size
    for _ in range(int(rng.integers(3, 7))):
        x, y = _point(rng, size)
        r = int(rng.integers(6, 0.22 * min(w, h)))
        box = (x - r, y - r, x + r, y + r)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_pick(rng, palette, 4))
        else:
            draw.ellipse(
                box, outline=_pick(rng, palette, 4), width=int(rng.integers(2, 5))
            )
    for _ in range(int(rng.integers(3, 7))):
        draw.line(
            (_point(rng, size), _point(rng, size)),
            fill=(20, 20, 20),
            width=int(rng.integers(1, 4)),
        )
    return image


def paint_baroque(rng: np.random.Generator, size: Size) -> Image.Image:
    """Dark brown ground lit by one bright warm chiaroscuro blob."""
    w, h = size
    pixels = _vertical_gradient(
        size, _vary(rng, (40, 28, 18), 8), _vary(rng, (18, 12, 8), 5)
    )
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.25, 0.6) * h
    sx, sy = rng.uniform(0.10, 0.2) * w, rng.uniform(0.12, 0.25) * h
    yy, xx = np.mgrid[0:h, 0:w]
    light = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2) / 2)[..., None]
    warm = np.asarray(_vary(rng, (245, 205, 140), 10), float)
    pixels = pixels + light * (warm - pixels)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 5))):  # dark red drapery
        x, y = int(rng.uniform(0, w)), int(rng.uniform(0.6, 1.0) * h)
        draw.ellipse((x - 18, y - 6, x + 18, y + 6), fill=_vary(rng, (90, 20, 15), 10))
    return image


def paint_northern_renaissance(rng: np.random.Generator, size: Size) -> Image.Image:
    """Fine detailed linework: hatching and tiny details in muted greens/browns."""
    image, draw = _canvas(rng, size, (92, 98, 70), spread=10)
    palette = [
        (60, 75, 45),
        (120, 110, 75),
        (75, 60, 40),
        (140, 135, 100),
        (45, 50, 35),
    ]
    w, h = size
    for _ in range(int(w * h / 70)):  # hatching
        x, y = _point(rng, size)
        dx, dy = int(rng.integers(2, 6)), int(rng.integers(-2, 3))
        draw.line((x, y, x + dx, y + dy), fill=_pick(rng, palette, 10), width=1)
    for _ in range(int(rng.integers(3, 6))):  # thin architectural frames
        x0, y0 = _point(rng, size)
        draw.rectangle(
            (x0, y0, x0 + int(rng.integers(10, 40)), y0 + int(rng.integers(10, 40))),
            outline=_vary(rng, (50, 40, 28), 8),
            width=1,
        )
    for _ in range(int(rng.integers(40, 80))):  # tiny highlights
        x, y = _point(rng, size)
        draw.point((x, y), fill=_vary(rng, (200, 185, 140), 15))
    return image


def paint_surrealism(rng: np.random.Generator, size: Size) -> Image.Image:
    """Smooth gradient sky, flat plain, sharp isolated objects with long shadows."""
    w, h = size
    horizon = int(h * rng.uniform(0.55, 0.72))
    sky = _vertical_gradient(
        (w, horizon), _vary(rng, (55, 105, 190), 12), _vary(rng, (240, 195, 130), 12)
    )
    plain = _vertical_gradient(
        (w, h - horizon),
        _vary(rng, (205, 170, 115), 10),
        _vary(rng, (150, 115, 75), 10),
    )
    pixels = np.concatenate([sky, plain], axis=0)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    objects = [(230, 230, 225), (40, 40, 45), (180, 30, 35), (60, 130, 90)]
    shadow_dx = float(rng.choice([-1, 1]) * rng.uniform(1.5, 3.0))
    for _ in range(int(rng.integers(2, 5))):
        x = int(rng.uniform(0.1, 0.9) * w)
        base = int(rng.uniform(horizon + 4, h - 4))
        r = int(rng.integers(5, 14))
        shadow = [
            (x - r, base),
            (x + r, base),
            (x + r + shadow_dx * 2 * r, base + 4),
            (x - r + shadow_dx * 2 * r, base + 4),
        ]
        draw.polygon(shadow, fill=(55, 42, 30))
        colour = _pick(rng, objects, 8)
        if rng.random() < 0.5:
            draw.ellipse((x - r, base - 2 * r, x + r, base), fill=colour)
        else:
            draw.rectangle((x - r // 2, base - 3 * r, x + r // 2, base), fill=colour)
    return image


#: One painting function per genre name (as spelled in ``artists.csv``).
GENRE_STYLES: dict[str, Callable[[np.random.Generator, Size], Image.Image]] = {
    "Impressionism": paint_impressionism,
    "Post-Impressionism": paint_post_impressionism,
    "Cubism": paint_cubism,
    "Abstract Expressionism": paint_abstract_expressionism,
    "Symbolism": paint_symbolism,
    "Art Nouveau": paint_art_nouveau,
    "Expressionism": paint_expressionism,
    "Abstractionism": paint_abstractionism,
    "Baroque": paint_baroque,
    "Northern Renaissance": paint_northern_renaissance,
    "Surrealism": paint_surrealism,
}


# ------------------------------------------------------------------------ generation


def random_size(rng: np.random.Generator) -> Size:
    """A non-square ``(width, height)`` with both sides in ``[MIN_SIDE, MAX_SIDE]``."""
    w, h = (int(v) for v in rng.integers(MIN_SIDE, MAX_SIDE + 1, size=2))
    if abs(w - h) < 12:  # avoid (near-)square canvases
        h = h + 24 if h + 24 <= MAX_SIDE else h - 24
    return w, h


def paint(genres: Sequence[str], rng: np.random.Generator) -> Image.Image:
    """Paint one image for an artist with ``genres`` (first genre is primary).

    A multi-genre image is split along its longer side: the primary genre's
    style fills 50-70% of the canvas, the second genre's style the rest.
    """
    size = random_size(rng)
    image = GENRE_STYLES[genres[0]](rng, size)
    if len(genres) > 1:
        other = GENRE_STYLES[genres[1]](rng, size)
        w, h = size
        horizontal = w >= h
        cut = int((w if horizontal else h) * rng.uniform(0.5, 0.7))
        primary_first = rng.random() < 0.5
        if horizontal:
            box = (cut, 0, w, h) if primary_first else (0, 0, w - cut, h)
        else:
            box = (0, cut, w, h) if primary_first else (0, 0, w, h - cut)
        image.paste(other.crop(box), box[:2])
    return image


def jpeg_bytes(image: Image.Image) -> bytes:
    """Encode ``image`` as a baseline JPEG with fixed options (no EXIF)."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, **JPEG_OPTIONS)
    return buffer.getvalue()


def image_rng(seed: int, group: int, index: int) -> np.random.Generator:
    """Independent generator per image, so counts can change without reshuffling."""
    return np.random.default_rng([seed, group, index])


def iter_artist_images(
    seed: int = DEFAULT_SEED, images_per_artist: int | None = None
) -> Iterator[tuple[Artist, int, Image.Image]]:
    """Yield ``(artist, n, image)`` for every sample image (``n`` from 1)."""
    for artist in ARTISTS:
        count = images_per_artist or artist.n_images
        for n in range(1, count + 1):
            yield artist, n, paint(artist.genres, image_rng(seed, artist.id, n))


def iter_genre_images(
    seed: int = DEFAULT_SEED, images_per_genre: int = IMAGES_PER_GENRE
) -> Iterator[tuple[str, int, Image.Image]]:
    """Yield ``(genre, n, image)`` with single-genre images for every style."""
    for g, genre in enumerate(GENRE_STYLES):
        for n in range(1, images_per_genre + 1):
            yield genre, n, paint([genre], image_rng(seed, 1000 + g, n))


def write_artists_csv(path: Path, counts: dict[str, int]) -> None:
    """Write ``artists.csv`` like Kaggle: UTF-8, no BOM, ``\\n``, NFC names."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for a in ARTISTS:
            writer.writerow(
                [
                    a.id,
                    unicodedata.normalize("NFC", a.name),
                    a.years,
                    a.genre,
                    a.nationality,
                    a.bio,
                    a.wikipedia,
                    counts[a.name],
                ]
            )


def clean_output(out_dir: Path) -> None:
    """Remove what an earlier run wrote (only the entries this script manages)."""
    for name in MANAGED_ENTRIES:
        target = out_dir / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def make_sample(
    out_dir: Path | str = DEFAULT_OUT,
    seed: int = DEFAULT_SEED,
    layout: str = "resized",
    images_per_artist: int | None = None,
) -> dict:
    """Generate the sample into ``out_dir`` and return what was written.

    Args:
        out_dir: output folder (created; earlier ``artists.csv``, ``resized/``
            and ``images/`` inside it are removed first).
        seed: base seed; the same seed gives byte-identical files.
        layout: ``"resized"``, ``"images"`` or ``"folders"`` (see module doc).
        images_per_artist: override every artist's image count (and, for
            ``"folders"``, the images per genre); ``None`` keeps the defaults.

    Returns:
        ``{"layout", "seed", "artists", "images", "per_class", "bytes"}`` where
        ``per_class`` maps artist names (NFC) or, for ``"folders"``, genre names
        to image counts, and ``bytes`` is the total size written.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_output(out_dir)

    per_class: dict[str, int] = {}
    written = 0
    if layout == "folders":
        items = iter_genre_images(seed, images_per_artist or IMAGES_PER_GENRE)
        for genre, n, image in items:
            path = out_dir / "images" / genre.replace(" ", "_") / f"{n}.jpg"
            written += _write(path, jpeg_bytes(image))
            per_class[genre] = per_class.get(genre, 0) + 1
    else:
        for artist, n, image in iter_artist_images(seed, images_per_artist):
            stem = artist.file_stem
            folder = out_dir / ("resized" if layout == "resized" else f"images/{stem}")
            written += _write(folder / f"{stem}_{n}.jpg", jpeg_bytes(image))
            per_class[artist.name] = per_class.get(artist.name, 0) + 1
        write_artists_csv(out_dir / "artists.csv", per_class)
        written += (out_dir / "artists.csv").stat().st_size
    return {
        "layout": layout,
        "seed": seed,
        "artists": 0 if layout == "folders" else len(ARTISTS),
        "images": sum(per_class.values()),
        "per_class": per_class,
        "bytes": written,
    }


def _write(path: Path, data: bytes) -> int:
    """Write ``data`` to ``path`` (creating folders) and return its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def main(argv: Sequence[str] | None = None) -> dict:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="base seed")
    parser.add_argument("--layout", choices=LAYOUTS, default="resized")
    parser.add_argument("--images-per-artist", type=int, default=None)
    args = parser.parse_args(argv)
    summary = make_sample(args.out, args.seed, args.layout, args.images_per_artist)
    print(
        f"wrote {summary['images']} images for {len(summary['per_class'])} classes "
        f"({summary['bytes'] / 1024:.0f} KiB, layout={args.layout}) to {args.out}"
    )
    return summary


if __name__ == "__main__":
    main()
