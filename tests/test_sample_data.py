"""The committed synthetic sample (``data/01_raw/sample``) and its generator."""

from __future__ import annotations

import csv
import importlib.util
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

pytestmark = pytest.mark.slow  # regenerates the sample and fits a classifier on it

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_sample.py"
SAMPLE = ROOT / "data" / "01_raw" / "sample"
REAL_CSV = ROOT.parent / "shared" / "data" / "best-artworks" / "artists.csv"
MAX_TOTAL_BYTES = 1_500_000


def _load_generator():
    """Import ``scripts/make_sample.py`` by path (``scripts`` is no package)."""
    spec = importlib.util.spec_from_file_location("make_sample_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    return _load_generator()


def _files(root: Path) -> dict[str, bytes]:
    """Relative POSIX path -> bytes for every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------ committed sample


def test_committed_sample_matches_generator(gen, tmp_path):
    assert SAMPLE.is_dir(), "run: python scripts/make_sample.py"
    gen.make_sample(tmp_path, seed=gen.DEFAULT_SEED, layout="resized")
    committed, fresh = _files(SAMPLE), _files(tmp_path)
    assert sorted(committed) == sorted(fresh), (
        "regenerate: python scripts/make_sample.py"
    )
    stale = [name for name in fresh if committed[name] != fresh[name]]
    assert not stale, f"regenerate: python scripts/make_sample.py ({stale[:3]})"


def test_generator_is_deterministic(gen, tmp_path):
    a = gen.make_sample(tmp_path / "a", seed=7, layout="images", images_per_artist=2)
    b = gen.make_sample(tmp_path / "b", seed=7, layout="images", images_per_artist=2)
    assert a["per_class"] == b["per_class"]
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    c = gen.make_sample(tmp_path / "c", seed=8, layout="images", images_per_artist=2)
    assert c["bytes"] != a["bytes"] or _files(tmp_path / "c") != _files(tmp_path / "a")


def test_csv_format_and_counts():
    raw = (SAMPLE / "artists.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert raw.decode("utf-8").splitlines()[0] == (
        "id,name,years,genre,nationality,bio,wikipedia,paintings"
    )
    rows = _read_csv(SAMPLE / "artists.csv")
    assert 8 <= len(rows) <= 12
    images = sorted((SAMPLE / "resized").iterdir())
    assert len(images) == sum(int(r["paintings"]) for r in rows)
    counts = [int(r["paintings"]) for r in rows]
    assert max(counts) > min(counts), "classes should be imbalanced"
    for row in rows:
        stem = unicodedata.normalize("NFD", row["name"].replace(" ", "_"))
        names = {p.name for p in images if p.name.rsplit("_", 1)[0] == stem}
        expected = {f"{stem}_{n}.jpg" for n in range(1, int(row["paintings"]) + 1)}
        assert names == expected, row["name"]
    kandinskiy = next(r for r in rows if r["name"] == "Vasiliy Kandinskiy")
    assert kandinskiy["genre"] == "Expressionism,Abstractionism"
    assert b'"Expressionism,Abstractionism"' in raw


def test_durer_unicode_mismatch():
    rows = _read_csv(SAMPLE / "artists.csv")
    durer = next(r["name"] for r in rows if r["name"].startswith("Albrecht"))
    assert durer == unicodedata.normalize("NFC", durer) == "Albrecht D\u00fcrer"
    files = [
        p.name for p in (SAMPLE / "resized").iterdir() if p.name.startswith("Albrecht")
    ]
    assert files
    for name in files:
        assert name.startswith("Albrecht_Du\u0308rer_")  # decomposed u + diaeresis
        assert name != unicodedata.normalize("NFC", name)
        assert unicodedata.normalize("NFC", name).startswith("Albrecht_D\u00fcrer_")


def test_images_are_small_rgb_jpegs(gen):
    images = sorted((SAMPLE / "resized").iterdir())
    sides = []
    for path in images:
        with Image.open(path) as img:
            assert img.format == "JPEG" and img.mode == "RGB"
            assert "exif" not in img.info
            sides.append(img.size)
    sides = np.asarray(sides)
    assert sides.min() >= gen.MIN_SIDE and sides.max() <= gen.MAX_SIDE
    assert (sides[:, 0] > sides[:, 1]).any() and (sides[:, 0] < sides[:, 1]).any()
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < MAX_TOTAL_BYTES


@pytest.mark.real_data
@pytest.mark.skipif(not REAL_CSV.is_file(), reason="real Kaggle artists.csv absent")
def test_rows_match_real_kaggle_csv():
    real = {r["name"]: r for r in _read_csv(REAL_CSV)}
    for row in _read_csv(SAMPLE / "artists.csv"):
        for column in ("id", "name", "years", "genre", "nationality", "wikipedia"):
            assert row[column] == real[row["name"]][column], (row["name"], column)


# ------------------------------------------------------------------------- layouts


def test_layout_resized(gen, tmp_path):
    summary = gen.make_sample(tmp_path, layout="resized", images_per_artist=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artists.csv", "resized"]
    files = list((tmp_path / "resized").iterdir())
    assert all(p.is_file() and p.suffix == ".jpg" for p in files)
    assert len(files) == summary["images"] == 2 * summary["artists"]
    assert {int(r["paintings"]) for r in _read_csv(tmp_path / "artists.csv")} == {2}


def test_layout_images(gen, tmp_path):
    summary = gen.make_sample(tmp_path, layout="images", images_per_artist=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artists.csv", "images"]
    rows = _read_csv(tmp_path / "artists.csv")
    folders = {p.name for p in (tmp_path / "images").iterdir()}
    stems = {unicodedata.normalize("NFD", r["name"].replace(" ", "_")) for r in rows}
    assert folders == stems
    for stem in stems:
        names = sorted(p.name for p in (tmp_path / "images" / stem).iterdir())
        assert names == [f"{stem}_1.jpg", f"{stem}_2.jpg"]
    assert summary["images"] == 2 * len(rows)


def test_layout_folders(gen, tmp_path):
    summary = gen.make_sample(tmp_path, layout="folders", images_per_artist=3)
    assert [p.name for p in tmp_path.iterdir()] == ["images"]
    folders = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert folders == sorted(g.replace(" ", "_") for g in gen.GENRE_STYLES)
    assert "Art_Nouveau" in folders and "Post-Impressionism" in folders
    for folder in folders:
        names = sorted(p.name for p in (tmp_path / "images" / folder).iterdir())
        assert names == ["1.jpg", "2.jpg", "3.jpg"]
    assert summary["artists"] == 0 and summary["images"] == 3 * len(folders)


def test_stale_files_removed_and_others_kept(gen, tmp_path):
    (tmp_path / "resized").mkdir()
    (tmp_path / "resized" / "Old_Artist_1.jpg").write_bytes(b"stale")
    (tmp_path / "images").mkdir()
    (tmp_path / "notes.txt").write_text("keep me")
    gen.make_sample(tmp_path, layout="resized", images_per_artist=1)
    assert not (tmp_path / "resized" / "Old_Artist_1.jpg").exists()
    assert not (tmp_path / "images").exists()
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_unknown_layout_rejected(gen, tmp_path):
    with pytest.raises(ValueError, match="layout"):
        gen.make_sample(tmp_path, layout="nested")


# --------------------------------------------------------------------- learnability


def _colour_histogram(path: Path, bins: int = 4) -> np.ndarray:
    """Joint RGB histogram plus per-channel mean and spread (normalised)."""
    with Image.open(path) as img:
        pixels = np.asarray(img.convert("RGB"), dtype=np.float64).reshape(-1, 3)
    hist, _ = np.histogramdd(pixels, bins=bins, range=[(0, 256)] * 3)
    hist = hist.ravel() / len(pixels)
    return np.concatenate([hist, pixels.mean(0) / 255, pixels.std(0) / 255])


def test_genres_are_learnable_from_colour_histograms():
    genre_of = {
        unicodedata.normalize("NFD", r["name"].replace(" ", "_")): r["genre"].split(
            ","
        )[0]
        for r in _read_csv(SAMPLE / "artists.csv")
    }
    paths = sorted((SAMPLE / "resized").iterdir())
    x = np.stack([_colour_histogram(p) for p in paths])
    y = np.asarray([genre_of[p.name.rsplit("_", 1)[0]] for p in paths])
    model = LogisticRegression(C=10.0, max_iter=2000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    accuracy = cross_val_score(model, x, y, cv=folds).mean()
    chance = 1 / len(set(y))
    assert accuracy > 0.6, f"accuracy {accuracy:.2f} (chance {chance:.2f})"
