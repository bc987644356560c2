"""Predictions a person can act on (issue 21): one rule shown on every row, calibrated
probabilities, overlays of what was assigned, its own manifest, small images, the page."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.special import expit, logit

from tests.conftest import copy_trained, run_kedro
from tests.test_kedro_viz import browser  # noqa: F401 - the fixture: headless Chromium

pytestmark = pytest.mark.slow

OUT = "data/07_model_output"


@pytest.fixture(scope="module")
def project(trained_sample, tmp_path_factory):
    return copy_trained(trained_sample, tmp_path_factory.mktemp("actionable") / "project")


@pytest.fixture(scope="module")
def folder(project, tmp_path_factory):
    """Copies of the sample's test paintings, a 1 x 1 and a 20 x 40 image, a broken file."""
    index = pd.read_csv(project / "data/03_primary/painting_index.csv", keep_default_na=False)
    new = tmp_path_factory.mktemp("new")
    for image_id in index.loc[index["split"] == "test", "image_id"]:
        shutil.copy(project / "data/01_raw/sample" / image_id, new / image_id.split("/")[-1])
    Image.new("RGB", (1, 1), (200, 30, 30)).save(new / "dot.png")
    Image.new("RGB", (20, 40), (30, 30, 200)).save(new / "strip.png")
    (new / "broken.jpg").write_bytes(b"not an image")
    return new


def _predict(project, folder, monkeypatch, **params):
    monkeypatch.chdir(project)
    run_kedro(project, "predict", {  # top_k above the genre count: every genre listed
        "predict_dir": str(folder), "predict_model": "adam",
        "predict": {"top_k": 99, **params}})
    table = pd.read_csv(project / OUT / "predictions.csv", keep_default_na=False)
    rule = json.loads((project / OUT / "predictions_rule.json").read_text())
    return table, rule


def _obeys_the_rule(table: pd.DataFrame, rule: dict) -> None:
    """Every genre of every row: assigned exactly when p >= its threshold, and ``genres``
    lists exactly the assigned ones (top_k covers every genre)."""
    k = len(rule["genres"])
    for row in table[table["error"] == ""].itertuples():
        assigned = set()
        for n in range(1, k + 1):
            genre, p = getattr(row, f"genre_{n}"), float(getattr(row, f"probability_{n}"))
            threshold = float(getattr(row, f"threshold_{n}"))
            assert threshold == rule["genres"][genre]["threshold"]
            decision = str(getattr(row, f"assigned_{n}")) == "True"
            if abs(p - threshold) > 1e-6:  # (rounded to 6 decimals)
                assert decision == (p >= threshold), (row.file, genre)
            if decision:
                assigned.add(genre)
        assert set(filter(None, row.genres.split("|"))) == assigned, row.file


def test_every_row_obeys_the_one_rule_and_the_sidecar_names_it(project, folder, monkeypatch):
    table, rule = _predict(project, folder, monkeypatch)
    _obeys_the_rule(table, rule)
    assert rule["model"] == "adam" and len(rule["model_hash"]) == 64
    # the reporting pipeline fitted adam's temperature on validation: predict applies it
    calibration = json.loads((project / "data/06_models/adam_calibration.json").read_text())
    assert rule["temperature"] == calibration["temperature"] != 1.0
    assert rule["calibrated"] is True
    assert rule["training_run"]["env"] == "test"
    latest = sorted((project / "data/06_models/adam_thresholds.json").glob("*/*.json"))[-1]
    bound = json.loads(latest.read_text())
    for genre, cut in bound["thresholds"].items():
        assert rule["genres"][genre]["threshold_logit"] == cut["logit"]


def test_a_calibration_changes_the_probabilities_not_the_decisions(
        project, folder, monkeypatch):
    calibration = project / "data/06_models/adam_calibration.json"
    fitted = calibration.read_bytes()  # the temperature reporting fitted
    try:
        calibration.unlink()  # no calibration: temperature 1
        plain, plain_rule = _predict(project, folder, monkeypatch)
        calibration.write_text(json.dumps({"temperature": 2.0}))
        calibrated, rule = _predict(project, folder, monkeypatch)
    finally:
        calibration.write_bytes(fitted)
    assert plain_rule["temperature"] == 1.0 and plain_rule["calibrated"] is False
    assert rule["temperature"] == 2.0 and rule["calibrated"] is True
    _obeys_the_rule(calibrated, rule)
    decided = ["file", "genres"] + [c for c in plain if c.startswith(("genre_", "assigned_"))]
    pd.testing.assert_frame_equal(calibrated[decided], plain[decided])
    readable = plain["error"] == ""
    p = plain.loc[readable, "probability_1"].astype(float).clip(1e-6, 1 - 1e-6)
    expected = expit(logit(p) / 2.0)
    observed = calibrated.loc[readable, "probability_1"].astype(float)
    np.testing.assert_allclose(observed, expected, atol=2e-3)  # (from 6-decimal inputs)


def test_predict_writes_its_own_manifest_and_never_the_training_one(
        project, folder, monkeypatch):
    training = project / "data/08_reporting/run_manifest.json"
    before = hashlib.sha256(training.read_bytes()).hexdigest()
    _predict(project, folder, monkeypatch)
    assert hashlib.sha256(training.read_bytes()).hexdigest() == before
    manifest = json.loads((project / OUT / "predict_manifest.json").read_text())
    assert manifest["pipelines"] == ["predict"]
    assert manifest["runtime_params"]["predict_model"] == "adam"


def test_an_image_under_32_px_is_predicted_with_a_warning(project, folder, monkeypatch):
    table, _ = _predict(project, folder, monkeypatch)
    rows = table.set_index("file")
    for tiny, size in (("dot.png", "1x1"), ("strip.png", "20x40")):
        assert rows.loc[tiny, "error"] == "" and rows.loc[tiny, "genre_1"]
        assert f"{size} px, under 32 px" in rows.loc[tiny, "warning"]
    others = table[~table["file"].isin(["dot.png", "strip.png"])]
    assert (others["warning"] == "").all()
    assert rows.loc["broken.jpg", "error"]


def test_overlays_map_the_assigned_genres_and_a_top_genre_left_out(
        project, folder, monkeypatch):
    table, rule = _predict(project, folder, monkeypatch, explain=True, overlay_height=96)
    out = project / OUT
    for row in table[table["error"] == ""].itertuples():
        assigned = [g for g in row.genres.split("|") if g]
        maps = len(assigned) + (row.assigned_1 != "True")
        with Image.open(out / row.explanation) as overlay:
            panel = (overlay.width - 6 * maps) / (maps + 1)
            assert panel == int(panel) and 48 <= panel <= 192, row.file  # 1 + maps panels
            note = 16 if row.assigned_1 != "True" else 0
            assert overlay.height == 26 + 96 + 18 + note + 18


def test_the_page_opens_in_a_browser_and_shows_every_image(
        project, folder, monkeypatch, browser):  # noqa: F811
    table, rule = _predict(project, folder, monkeypatch, explain=True, overlay_height=96)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: console.append(str(error)))
    page.goto((project / OUT / "predictions.html").as_uri())
    page.wait_for_load_state("load")
    assert console == []
    readable = table[table["error"] == ""]
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.className, i.complete && i.naturalWidth > 0])")
    assert len(images) == 2 * len(readable)  # a thumbnail and an overlay per painting
    assert all(shown for _, shown in images)
    assert "broken.jpg" in page.inner_text("body")  # the file not read, and why
    genre = readable["genres"].str.split("|").explode().replace("", np.nan).dropna().iloc[0]
    page.select_option("#genre", genre)
    given = readable["genres"].str.split("|").map(lambda g, genre=genre: genre in g).sum()
    assert page.inner_text("#shown") == str(given)
    assert page.locator(".card:visible").count() == given
    page.select_option("#genre", "flag:warning")  # the two tiny images
    assert sorted(page.locator(".card:visible b").all_inner_texts()) == ["dot.png", "strip.png"]
    page.select_option("#genre", "flag:top-not-assigned")
    assert page.inner_text("#shown") == str((readable["assigned_1"] != "True").sum())
    page.close()
