"""predictions.html without a run: escaping, cards, flags, files not read."""

from __future__ import annotations

import io
import json

import pandas as pd
from PIL import Image

from art_genre.pipelines.predict.page import NONE_ASSIGNED, build_predictions_page

RULE = {
    "rule": "p >= threshold", "model": "adam", "model_hash": "ab" * 32,
    "model_file": "data/06_models/adam.npz", "temperature": 1.5, "calibrated": True,
    "training_run": {"session_id": "s1", "env": "improved"},
    "genres": {"Baroque": {"threshold": 0.4}, "Cubism": {"threshold": 0.95}},
}


def _table() -> pd.DataFrame:
    rows = [
        ["<b>&'x.jpg", "adam", "Cubism", 0.97, 0.95, True, "Baroque", 0.5, 0.4, True,
         "Cubism|Baroque", "", ""],
        ["dot.png", "adam", "Cubism", 0.9, 0.95, False, "Baroque", 0.1, 0.4, False,
         "", "image is 1x1 px, under 32 px on a side: the prediction is unreliable", ""],
        ["notes.jpg", "adam", *[""] * 8, "", "", "cannot identify image file"],
    ]
    columns = ["file", "model", "genre_1", "probability_1", "threshold_1", "assigned_1",
               "genre_2", "probability_2", "threshold_2", "assigned_2", "genres", "warning",
               "error"]
    return pd.DataFrame(rows, columns=columns)


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_the_page_escapes_names_and_shows_every_decision_and_failure():
    page = build_predictions_page(_table(), RULE, {"thumbnails": {"dot.png": _jpeg()}})
    assert "<b>&'x.jpg" not in page and "&lt;b&gt;&amp;&#x27;x.jpg" in page
    assert page.count('class="card"') == 2 and page.count("data:image/jpeg;base64,") == 1
    assert "2 paintings, 1 file not read" in page
    assert "temperature 1.5" in page and "session_id s1" in page
    assert "cannot identify image file" in page and "under 32 px" in page
    cards = page.split('class="card"')[1:]
    assert json.dumps(["Cubism", "Baroque"]).replace('"', "&quot;") in cards[0]
    assert json.dumps([NONE_ASSIGNED]).replace('"', "&quot;") in cards[1]
    assert "top-not-assigned" in cards[1] and "warning" in cards[1].split(">")[0]
    assert "<img class=\"overlay\"" not in page  # no explain: no overlay


def test_overlay_links_are_url_quoted():
    table = _table().assign(explanation=["explanations/a #1.jpg.png", "", ""])
    page = build_predictions_page(table, RULE, {})
    assert 'src="explanations/a%20%231.jpg.png"' in page
