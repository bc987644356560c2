"""A corpus of bad inputs, generated here, through data_processing and feature_engineering.

Each case is one test: a usable image is used (converted to RGB), an unusable one is
skipped and listed with its reason in the data-quality report, and ``on_bad_input=fail``
stops the run naming the file. Also: a run killed during feature extraction loses nothing,
and a diverging model is never saved.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from art_genre.datasets import ArrayBundleDataset
from tests.conftest import copy_project, run_kedro

pytestmark = pytest.mark.slow  # whole pipeline runs on broken inputs

RNG = np.random.default_rng(0)


def _rgb(size=(40, 30)) -> Image.Image:
    return Image.fromarray(RNG.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def _jpeg(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **kwargs)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _gif() -> bytes:
    frames = [Image.new("P", (32, 24), i) for i in (10, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0)
    return buffer.getvalue()


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    return _jpeg(_rgb((48, 24)), exif=exif)


def _bomb() -> bytes:
    """A tiny PNG whose header claims more than twice Pillow's pixel limit."""
    side = int((2 * Image.MAX_IMAGE_PIXELS) ** 0.5) + 10
    return _png(Image.new("1", (side, side)))


NFD_DURER = unicodedata.normalize("NFD", "Albrecht_Dürer")

# file (relative to the data folder) -> (bytes maker, expected: "used" or a reason fragment)
CASES = {
    "resized/Claude_Monet_1.jpg": (lambda: _jpeg(_rgb()), "used"),
    "resized/Claude_Monet_2.jpg": (lambda: b"", "unreadable image (empty file (0 bytes))"),
    "resized/Claude_Monet_3.jpg": (lambda: _jpeg(_rgb((200, 200)))[:400], "unreadable image"),
    "resized/Claude_Monet_4.jpg": (lambda: b"this is a text file", "unreadable image"),
    "resized/Claude_Monet_5.png": (lambda: _png(_rgb().convert("RGBA")), "used"),
    "resized/Claude_Monet_6.png": (lambda: _png(_rgb().convert("P")), "used"),
    "resized/Claude_Monet_7.png": (
        lambda: _png(Image.fromarray(RNG.integers(0, 65535, (30, 40), dtype=np.uint16))),
        "used",
    ),
    "resized/Claude_Monet_8.jpg": (lambda: _jpeg(_rgb().convert("CMYK")), "used"),
    "resized/Claude_Monet_9.gif": (_gif, "used"),
    "resized/Claude_Monet_10.jpg": (_exif_rotated, "used"),
    "resized/Claude_Monet_11.png": (_bomb, "DecompressionBomb"),
    "resized/Claude_Monet_12.JPG": (lambda: _jpeg(_rgb()), "used"),
    f"resized/{NFD_DURER}_1.jpg": (lambda: _jpeg(_rgb()), "used"),
    "resized/extra/nested/Claude_Monet_13.jpeg": (lambda: _jpeg(_rgb()), "used"),
    ".DS_Store": (lambda: b"\0\0\0\1Bud1", "hidden file or macOS"),
    "resized/._Claude_Monet_1.jpg": (lambda: b"\0\5\26\7", "hidden file or macOS"),
    "__MACOSX/resized/._Claude_Monet_1.jpg": (lambda: b"\0\5\26\7", "hidden file or macOS"),
    "resized/Thumbs.db": (lambda: b"\0", "not an image suffix"),
    "resized/Nobody_Known_1.jpg": (lambda: _jpeg(_rgb()), "not in artists.csv"),
    "resized/Empty_Genre_1.jpg": (lambda: _jpeg(_rgb()), "no usable row"),
}

# UTF-8 with BOM, Windows line endings, spaces around genres, an extra column, a missing
# genre and a duplicate artist.
ARTISTS_CSV = (
    "\ufeffid,name,genre,nationality,extra\r\n"
    "0,Claude Monet, Impressionism ,French,x\r\n"
    '1,Gustav Klimt,"Symbolism , Art Nouveau",Austrian,y\r\n'
    "2,Vincent van Gogh,Post-Impressionism,Dutch,z\r\n"
    "3,Albrecht Dürer,Northern Renaissance,German,\r\n"
    "4,Empty Genre,,Nowhere,\r\n"
    "5,Claude Monet,Realism,French,duplicate\r\n"
)


def make_corpus(root: Path) -> None:
    """Write the bad-input corpus and enough good paintings for a split and a PCA."""
    for relative, (make, _) in CASES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
    for artist in ("Gustav_Klimt", "Vincent_van_Gogh", "Claude_Monet", NFD_DURER):
        for n in range(20, 30):
            (root / "resized" / f"{artist}_{n}.jpg").write_bytes(_jpeg(_rgb()))
    (root / "artists.csv").write_bytes(ARTISTS_CSV.encode("utf-8"))


PARAMS = {"feature_engineering": {"pca": {"n_components": 4}}}


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """data_processing + feature_engineering on the corpus (env test, skip mode)."""
    base = tmp_path_factory.mktemp("bad_inputs")
    corpus = base / "corpus"
    make_corpus(corpus)
    project = copy_project(base / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        params = {"data_dir": str(corpus), **PARAMS}
        run_kedro(project, "data_processing", params)
        run_kedro(project, "feature_engineering", params)
    report = pd.read_csv(project / "data/08_reporting/data_quality_report.csv")
    issues = pd.read_csv(project / "data/08_reporting/feature_issues.csv")
    features = ArrayBundleDataset(filepath=str(project / "data/04_feature/painting_features.npz")).load()
    return {
        "corpus": corpus,
        "project": project,
        "report": pd.concat([report, issues], ignore_index=True),
        "used": set(features["image_ids"]),
    }


@pytest.mark.parametrize("relative", sorted(CASES))
def test_each_bad_input_is_used_or_listed(corpus_run, relative):
    _, expected = CASES[relative]
    listed = corpus_run["report"].loc[corpus_run["report"]["file"] == relative, "reason"]
    if expected == "used":
        assert relative in corpus_run["used"], f"{relative} should have features"
        assert listed.empty, listed.tolist()
    else:
        assert relative not in corpus_run["used"]
        assert len(listed) == 1, f"{relative} should be listed once"
        assert expected in listed.iloc[0], listed.iloc[0]


def test_artists_csv_defects_are_listed_and_its_format_tolerated(corpus_run):
    report = corpus_run["report"]
    csv_rows = report[report["file"].str.startswith("artists.csv")]
    reasons = " | ".join(csv_rows["reason"])
    assert "duplicate row for artist 'Claude Monet'" in reasons
    assert "'Empty Genre' has an empty genre cell" in reasons
    index = pd.read_csv(corpus_run["project"] / "data/03_primary/painting_index.csv")
    genres = index.groupby("artist")["genres"].first()
    assert genres["Gustav Klimt"] == "Symbolism|Art Nouveau"  # spaces, CRLF, BOM
    assert genres["Claude Monet"] == "Impressionism"  # the first row wins
    assert genres["Albrecht Dürer"] == "Northern Renaissance"  # NFD file, NFC row


def test_no_message_shows_an_object_address(corpus_run):
    reasons = " ".join(corpus_run["report"]["reason"].astype(str))
    assert " object at 0x" not in reasons


def test_nothing_is_lost_silently(corpus_run):
    """Every file of the corpus is either used or listed."""
    files = {
        p.relative_to(corpus_run["corpus"]).as_posix()
        for p in corpus_run["corpus"].rglob("*")
        if p.is_file() and p.name != "artists.csv"
    }
    listed = set(corpus_run["report"]["file"])
    assert files == (corpus_run["used"] | listed) - {"artists.csv"} - {
        f for f in listed if f.startswith("artists.csv")
    }


def test_fail_mode_names_the_file(corpus_run, monkeypatch):
    monkeypatch.chdir(corpus_run["project"])
    params = {"data_dir": str(corpus_run["corpus"]), "data_processing": {"on_bad_input": "fail"}}
    with pytest.raises(Exception, match=r"(\.DS_Store|artists\.csv:\d+): .*on_bad_input: skip"):
        run_kedro(corpus_run["project"], "data_processing", params)


def test_a_missing_required_column_is_named(corpus_run, tmp_path, monkeypatch):
    folder = tmp_path / "no_genre_column"
    (folder / "resized").mkdir(parents=True)
    (folder / "resized" / "Claude_Monet_1.jpg").write_bytes(_jpeg(_rgb()))
    (folder / "artists.csv").write_text("name,style\nClaude Monet,Impressionism\n")
    monkeypatch.chdir(corpus_run["project"])
    with pytest.raises(Exception, match=r"lacks the required column\(s\) \['genre'\]"):
        run_kedro(corpus_run["project"], "data_processing", {"data_dir": str(folder)})


def test_a_diverging_model_is_never_saved(corpus_run, monkeypatch):
    project = corpus_run["project"]
    monkeypatch.chdir(project)
    params = {"data_dir": str(corpus_run["corpus"]), **PARAMS}
    run_kedro(project, "feature_engineering", params)
    diverging = {**params, "snn": {"model": {"optimizer": {"learning_rate": 1.0e12}}}}
    with pytest.raises(Exception, match=r"model 'snn'.*epoch 1"):
        run_kedro(project, "snn", diverging)
    assert not (project / "data/06_models/snn.npz").exists()


def test_a_run_killed_during_extraction_resumes_where_it_stopped(tmp_path, sample_generator):
    """SIGKILL a real `kedro run` mid-extraction; the rerun redoes only what is missing."""
    project = copy_project(tmp_path / "project")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    kedro = [sys.executable, "-m", "kedro", "run", "--env", "test"]
    subprocess.run([*kedro, "--pipelines", "data_processing"], cwd=project, env=env, check=True,
                   capture_output=True)
    small_batches = ["--params", "feature_engineering.backbone.batch_size=2"]
    cache = project / "data/04_feature/feature_cache"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [*kedro, "--pipelines", "feature_engineering", *small_batches],
        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list(cache.rglob("*.npz"))) < 5 and process.poll() is None:
        assert time.monotonic() < deadline, "no shard written in time"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = {p.name for p in cache.rglob("*.npz")}
    assert 5 <= len(finished) < 80, "the kill should land mid-extraction"
    rerun = subprocess.run([*kedro, "--pipelines", "feature_engineering", *small_batches],
                           cwd=project, env=env, check=True, capture_output=True, text=True)
    log = " ".join((rerun.stdout + rerun.stderr).split())
    cached = 2 * len(finished)
    assert f"{cached} of 160 images cached, {160 - cached} to extract" in log
    assert {p.name for p in cache.rglob("*.npz")} >= finished
    assert len(list(cache.rglob("*.npz"))) == 80
    features = ArrayBundleDataset(filepath=str(project / "data/04_feature/painting_features.npz")).load()
    assert len(features["image_ids"]) == 160
