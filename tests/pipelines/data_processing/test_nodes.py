"""Node tests of ``data_processing``: names, layouts, the join, splits and bad inputs."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from art_genre.labels import (
    artist_from_file_name,
    fold_name,
    hidden_or_leftover,
    split_genres,
)
from art_genre.pipelines.data_processing.nodes import (
    assign_splits,
    build_data_quality_report,
    clean_artists,
    detect_layout,
    label_images,
    scan_image_files,
    split_paintings,
    verify_images,
)
from art_genre.pipelines.data_processing.params import DataProcessingParams, SplitParams
from art_genre.quality import BadInputError

SKIP = DataProcessingParams()
FAIL = DataProcessingParams(on_bad_input="fail")


def _artists(*rows: tuple[str, object]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["name", "genre"])


def _loaders(paths: list[str]) -> dict[str, Callable[[], Image.Image]]:
    """Partition-like mapping whose loaders would give a small RGB image."""
    return {p: (lambda: Image.new("RGB", (8, 8))) for p in paths}


def _partitions(root: Path) -> dict[str, Callable[[], Image.Image]]:
    """What the catalog's ``painting_images`` loads (images opened, decoded on first use)."""
    from kedro_datasets.partitions import PartitionedDataset

    return PartitionedDataset(
        path=str(root), dataset="art_genre.datasets.LazyImageDataset"
    ).load()


def _index(root: Path, params: DataProcessingParams = SKIP) -> tuple[pd.DataFrame, ...]:
    """Run the node chain in-process on a folder; return index, issues, summary."""
    parts = _partitions(root)
    csv = root / "artists.csv"
    raw = pd.read_csv(csv, encoding="utf-8-sig") if csv.exists() else pd.DataFrame()
    files, scan_issues = scan_image_files(parts, params)
    artists, artist_issues = clean_artists(raw, params)
    labelled, label_issues = label_images(files, artists, raw, params)
    verified, decode_issues = verify_images(parts, labelled, params)
    index, vocabulary, summary = split_paintings(verified, params)
    report = build_data_quality_report(scan_issues, artist_issues, label_issues, decode_issues)
    return index, report, summary, vocabulary


# ----------------------------------------------------------------- names and genres


def test_fold_name_matches_nfd_file_names_to_nfc_csv_names():
    nfd = unicodedata.normalize("NFD", "Albrecht_Dürer")
    assert nfd != "Albrecht_Dürer"
    assert fold_name(nfd) == fold_name("Albrecht Dürer") == "albrecht durer"
    assert fold_name("  Vincent   van Gogh ") == "vincent van gogh"
    # Letters outside Latin script are kept, so such names never fold to "".
    assert fold_name("Андрей Рублёв") == "андреи рублев"


def test_split_genres_strips_and_drops_empties():
    assert split_genres("Expressionism,Abstractionism") == ["Expressionism", "Abstractionism"]
    assert split_genres(" Symbolism ,  Art Nouveau ,") == ["Symbolism", "Art Nouveau"]
    assert split_genres("Impressionism, Impressionism") == ["Impressionism"]
    assert split_genres(float("nan")) == []
    assert split_genres("  ") == []


def test_artist_from_file_name_drops_the_number():
    assert artist_from_file_name("resized/Vincent_van_Gogh_12.jpg") == "Vincent van Gogh"
    assert artist_from_file_name("Pieter_Bruegel_1.JPG") == "Pieter Bruegel"


@pytest.mark.parametrize(
    "path",
    [".DS_Store", "resized/._Vincent_van_Gogh_1.jpg", "__MACOSX/resized/x.jpg", ".git/x.png"],
)
def test_hidden_and_macos_leftovers(path):
    assert hidden_or_leftover(path)


def test_ordinary_path_is_not_hidden():
    assert not hidden_or_leftover("images/Gustav_Klimt/Gustav_Klimt_1.jpg")


# --------------------------------------------------------------------------- layouts


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["artists.csv", "resized/A_1.jpg"], ("resized", "resized")),
        (["artists.csv", "images/A/A_1.jpg"], ("images", "images")),
        (["artists.csv", "images/images/A/A_1.jpg"], ("images", "images")),
        (["artists.csv", "images/A/A_1.jpg", "resized/A_1.jpg"], ("resized", "resized")),
        (["images/Baroque/1.jpg"], ("folders", "images")),
        (["Baroque/1.jpg", "Cubism/2.png"], ("folders", "")),
        (["artists.csv", "A_1.jpg"], ("resized", "")),
    ],
)
def test_detect_layout(ids, expected):
    assert detect_layout(ids) == expected


@pytest.mark.parametrize("layout", ["resized", "images", "folders"])
def test_each_layout_indexes_every_image(tmp_path, sample_generator, layout):
    counts = sample_generator.make_sample(tmp_path, layout=layout)
    index, report, summary, vocabulary = _index(tmp_path)
    assert len(index) == counts["images"]
    assert report.empty, report
    assert sum(summary["n_images"].values()) == counts["images"]
    if layout == "folders":
        assert (index["artist"] == "").all()
        assert set(vocabulary.classes_) == {g.replace("_", " ") for g in counts["per_class"]}
    else:
        assert index["artist"].nunique() == counts["artists"]
        # The NFD file names of Albrecht Dürer joined to the NFC row of the CSV.
        assert (index["artist"] == "Albrecht Dürer").sum() == counts["per_class"]["Albrecht Dürer"]


def test_explicit_layout_parameter_overrides_detection(tmp_path, sample_generator):
    sample_generator.make_sample(tmp_path, layout="images")
    files, _ = scan_image_files(_partitions(tmp_path), DataProcessingParams(layout="images"))
    assert set(files["layout"]) == {"images"}
    # Forced to the flat layout, the same files are named by their file names instead.
    flat, issues = scan_image_files(
        _partitions(tmp_path), DataProcessingParams(layout="resized", on_bad_input="fail")
    )
    assert set(flat["layout"]) == {"resized"} and issues.empty
    assert [c[0] for c in flat["name_candidates"]] == [c[-1] for c in files["name_candidates"]]


def test_suffixes_in_any_case_and_extra_nesting(tmp_path):
    parts = _loaders(
        [
            "artists.csv",
            "images/images/Claude_Monet/Claude_Monet_1.JPG",
            "images/Claude_Monet/extra/Claude_Monet_2.Jpeg",
            "images/Claude_Monet/Claude_Monet_3.PNG",
        ]
    )
    files, issues = scan_image_files(parts, SKIP)
    assert len(files) == 3 and issues.empty
    raw = _artists(("Claude Monet", "Impressionism"))
    artists, _ = clean_artists(raw, SKIP)
    labelled, label_issues = label_images(files, artists, raw, SKIP)
    assert label_issues.empty
    assert (labelled["artist"] == "Claude Monet").all()


# ------------------------------------------------------------------------- the join


def test_join_gives_every_image_its_artists_genres():
    parts = _loaders(["artists.csv", "resized/Gustav_Klimt_1.jpg", "resized/Claude_Monet_2.jpg"])
    raw = _artists(("Gustav Klimt", "Symbolism,Art Nouveau"), ("Claude Monet", "Impressionism"))
    files, _ = scan_image_files(parts, SKIP)
    artists, _ = clean_artists(raw, SKIP)
    labelled, issues = label_images(files, artists, raw, SKIP)
    assert issues.empty
    genres = dict(zip(labelled["image_id"], labelled["genres"], strict=True))
    assert genres == {
        "resized/Claude_Monet_2.jpg": ["Impressionism"],
        "resized/Gustav_Klimt_1.jpg": ["Symbolism", "Art Nouveau"],
    }


# --------------------------------------------------------------------- bad inputs


def _bad_case():
    """A folder and CSV with every bad input data_processing handles."""
    parts = _loaders(
        [
            "artists.csv",
            ".DS_Store",
            "resized/._Claude_Monet_1.jpg",
            "__MACOSX/resized/Claude_Monet_1.jpg",
            "resized/notes.txt",
            "resized/Claude_Monet_1.jpg",
            "resized/Unknown_Painter_1.jpg",
            "resized/Nobody_Genre_1.jpg",
        ]
    )
    raw = _artists(
        ("Claude Monet", "Impressionism"),
        ("Claude Monet", "Realism"),
        ("Nobody Genre", ""),
        ("Painter Without Images", "Cubism"),
    )
    return parts, raw


def test_bad_inputs_are_listed_one_row_each():
    parts, raw = _bad_case()
    files, scan_issues = scan_image_files(parts, SKIP)
    artists, artist_issues = clean_artists(raw, SKIP)
    labelled, label_issues = label_images(files, artists, raw, SKIP)
    report = build_data_quality_report(scan_issues, artist_issues, label_issues)
    reasons = dict(zip(report["file"], report["reason"], strict=False))
    assert list(labelled["image_id"]) == ["resized/Claude_Monet_1.jpg"]
    assert labelled["genres"].iloc[0] == ["Impressionism"]  # the first row is kept
    assert "hidden" in reasons[".DS_Store"]
    assert "macOS" in reasons["resized/._Claude_Monet_1.jpg"]
    assert "macOS" in reasons["__MACOSX/resized/Claude_Monet_1.jpg"]
    assert "not an image suffix" in reasons["resized/notes.txt"]
    assert "not in artists.csv" in reasons["resized/Unknown_Painter_1.jpg"]
    assert "no usable row" in reasons["resized/Nobody_Genre_1.jpg"]
    assert "duplicate row" in reasons["artists.csv:3"]
    assert "empty genre" in reasons["artists.csv:4"]
    assert any("Painter Without Images" in r and "no image" in r for r in report["reason"])
    assert len(report) == 9
    assert list(report.columns) == ["stage", "file", "reason"]


def test_fail_mode_names_the_file():
    parts, raw = _bad_case()
    with pytest.raises(BadInputError, match=r"\.DS_Store"):
        scan_image_files(parts, FAIL)
    with pytest.raises(BadInputError, match=r"artists\.csv:3.*duplicate"):
        clean_artists(raw, FAIL)


def test_missing_required_column_is_named():
    with pytest.raises(ValueError, match=r"\['genre'\]"):
        clean_artists(pd.DataFrame({"name": ["A"], "genres": ["B"]}), SKIP)


def test_csv_with_bom_crlf_spaces_and_extra_columns(tmp_path):
    csv = tmp_path / "artists.csv"
    csv.write_bytes(
        "\ufeffid,name,genre,extra\r\n0,Claude Monet, Impressionism , x\r\n"
        '1,Gustav Klimt,"Symbolism , Art Nouveau",y\r\n'.encode()
    )
    from art_genre.datasets import OptionalCSVDataset

    raw = OptionalCSVDataset(
        filepath=str(csv), load_args={"encoding": "utf-8-sig", "skipinitialspace": True}
    ).load()
    artists, issues = clean_artists(raw, SKIP)
    assert issues.empty
    assert artists["genres"].tolist() == [["Impressionism"], ["Symbolism", "Art Nouveau"]]


def test_missing_artists_csv_loads_empty(tmp_path):
    from art_genre.datasets import OptionalCSVDataset

    raw = OptionalCSVDataset(filepath=str(tmp_path / "artists.csv")).load()
    artists, issues = clean_artists(raw, SKIP)
    assert artists.empty and issues.empty


def _write_bad_images(folder: Path) -> None:
    folder.mkdir(parents=True)
    Image.new("RGB", (16, 12), "red").save(folder / "Claude_Monet_1.jpg")
    (folder / "Claude_Monet_2.jpg").write_bytes(b"")
    (folder / "Claude_Monet_3.jpg").write_text("this is not a JPEG")
    good = (folder / "Claude_Monet_1.jpg").read_bytes()
    (folder / "Claude_Monet_4.jpg").write_bytes(good[: len(good) // 2])


def test_unreadable_images_are_listed_with_pillows_reason(tmp_path):
    _write_bad_images(tmp_path / "resized")
    (tmp_path / "artists.csv").write_text("name,genre\nClaude Monet,Impressionism\n")
    parts = _partitions(tmp_path)
    raw = pd.read_csv(tmp_path / "artists.csv")
    files, _ = scan_image_files(parts, SKIP)
    artists, _ = clean_artists(raw, SKIP)
    labelled, _ = label_images(files, artists, raw, SKIP)
    verified, issues = verify_images(parts, labelled, SKIP)
    assert verified["image_id"].tolist() == ["resized/Claude_Monet_1.jpg"]
    assert (verified[["width", "height", "mode"]].iloc[0] == [16, 12, "RGB"]).all()
    assert sorted(issues["file"]) == [f"resized/Claude_Monet_{i}.jpg" for i in (2, 3, 4)]
    assert issues["reason"].str.startswith("unreadable image").all()
    with pytest.raises(BadInputError, match="Claude_Monet_2.jpg"):
        verify_images(parts, labelled, FAIL)


def test_decompression_bomb_is_listed_not_decoded(tmp_path, monkeypatch):
    folder = tmp_path / "resized"
    folder.mkdir()
    Image.new("L", (64, 64)).save(folder / "Claude_Monet_1.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64 * 64 // 2 + 1)  # above 1x, below 2x
    parts = _partitions(tmp_path)
    labelled = pd.DataFrame(
        {"image_id": ["resized/Claude_Monet_1.png"], "artist": ["A"], "genres": [["G"]]}
    )
    verified, issues = verify_images(parts, labelled, SKIP)
    assert verified.empty
    assert "DecompressionBomb" in issues["reason"].iloc[0]


def test_no_usable_image_is_one_clear_error():
    with pytest.raises(ValueError, match="No usable image"):
        scan_image_files(_loaders(["artists.csv", "notes.txt"]), SKIP)


# ---------------------------------------------------------------------------- splits


def _labelled(n_artists: int = 10, per_artist: int = 10) -> pd.DataFrame:
    rows = []
    for a in range(n_artists):
        genres = [f"G{a % 4}"] + ([f"G{(a + 1) % 4}"] if a % 3 == 0 else [])
        rows += [(f"img_{a}_{i}", f"Artist {a}", genres) for i in range(per_artist)]
    return pd.DataFrame(rows, columns=["image_id", "artist", "genres"])


def test_random_split_reproduces_the_study_test_set():
    from sklearn.model_selection import train_test_split

    labelled = _labelled()
    names = assign_splits(labelled, SplitParams(test_size=0.2, val_size=0.1, random_state=42))
    _, study_test = train_test_split(np.arange(len(labelled)), test_size=0.2, random_state=42)
    assert set(np.flatnonzero(names == "test")) == set(study_test)
    assert (names == "val").sum() == 10 and (names == "train").sum() == 70


def test_split_is_deterministic_and_seed_dependent():
    labelled = _labelled()
    a = assign_splits(labelled, SplitParams())
    assert (a == assign_splits(labelled, SplitParams())).all()
    assert (a != assign_splits(labelled, SplitParams(random_state=7))).any()


def test_artist_split_keeps_every_artist_on_one_side():
    labelled = _labelled()
    names = assign_splits(labelled, SplitParams(strategy="artist"))
    sides = pd.DataFrame({"artist": labelled["artist"], "split": names}).groupby("artist")["split"]
    assert (sides.nunique() == 1).all()
    assert set(names) == {"train", "val", "test"}


def test_artist_split_reports_genres_missing_from_training():
    labelled = _labelled(n_artists=6, per_artist=3)
    labelled["genres"] = [[f"Only{a}"] for a in labelled["artist"]]
    labelled[["width", "height", "mode"]] = [8, 8, "RGB"]
    index, _, summary = split_paintings(
        labelled, DataProcessingParams(split=SplitParams(strategy="artist"))
    )
    in_train = set(index.loc[index["split"] == "train", "genres"])
    assert summary["genres_missing_from_train"]
    assert not in_train & set(summary["genres_missing_from_train"])


def test_stratified_split_keeps_genre_shares():
    labelled = _labelled(n_artists=8, per_artist=20)
    names = assign_splits(labelled, SplitParams(strategy="stratified", test_size=0.25))
    strata = labelled["genres"].map("|".join)
    test_share = pd.Series(names == "test").groupby(strata.to_numpy()).mean()
    assert np.allclose(test_share, 0.25, atol=0.06)


def test_split_that_leaves_a_set_empty_names_the_parameter():
    with pytest.raises(ValueError, match=r"split\.val_size"):
        assign_splits(_labelled(n_artists=1, per_artist=2), SplitParams(val_size=0.05))


def test_artist_split_on_folders_layout_is_refused_up_front():
    params = DataProcessingParams(split=SplitParams(strategy="artist"))
    with pytest.raises(ValueError, match="split.strategy=artist"):
        scan_image_files(_loaders(["images/Baroque/1.jpg"]), params)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"split": {"test_size": 0.6, "val_size": 0.5}}, "must be below 1"),
        ({"split": {"test_size": 0}}, "greater than 0"),
        ({"split": {"strategy": "by_year"}}, "random"),
        ({"layout": "zip"}, "auto"),
        ({"on_bad_input": "ignore"}, "skip"),
        ({"image_suffixes": []}, "at least 1"),
    ],
)
def test_bad_parameters_fail_validation(settings, match):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=match):
        DataProcessingParams.model_validate(settings)


LATIN1_DURER = b"resized/Albrecht_D\xfcrer_1.jpg".decode("utf-8", "surrogateescape")


def test_a_name_that_is_not_utf8_is_listed_escaped_and_the_rest_proceeds(tmp_path):
    from art_genre.datasets import AtomicCSVDataset

    parts = _loaders(["resized/Claude_Monet_1.jpg", LATIN1_DURER])
    files, issues = scan_image_files(parts, SKIP)
    assert list(files["image_id"]) == ["resized/Claude_Monet_1.jpg"]
    assert list(issues["file"]) == ["resized/Albrecht_D\\xfcrer_1.jpg"]
    assert "not valid UTF-8" in issues["reason"].iloc[0]
    report = build_data_quality_report(issues)
    target = AtomicCSVDataset(filepath=str(tmp_path / "report.csv"), save_args={"index": False})
    target.save(report)  # writable: no UnicodeEncodeError
    assert "Albrecht_D\\xfcrer_1.jpg" in (tmp_path / "report.csv").read_text()
    with pytest.raises(BadInputError, match=r"Albrecht_D\\xfcrer_1\.jpg: file name is not"):
        scan_image_files(parts, FAIL)


def test_csv_artists_without_images_are_one_log_line_and_one_row_each(caplog):
    parts, raw = _bad_case()
    raw = pd.concat([raw, _artists(("Second Absent", "Cubism"), ("Third Absent", "Baroque"))],
                    ignore_index=True)
    files, _ = scan_image_files(parts, SKIP)
    artists, _ = clean_artists(raw, SKIP)
    with caplog.at_level(logging.WARNING):
        _, label_issues = label_images(files, artists, raw, SKIP)
    absent = [r for r in label_issues["reason"] if "has no image" in r]
    assert len(absent) == 3  # every one listed in the data-quality report
    lines = [r.getMessage() for r in caplog.records if "no image" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("3 artist(s) of artists.csv have no image")
