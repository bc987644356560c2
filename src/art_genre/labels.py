"""Names, genres and file layouts, shared by every pipeline (pure helpers, no I/O).

Name folding and genre parsing (``data_processing`` writes the index's ``genres`` cells,
``feature_engineering``, ``predict`` and ``reporting`` read them), and what counts as an
image file or an archive leftover.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import PurePosixPath

import pandas as pd

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
"""Suffixes taken as images by default (compared case-insensitively)."""

GENRE_SEPARATOR = "|"
"""Separator of the genres of one image in the index table (genre names never hold it)."""

_TRAILING_NUMBER = re.compile(r"_\d+$")
_SPACES = re.compile(r"\s+")
MACOS_FOLDER = "__MACOSX"


def fold_name(name: str) -> str:
    """A key under which two spellings of one name compare equal.

    The Kaggle archive spells *Albrecht Dürer* in decomposed Unicode (NFD) in its file
    names and composed (NFC) in ``artists.csv``. Both fold to ``"albrecht durer"``:
    compatibility decomposition (NFKD), accents dropped, underscores and runs of white
    space made one space, stripped, case-folded. Unlike the study's ASCII folding, letters
    outside Latin script are kept, so such names never collapse to an empty key.

    Args:
        name: An artist or genre name, from a CSV cell or a file name.

    Returns:
        The folded key.
    """
    decomposed = unicodedata.normalize("NFKD", str(name))
    no_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    spaced = _SPACES.sub(" ", no_marks.replace("_", " "))
    return spaced.strip().casefold()


def split_genres(cell: object) -> list[str]:
    """Split a comma-separated genre cell into clean genre names.

    Args:
        cell: The ``genre`` cell, e.g. ``"Expressionism, Abstractionism"``; may be empty
            or missing (``NaN``).

    Returns:
        The genres, stripped, in their order, without empty items or repeats.
    """
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return []
    genres: list[str] = []
    for part in str(cell).split(","):
        genre = _SPACES.sub(" ", unicodedata.normalize("NFC", part)).strip()
        if genre and genre not in genres:
            genres.append(genre)
    return genres


def artist_from_file_name(path: str) -> str:
    """Artist name from a Kaggle file name: ``Vincent_van_Gogh_12.jpg`` → ``Vincent van Gogh``.

    Args:
        path: The file's path (only its stem is used).

    Returns:
        The name, trailing ``_N`` dropped, underscores made spaces, NFC-normalised.
    """
    stem = PurePosixPath(path).stem
    name = _TRAILING_NUMBER.sub("", stem).replace("_", " ")
    return unicodedata.normalize("NFC", _SPACES.sub(" ", name).strip())


def label_from_folder(folder: str) -> str:
    """Human-readable label from a folder name: ``Art_Nouveau_Modern`` → ``Art Nouveau Modern``."""
    return unicodedata.normalize("NFC", _SPACES.sub(" ", folder.replace("_", " ")).strip())


def hidden_or_leftover(path: str) -> bool:
    """Whether a path is a hidden file or a macOS archive leftover.

    ``.DS_Store``, ``._x.jpg`` (AppleDouble), anything in ``__MACOSX/`` or in a hidden
    folder.
    """
    return any(
        part.startswith(".") or part == MACOS_FOLDER for part in PurePosixPath(path).parts
    )


def join_genres(genres: list[str]) -> str:
    """Genres of one image as one index cell (``"Symbolism|Art Nouveau"``)."""
    return GENRE_SEPARATOR.join(genres)


def parse_genres(cell: object) -> list[str]:
    """Inverse of :func:`join_genres`; an empty or missing cell gives ``[]``."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell == "":
        return []
    return str(cell).split(GENRE_SEPARATOR)


def genre_lists(index: pd.DataFrame) -> list[list[str]]:
    """The genre lists of every row of an index table, in row order."""
    return [parse_genres(cell) for cell in index["genres"]]
