"""Nodes of the ``data_processing`` pipeline: from a painting folder to a labelled index.

The flow: list the folder's files and detect its layout (:func:`scan_image_files`), clean
``artists.csv`` (:func:`clean_artists`), give every image its genres
(:func:`label_images`), open every image once to keep only readable ones
(:func:`verify_images`), split (:func:`split_paintings`) and gather every skipped input in
one report (:func:`build_data_quality_report`).
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.preprocessing import MultiLabelBinarizer

from art_genre.labels import (
    artist_from_file_name,
    fold_name,
    hidden_or_leftover,
    join_genres,
    label_from_folder,
    split_genres,
)
from art_genre.preflight import ParameterError
from art_genre.quality import (
    NOT_UTF8,
    QUALITY_COLUMNS,
    IssueLog,
    describe_error,
    empty_file_reason,
    is_utf8_name,
)

from .params import DataProcessingParams, SplitParams

logger = logging.getLogger(__name__)

ARTISTS_CSV = "artists.csv"
REQUIRED_ARTIST_COLUMNS = ("name", "genre")
SPLITS = ("train", "val", "test")
IMAGE_FILE_COLUMNS = ["image_id", "layout", "name_candidates"]
INDEX_COLUMNS = ["image_id", "artist", "genres", "split", "width", "height", "mode"]


# ---------------------------------------------------------------------------- scan


def _layout_root(layout: str, top_folders: set[str]) -> str:
    """The folder under the data folder that holds the images of ``layout`` ("" = itself)."""
    wanted = "resized" if layout == "resized" else "images"
    return wanted if wanted in top_folders else ""


def detect_layout(partition_ids: list[str], layout: str = "auto") -> tuple[str, str]:
    """Detect the layout of a painting folder from its file list.

    Args:
        partition_ids: Paths of all files relative to the data folder (POSIX).
        layout: ``auto`` to detect, or one of ``resized``, ``images``, ``folders``.

    Returns:
        ``(layout, root)``: the layout and the sub-folder holding its images (``""`` when
        the images sit in the data folder itself).
    """
    visible = [p for p in partition_ids if not hidden_or_leftover(p)]
    nested = [PurePosixPath(p).parts for p in visible if len(PurePosixPath(p).parts) > 1]
    top_folders = {parts[0] for parts in nested}
    if layout != "auto":
        return layout, _layout_root(layout, top_folders)
    if ARTISTS_CSV not in visible:
        return "folders", _layout_root("folders", top_folders)
    if "resized" in top_folders:  # the study's choice when the archive has both
        return "resized", "resized"
    if "images" in top_folders:
        return "images", "images"
    deep = any(len(parts) > 2 for parts in nested) or any(
        len(parts) == 2 for parts in nested
    )
    return ("images", "") if deep else ("resized", "")


def _relative_folders(image_id: str, root: str) -> list[str]:
    """Folders between the layout root and the file, nearest the root first.

    A repeated root folder (the Kaggle download unpacks to ``images/images/...``) is
    skipped.
    """
    parts = list(PurePosixPath(image_id).parts[:-1])
    if root:
        parts = parts[1:]
        while parts and parts[0] == root:
            parts = parts[1:]
    return parts


def scan_image_files(
    painting_images: dict[str, Callable[[], Any]], params: DataProcessingParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """List the image files of the painting folder and detect its layout.

    Hidden files and macOS leftovers, files with other suffixes and files outside the
    layout's folder are listed as skipped. Nothing is opened here.

    Args:
        painting_images: The partitioned image dataset: relative path → lazy loader.
        params: The pipeline's parameters.

    Returns:
        ``image_files`` (``image_id``, ``layout``, ``name_candidates``: names to look up,
        best first) and the issues found.

    Raises:
        ParameterError: If the split strategy needs artists the layout does not have, or the
            folder holds no usable image.
    """
    issues = IssueLog("scan", params.on_bad_input)
    ids = sorted(painting_images, key=lambda p: unicodedata.normalize("NFC", p))
    layout, root = detect_layout(ids, params.layout)
    logger.info("Layout %r (images under %r), %d files.", layout, root or ".", len(ids))
    if layout == "folders" and params.split.strategy == "artist":
        raise ParameterError(
            "split.strategy=artist needs artist names, but the layout 'folders' "
            "(images/<Genre>/...) has none; use split.strategy=random or stratified."
        )
    rows = []
    for image_id in ids:
        candidates = _name_candidates(image_id, layout, root, params, issues)
        if candidates is not None:
            rows.append((image_id, layout, candidates))
    image_files = pd.DataFrame(rows, columns=IMAGE_FILE_COLUMNS)
    if image_files.empty:
        raise ParameterError(
            f"No usable image file in the painting folder ({len(ids)} files, layout "
            f"{layout!r}); see the skipped files in the log."
        )
    return image_files, issues.to_frame()


def _name_candidates(
    image_id: str, layout: str, root: str, params: DataProcessingParams, issues: IssueLog
) -> list[str] | None:
    """The names to look a file up by, best first; ``None`` for a file that is skipped
    (listed in ``issues``, except the layout's own ``artists.csv``)."""
    path = PurePosixPath(image_id)
    if image_id == ARTISTS_CSV and layout != "folders":
        return None
    if not is_utf8_name(image_id):
        issues.add(image_id, NOT_UTF8)
        return None
    if hidden_or_leftover(image_id):
        issues.add(image_id, "hidden file or macOS archive leftover")
        return None
    if path.suffix.lower() not in params.image_suffixes:
        issues.add(image_id, f"not an image suffix ({', '.join(params.image_suffixes)})")
        return None
    if root and path.parts[0] != root:
        issues.add(image_id, f"outside the '{root}/' folder of the {layout} layout")
        return None
    folders = _relative_folders(image_id, root)
    if layout == "folders":
        if not folders:
            issues.add(image_id, "not inside a genre folder (images/<Genre>/...)")
            return None
        return [label_from_folder(folders[0])]
    if layout == "images":
        return [label_from_folder(f) for f in reversed(folders)] + [
            artist_from_file_name(image_id)
        ]
    return [artist_from_file_name(image_id)]


# ------------------------------------------------------------------------- artists


def clean_artists(
    artists: pd.DataFrame, params: DataProcessingParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean ``artists.csv``: one row per artist with its list of genres.

    Column names are stripped (a UTF-8 BOM is removed by the dataset's encoding); genre
    cells are split on commas and stripped. A row with no genre and a repeated artist
    (the first row is kept) are listed as issues.

    Args:
        artists: The raw ``artists.csv``; empty when the folder has none.
        params: The pipeline's parameters.

    Returns:
        ``artist_genres`` (``artist``, ``name_key``, ``genres`` as a list) and the issues.

    Raises:
        ParameterError: If a required column (``name``, ``genre``) is missing.
    """
    issues = IssueLog("artists", params.on_bad_input)
    columns = ["artist", "name_key", "genres"]
    if artists.empty and len(artists.columns) == 0:
        return pd.DataFrame(columns=columns), issues.to_frame()
    artists = artists.rename(columns=lambda c: str(c).strip().lstrip("\ufeff").lower())
    missing = [c for c in REQUIRED_ARTIST_COLUMNS if c not in artists.columns]
    if missing:
        raise ParameterError(
            f"{ARTISTS_CSV} lacks the required column(s) {missing}; it has "
            f"{list(artists.columns)}"
        )
    rows: dict[str, tuple[str, str, list[str]]] = {}
    for line, (name, genre) in enumerate(zip(artists["name"], artists["genre"], strict=True), 2):
        where = f"{ARTISTS_CSV}:{line}"
        if not isinstance(name, str) or not name.strip():
            issues.add(where, "row without an artist name")
            continue
        artist = unicodedata.normalize("NFC", " ".join(name.split()))
        key = fold_name(artist)
        genres = split_genres(genre)
        if key in rows:
            issues.add(where, f"duplicate row for artist {artist!r}; the first row is kept")
            continue
        if not genres:
            issues.add(where, f"artist {artist!r} has an empty genre cell")
            continue
        rows[key] = (artist, key, genres)
    return pd.DataFrame(list(rows.values()), columns=columns), issues.to_frame()


# -------------------------------------------------------------------------- labels


def label_images(
    image_files: pd.DataFrame,
    artist_genres: pd.DataFrame,
    artists: pd.DataFrame,
    params: DataProcessingParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give every image its genres.

    Kaggle layouts join each image to ``artists.csv`` by folded name (see
    :func:`~art_genre.labels.fold_name`); labelled folders take
    the folder name as the genre. Images of unknown artists, or of artists whose row was
    dropped, and artists of the CSV without any image are listed as issues.

    Args:
        image_files: Output of :func:`scan_image_files`.
        artist_genres: Output of :func:`clean_artists`.
        artists: The raw ``artists.csv``, to tell a dropped row from an unknown artist.
        params: The pipeline's parameters.

    Returns:
        ``labelled_images`` (``image_id``, ``artist``, ``genres`` as a list) and issues.
    """
    issues = IssueLog("labels", params.on_bad_input)
    layout = image_files["layout"].iloc[0]
    rows = []
    if layout == "folders":
        for image_id, candidates in zip(
            image_files["image_id"], image_files["name_candidates"], strict=True
        ):
            rows.append((image_id, "", [candidates[0]]))
        return pd.DataFrame(rows, columns=["image_id", "artist", "genres"]), issues.to_frame()

    known = {key: (artist, genres) for artist, key, genres in artist_genres.itertuples(index=False)}
    in_csv = (
        {fold_name(n) for n in artists["name"].dropna()} if "name" in artists else set()
    )
    used: set[str] = set()
    for image_id, candidates in zip(
        image_files["image_id"], image_files["name_candidates"], strict=True
    ):
        keys = [fold_name(c) for c in candidates]
        match = next((k for k in keys if k in known), None)
        if match is None:
            dropped = next((k for k in keys if k in in_csv), None)
            reason = (
                f"artist {candidates[0]!r} has no usable row in {ARTISTS_CSV} (see its issue)"
                if dropped
                else f"artist {candidates[0]!r} is not in {ARTISTS_CSV}"
            )
            issues.add(image_id, reason)
            continue
        used.add(match)
        artist, genres = known[match]
        rows.append((image_id, artist, list(genres)))
    _list_artists_without_images(
        [artist for key, (artist, _) in known.items() if key not in used], issues
    )
    return pd.DataFrame(rows, columns=["image_id", "artist", "genres"]), issues.to_frame()


def _list_artists_without_images(unused: list[str], issues: IssueLog) -> None:
    """Each CSV artist without images is a row of the data-quality report; the log gets
    one line for them all (a folder with a subset of the artists is normal)."""
    for artist in unused:
        issues.add(ARTISTS_CSV, f"artist {artist!r} has no image in the painting folder",
                   log=False)
    if unused:
        logger.warning(
            "%d artist(s) of %s have no image in the painting folder (e.g. %s); they are "
            "listed in the data-quality report.", len(unused), ARTISTS_CSV, unused[0]
        )


# -------------------------------------------------------------------------- verify


def _open_image(load: Callable[[], Image.Image]) -> tuple[int, int, str]:
    """Decode one image fully; a decompression-bomb warning counts as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = load()
        image.load()  # a lazily opened image (LazyImageDataset) is decoded here
    try:
        return image.width, image.height, image.mode
    finally:
        image.close()


def verify_images(
    painting_images: dict[str, Callable[[], Any]],
    labelled_images: pd.DataFrame,
    params: DataProcessingParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Open every labelled image once, keeping the readable ones with their size and mode.

    One image at a time is in memory. Zero-byte, truncated, mislabelled (text named
    ``.jpg``) and decompression-bomb files are listed as issues with Pillow's reason.

    Args:
        painting_images: The partitioned image dataset: relative path → lazy loader.
        labelled_images: Output of :func:`label_images`.
        params: The pipeline's parameters.

    Returns:
        The readable images with ``width``, ``height``, ``mode`` added, and the issues.
    """
    issues = IssueLog("decode", params.on_bad_input)
    sizes = []
    keep = []
    for image_id in labelled_images["image_id"]:
        try:
            sizes.append(_open_image(painting_images[image_id]))
            keep.append(True)
        except Exception as error:  # noqa: BLE001 - every failure is listed, none hidden
            reason = empty_file_reason(painting_images[image_id]) or describe_error(error)
            issues.add(image_id, f"unreadable image ({reason})")
            keep.append(False)
    verified = labelled_images.loc[keep].reset_index(drop=True)
    verified[["width", "height", "mode"]] = pd.DataFrame(
        sizes, columns=["width", "height", "mode"]
    )
    logger.info(
        "%d of %d labelled images are readable.", len(verified), len(labelled_images)
    )
    return verified, issues.to_frame()


# --------------------------------------------------------------------------- split


def _two_way(
    ids: np.ndarray,
    size: float,
    split: SplitParams,
    strata: np.ndarray,
    groups: np.ndarray,
    parameter: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Split positions ``ids`` into (keep, take) with ``size`` of them taken."""
    if split.strategy == "artist":
        splitter = GroupShuffleSplit(n_splits=1, test_size=size, random_state=split.random_state)
        keep, take = next(splitter.split(ids, groups=groups[ids]))
        return ids[keep], ids[take]
    stratify = strata[ids] if split.strategy == "stratified" else None
    try:
        keep, take = train_test_split(
            ids, test_size=size, random_state=split.random_state, stratify=stratify
        )
    except ValueError as error:
        raise ParameterError(
            f"{parameter} cannot be applied under split.strategy={split.strategy} to "
            f"{len(ids)} images: {error}"
        ) from error
    return np.sort(keep), np.sort(take)


def assign_splits(labelled: pd.DataFrame, split: SplitParams) -> np.ndarray:
    """Assign each row ``train``, ``val`` or ``test``.

    The test split takes ``test_size`` of all rows exactly as the study did
    (``train_test_split(test_size=0.2, random_state=42)`` on the image list); the
    validation split then takes ``val_size`` of all rows from the rest (none with
    ``val_size: 0``, the study's protocol). Under ``artist``
    the shares count artists, not images (``GroupShuffleSplit``).

    Args:
        labelled: Rows in a stable order with ``artist`` and ``genres`` (lists).
        split: The split parameters.

    Returns:
        One split name per row.

    Raises:
        ParameterError: When a split would be empty, naming the parameter to change.
    """
    ids = np.arange(len(labelled))
    strata = np.array([join_genres(sorted(g)) for g in labelled["genres"]])
    groups = labelled["artist"].to_numpy()
    if split.strategy == "artist" and len(set(groups)) < 3:
        raise ParameterError(
            f"split.strategy=artist needs at least 3 artists, found {len(set(groups))}"
        )
    rest, test = _two_way(ids, split.test_size, split, strata, groups, "split.test_size")
    if split.val_size == 0:  # the study's protocol: no validation split
        train, val = rest, rest[:0]
    else:
        train, val = _two_way(
            rest, split.val_size / (1 - split.test_size), split, strata, groups, "split.val_size"
        )
    names = np.empty(len(ids), dtype=object)
    for name, part, parameter in (
        ("train", train, "split.test_size / split.val_size"),
        ("val", val, "split.val_size"),
        ("test", test, "split.test_size"),
    ):
        if len(part) == 0 and not (name == "val" and split.val_size == 0):
            raise ParameterError(
                f"The {name} split is empty ({len(ids)} images, strategy "
                f"{split.strategy}); change {parameter}."
            )
        names[part] = name
    return names


def split_paintings(
    verified_images: pd.DataFrame, params: DataProcessingParams
) -> tuple[pd.DataFrame, MultiLabelBinarizer, dict[str, Any]]:
    """Split the readable images and build the index, the genre vocabulary and a summary.

    Args:
        verified_images: Output of :func:`verify_images`.
        params: The pipeline's parameters.

    Returns:
        ``painting_index`` (``image_id``, ``artist``, ``genres`` joined by ``|``,
        ``split``, ``width``, ``height``, ``mode``), the fitted ``MultiLabelBinarizer``
        (its ``classes_`` are the genres, alphabetical) and ``split_summary``: counts per
        split and genre, and the genres that never reach training.
    """
    if verified_images.empty:
        raise ParameterError("No readable, labelled image is left to split.")
    split = params.split
    index = verified_images.copy()
    index["split"] = assign_splits(index, split)
    vocabulary = MultiLabelBinarizer()
    vocabulary.fit(index["genres"])
    genres = [str(g) for g in vocabulary.classes_]

    counts = {name: Counter() for name in SPLITS}
    for name, image_genres in zip(index["split"], index["genres"], strict=True):
        counts[name].update(image_genres)
    missing = [g for g in genres if counts["train"][g] == 0]
    if missing:
        logger.warning(
            "Genres with no training image under split.strategy=%s: %s",
            split.strategy,
            ", ".join(missing),
        )
    summary = {
        "strategy": split.strategy,
        "test_size": split.test_size,
        "val_size": split.val_size,
        "random_state": split.random_state,
        "n_images": {name: int((index["split"] == name).sum()) for name in SPLITS},
        "n_artists": {
            name: int(index.loc[index["split"] == name, "artist"].replace("", np.nan).nunique())
            for name in SPLITS
        },
        "genres": {g: {name: int(counts[name][g]) for name in SPLITS} for g in genres},
        "genres_missing_from_train": missing,
    }
    index["genres"] = [join_genres(g) for g in index["genres"]]
    logger.info(
        "Split %s: %s images, %d genres.",
        split.strategy,
        summary["n_images"],
        len(genres),
    )
    return index[INDEX_COLUMNS], vocabulary, summary


# -------------------------------------------------------------------------- report


def build_data_quality_report(*issue_tables: pd.DataFrame) -> pd.DataFrame:
    """Gather the issues of every stage into one table (``stage``, ``file``, ``reason``).

    Args:
        *issue_tables: The issue tables of the stages, in flow order.

    Returns:
        All issues; empty (with its columns) when the data was clean.
    """
    tables = [t for t in issue_tables if not t.empty]
    report = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=QUALITY_COLUMNS)
    if len(report):
        logger.warning(
            "%d input(s) skipped, listed in the data-quality report: %s",
            len(report),
            dict(Counter(report["stage"])),
        )
    return report[QUALITY_COLUMNS]

