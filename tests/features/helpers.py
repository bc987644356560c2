"""Image files of every kind for the feature tests, written with Pillow."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def kedro_loader(path: Path) -> Callable[[], Image.Image]:
    """A ``load_fn`` like kedro-datasets' ``pillow.ImageDataset.load``."""

    def load() -> Image.Image:
        with open(path, "rb") as f:
            return Image.open(f).copy()

    return load


def noise_image(seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A random RGB image (``size`` is Pillow's ``(width, height)``)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, mode="RGB")


def save(img: Image.Image, path: Path, **kwargs) -> Path:
    img.save(path, **kwargs)
    return path


def half_and_half(left: tuple[int, ...], right: tuple[int, ...], size=(60, 30)):
    """A ``size`` (width, height) RGB image: left half ``left``, right ``right``."""
    img = Image.new("RGB", size, left)
    img.paste(Image.new("RGB", (size[0] // 2, size[1]), right), (size[0] // 2, 0))
    return img


def exif_rotated_jpeg(path: Path) -> Path:
    """A 60x30 JPEG, red left / blue right, tagged orientation 6 (rotate 90 CW)."""
    img = half_and_half(RED, BLUE)
    exif = Image.Exif()
    exif[0x0112] = 6
    return save(img, path, format="JPEG", quality=95, exif=exif.tobytes())


def animated_gif(path: Path) -> Path:
    frames = [Image.new("RGB", (20, 20), c) for c in (RED, GREEN, BLUE)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    return path


def truncated_jpeg(path: Path) -> Path:
    buffer = io.BytesIO()
    noise_image(0, (128, 128)).save(buffer, format="JPEG", quality=95)
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def palette_with_transparency(path: Path) -> Path:
    """A PNG palette image: index 0 (red) transparent on the left, 1 (blue) right."""
    img = Image.new("P", (20, 10), 0)
    img.putpalette([*RED, *BLUE] + [0] * (256 - 2) * 3)
    img.paste(1, (10, 0, 20, 10))
    return save(img, path, format="PNG", transparency=0)


def stack_batches(batches) -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """``(ids, features, failures)`` of every batch of ``iter_feature_batches``, stacked
    as the feature cache assembles them (all batches of one width)."""
    ids: list[str] = []
    parts: list[np.ndarray] = []
    failures: list[tuple[str, str]] = []
    for batch in batches:
        ids.extend(batch.ids)
        parts.append(batch.features)
        failures.extend(batch.failures)
    return ids, np.concatenate(parts) if parts else np.empty((0, 0), np.float32), failures
