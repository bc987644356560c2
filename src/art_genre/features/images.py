"""Turn any decodable PIL image into the uint8 RGB array a CNN backbone expects.

Paintings arrive in every format and mode Pillow can read: greyscale, palette
images with and without transparency, RGBA, CMYK JPEGs, 16-bit greyscale PNGs,
animated GIFs, phone photos that rely on an EXIF orientation tag. This module
normalises all of them to an ``(height, width, 3)`` ``uint8`` array and raises
:class:`ImageDecodeError` for anything that cannot be used.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from art_genre.quality import describe_error

#: Resampling filters accepted by :func:`to_model_input`, by name.
RESAMPLING_METHODS: dict[str, Image.Resampling] = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_HIGH_DEPTH_GREY_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_WHITE = (255, 255, 255)
_EXIF_ORIENTATION = 0x0112


class ImageDecodeError(ValueError):
    """Raised when an image cannot be decoded or converted to model input."""


def resampling_filter(resample: str | Image.Resampling) -> Image.Resampling:
    """Resolve a resampling method name to Pillow's enum.

    Args:
        resample: A name from :data:`RESAMPLING_METHODS` or a Pillow enum member.

    Returns:
        The Pillow resampling filter.

    Raises:
        ValueError: If the name is unknown.
    """
    if isinstance(resample, Image.Resampling):
        return resample
    try:
        return RESAMPLING_METHODS[str(resample).lower()]
    except KeyError:
        known = ", ".join(sorted(RESAMPLING_METHODS))
        raise ValueError(
            f"Unknown resample method {resample!r}; expected one of: {known}."
        ) from None


def _first_frame(img: Image.Image) -> Image.Image:
    """Return the first frame of a multi-frame image (animated GIF, APNG, TIFF)."""
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    return img


def _apply_exif_orientation(img: Image.Image) -> Image.Image:
    """Rotate/flip the image as its EXIF orientation tag says; no-op without one."""
    try:
        if img.getexif().get(_EXIF_ORIENTATION, 1) in (1, None):
            return img  # nothing to do: avoid exif_transpose's full copy
        transposed = ImageOps.exif_transpose(img)
    except Exception:  # malformed EXIF must not make a readable image unusable
        return img
    return img if transposed is None else transposed


def _composite_on_white(img: Image.Image) -> Image.Image:
    """Flatten an image with transparency onto a white background."""
    rgba = img.convert("RGBA")
    background = Image.new("RGBA", rgba.size, _WHITE + (255,))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _stretch_to_uint8(values: np.ndarray) -> np.ndarray:
    """Linearly map the real value range of a high-depth grey image onto 0..255.

    Constant images keep their brightness relative to the 16-bit range, and
    non-finite values (possible in mode ``F``) become black.
    """
    data = values.astype(np.float64, copy=False)
    finite = np.isfinite(data)
    if not finite.any():
        return np.zeros(data.shape, dtype=np.uint8)
    lo = float(data[finite].min())
    hi = float(data[finite].max())
    if hi > lo:
        scaled = (data - lo) * (255.0 / (hi - lo))
    else:
        full_scale = 65535.0 if hi > 255.0 else 255.0
        scaled = np.full(data.shape, np.clip(hi, 0.0, full_scale) * 255.0 / full_scale)
    scaled[~finite] = 0.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _cmyk_to_rgb(img: Image.Image) -> Image.Image:
    """Convert CMYK to RGB, through the embedded ICC profile when there is one."""
    icc = img.info.get("icc_profile")
    if icc:
        try:
            from PIL import ImageCms  # noqa: PLC0415 - optional littlecms support

            converted = ImageCms.profileToProfile(
                img,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                return converted
        except Exception:  # broken profile or no littlecms: plain conversion
            pass
    return img.convert("RGB")


def _to_rgb(img: Image.Image) -> Image.Image:
    """Convert an image of any Pillow mode to 8-bit RGB."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        if "transparency" in img.info:
            return _composite_on_white(img)
        return img.convert("RGB")
    if mode in _ALPHA_MODES:
        return _composite_on_white(img)
    if mode in _HIGH_DEPTH_GREY_MODES or mode.startswith("I;16"):
        grey = _stretch_to_uint8(np.asarray(img))
        return Image.fromarray(grey, mode="L").convert("RGB")
    if mode == "CMYK":
        return _cmyk_to_rgb(img)
    # "1", "L", "RGBX", "YCbCr", "HSV", ... : Pillow converts these directly.
    return img.convert("RGB")


_ROTATED_ORIENTATIONS = frozenset({5, 6, 7, 8})


def draft_jpeg(img: Image.Image, width: int, height: int) -> bool:
    """Make a not yet decoded JPEG decode at a reduced scale, at or above ``width x height``.

    JPEG decoders can scale by 1/2, 1/4 or 1/8 while decoding (the DCT is truncated),
    which is several times cheaper than decoding every pixel and shrinking afterwards.
    Pillow's ``draft`` picks the largest of these reductions that keeps *both* sides at
    or above the target (after the EXIF rotation, which may swap them), so the resize
    that follows still only shrinks. Does nothing for other formats, for images less
    than twice the target on a side, and for images already decoded.

    Args:
        img: A lazily opened image (``Image.open`` without ``load``/``copy``).
        width: Target width after EXIF orientation.
        height: Target height after EXIF orientation.

    Returns:
        Whether the image will be decoded at a reduced scale.
    """
    if getattr(img, "format", None) != "JPEG" or not getattr(img, "tile", None):
        return False  # not a JPEG, or already decoded (no tiles left: draft is a no-op)
    try:
        if img.getexif().get(_EXIF_ORIENTATION, 1) in _ROTATED_ORIENTATIONS:
            width, height = height, width
    except Exception:  # malformed EXIF: to_model_input ignores it too
        pass
    if img.width < 2 * width or img.height < 2 * height:
        return False
    before = img.size
    img.draft("RGB", (width, height))
    return img.size != before


def to_model_input(
    img: Image.Image,
    size: tuple[int, int] = (224, 224),
    resample: str | Image.Resampling = "bilinear",
    draft: bool = False,
) -> np.ndarray:
    """Convert a PIL image into a ``uint8`` RGB array of the requested size.

    Steps: first frame of animated images, (with ``draft``) reduced-size JPEG decoding,
    EXIF orientation, conversion of every mode to RGB (transparency composited onto
    white; 16-bit and float grey stretched over their real value range), then resizing.

    Args:
        img: The decoded (or lazily opened) image.
        size: Output ``(height, width)``, as in Keras' ``target_size``.
        resample: Resampling filter name (see :data:`RESAMPLING_METHODS`).
        draft: Decode a JPEG at least twice the output size at 1/2, 1/4 or 1/8 scale,
            the smallest that stays at or above it (:func:`draft_jpeg`); only an image
            not yet decoded (opened lazily, e.g. :func:`open_image` with ``lazy``) can.

    Returns:
        A C-contiguous ``uint8`` array of shape ``(height, width, 3)``.

    Raises:
        ImageDecodeError: If ``img`` is not an image, cannot be decoded (for
            example a truncated file) or has a mode that cannot become RGB.
        ValueError: If ``size`` or ``resample`` is invalid.
    """
    height, width = (int(v) for v in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be two positive integers, got {size!r}.")
    resample_filter = resampling_filter(resample)
    if not isinstance(img, Image.Image):
        raise ImageDecodeError(f"Expected a PIL.Image.Image, got {type(img).__name__}.")
    try:
        img = _first_frame(img)
        if draft:
            draft_jpeg(img, width, height)
        img.load()
        if img.width == 0 or img.height == 0:
            raise ImageDecodeError(f"Image has no pixels (size {img.size}).")
        img = _to_rgb(_apply_exif_orientation(img))
        if img.size != (width, height):
            img = img.resize((width, height), resample=resample_filter)
        array = np.asarray(img, dtype=np.uint8)
    except ImageDecodeError:
        raise
    except Exception as exc:
        raise ImageDecodeError(describe_error(exc)) from exc
    if array.shape != (height, width, 3):
        raise ImageDecodeError(
            f"Conversion produced shape {array.shape}, expected {(height, width, 3)}."
        )
    return np.ascontiguousarray(array)


def to_display_image(img: Image.Image, max_side: int) -> Image.Image:
    """The painting as a person sees it: upright RGB, at most ``max_side`` pixels a side.

    The same conversions as :func:`to_model_input` (first frame, EXIF orientation, every
    mode to RGB) but keeping the aspect ratio, for drawing explanations over it.

    Args:
        img: The decoded (or lazily opened) image.
        max_side: Longest side of the result, in pixels.

    Returns:
        An RGB image no larger than ``max_side`` on either side.

    Raises:
        ImageDecodeError: If ``img`` cannot be decoded or converted.
    """
    if not isinstance(img, Image.Image):
        raise ImageDecodeError(f"Expected a PIL.Image.Image, got {type(img).__name__}.")
    try:
        img = _first_frame(img)
        img.load()
        img = _to_rgb(_apply_exif_orientation(img))
        scale = max_side / max(img.size)
        if scale < 1:
            size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
            img = img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    except ImageDecodeError:
        raise
    except Exception as exc:
        raise ImageDecodeError(describe_error(exc)) from exc
    return img


def open_image(path: str | Path, lazy: bool = False) -> Image.Image:
    """Load an image file into memory, like kedro-datasets' ``ImageDataset``.

    Args:
        path: The image file.
        lazy: Read the file's bytes but do not decode them yet (``Image.open`` on the
            bytes), so that :func:`to_model_input` may decode a large JPEG at a
            reduced scale.

    Returns:
        The decoded image (``Image.open(f).copy()``), detached from the file; with
        ``lazy``, the opened, not yet decoded image.
    """
    with open(path, "rb") as f:
        if lazy:
            return Image.open(io.BytesIO(f.read()))
        return Image.open(f).copy()


def path_items(
    paths: Iterable[str | Path], root: str | Path | None = None, lazy: bool = False
) -> Iterator[tuple[str, Callable[[], Image.Image]]]:
    """Turn image paths into the ``(image_id, load_fn)`` pairs extraction expects.

    Args:
        paths: Image files.
        root: If given, ids are the paths relative to it with POSIX separators
            (PartitionedDataset's partition ids when it has no
            ``filename_suffix``); otherwise the file names.
        lazy: Loaders return images not yet decoded (see :func:`open_image`).

    Yields:
        ``(image_id, load_fn)`` where ``load_fn()`` opens the file on demand.
    """
    root_path = Path(root) if root is not None else None
    for raw in paths:
        path = Path(raw)
        if root_path is not None:
            image_id = path.relative_to(root_path).as_posix()
        else:
            image_id = path.name
        yield image_id, (lambda p=path: open_image(p, lazy=lazy))
