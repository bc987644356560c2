"""``predict`` after a full run: new folders, bad files, mismatched artefacts, the real check."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.conftest import copy_project, run_kedro


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A throw-away project after one full training run (env test)."""
    project = copy_project(tmp_path_factory.mktemp("predict") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        run_kedro(project)
    return project


@pytest.fixture
def in_project(trained, monkeypatch):
    monkeypatch.chdir(trained)
    return trained


def _predict(project, folder, model="adam", **params):
    run_kedro(project, "predict", {"predict_dir": str(folder), "predict_model": model, **params})
    return pd.read_csv(project / "data/07_model_output/predictions.csv", keep_default_na=False)


def test_predicting_the_test_split_reproduces_the_reported_figures(in_project, tmp_path):
    """Copies of the test images, nested anyhow, get the labels the report scored."""
    index = pd.read_csv(in_project / "data/03_primary/painting_index.csv", keep_default_na=False)
    test = index[index["split"] == "test"]
    folder = tmp_path / "new"
    for n, image_id in enumerate(test["image_id"]):
        target = folder / ("deep/er" if n % 2 else "") / image_id.split("/")[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(in_project / "data/01_raw/sample" / image_id, target)
    metrics = json.loads((in_project / "data/08_reporting/metrics.json").read_text())
    for model in ("snn", "adam", "bnn"):
        table = _predict(in_project, folder, model)
        assert len(table) == len(test) and (table["error"] == "").all()
        truth = dict(zip(test["image_id"].str.split("/").str[-1], test["genres"], strict=True))
        hits = [
            row.genre_1 in truth[row.file.split("/")[-1]].split("|")
            for row in table.itertuples()
        ]
        reported = _any_match(metrics, model)
        assert sum(hits) / len(hits) == pytest.approx(reported, abs=1e-6)


def _any_match(metrics: dict, model: str) -> float:
    """The test any-match accuracy the reporting pipeline wrote."""
    return metrics[model]["test"]["any_match_accuracy"]


def test_unreadable_and_stray_files_are_listed_not_fatal(in_project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(in_project / "data/01_raw/sample/resized/Rembrandt_1.jpg", folder / "good.JPG")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.png").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "readme.txt").write_text("hello")
    table = _predict(in_project, folder).set_index("file")
    assert table.loc["good.JPG", "error"] == "" and table.loc["good.JPG", "genre_1"]
    for bad in ("empty.jpg", "text.png", ".DS_Store", "readme.txt"):
        assert table.loc[bad, "error"], bad
        assert table.loc[bad, "genre_1"] == ""
    assert "top" not in table.columns and {"genre_3", "probability_3", "genres"} <= set(table.columns)


def test_an_unknown_model_is_refused_before_any_image_is_read(in_project, tmp_path):
    with pytest.raises(Exception, match="predict"):
        _predict(in_project, tmp_path, model="resnet")


def test_a_pca_from_other_backbone_settings_is_a_clear_error(in_project, tmp_path):
    settings_file = in_project / "data/06_models/backbone_settings.json"
    saved = settings_file.read_text()
    settings = json.loads(saved)
    settings["fingerprint"] = "0" * 16
    settings_file.write_text(json.dumps(settings))
    try:
        with pytest.raises(Exception, match="rerun feature_engineering"):
            _predict(in_project, tmp_path)
    finally:
        settings_file.write_text(saved)


def test_explain_writes_one_overlay_per_painting_named_in_the_table(in_project, tmp_path):
    """predict.explain: an overlay PNG per readable painting; predictions unchanged."""
    from PIL import Image

    index = pd.read_csv(in_project / "data/03_primary/painting_index.csv", keep_default_na=False)
    folder = tmp_path / "new"
    for n, image_id in enumerate(index["image_id"][:3]):
        target = folder / ("nested" if n else "") / image_id.split("/")[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(in_project / "data/01_raw/sample" / image_id, target)
    (folder / "broken.jpg").write_bytes(b"not an image")
    plain = _predict(in_project, folder)
    assert "explanation" not in plain
    explain = {"predict": {"explain": True, "explain_top_k": 2, "overlay_height": 128}}
    table = _predict(in_project, folder, **explain)
    columns = [c for c in plain.columns if c != "error"]  # (errors name an object address)
    pd.testing.assert_frame_equal(table[columns], plain[columns])  # maps change no prediction
    out = in_project / "data/07_model_output"
    readable = table[table["error"] == ""]
    assert len(readable) == 3
    assert table.loc[table["error"] != "", "explanation"].tolist() == [""]
    for row in readable.itertuples():
        assert row.explanation == f"explanations/{row.file}.png"
        with Image.open(out / row.explanation) as overlay:
            assert overlay.format == "PNG" and overlay.height == 26 + 128
            assert overlay.width > 3 * 64  # the painting and two maps side by side
    assert len(list((out / "explanations").rglob("*.png"))) == 3
    _predict(in_project, folder)  # explain off again: no stale overlays are left
    assert not list((out / "explanations").rglob("*.png"))
