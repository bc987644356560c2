"""predict's nodes without a trained project: which files are used, which are listed."""

from __future__ import annotations

from art_genre.pipelines.predict.nodes import _image_items
from art_genre.pipelines.predict.params import PredictParams
from art_genre.quality import IssueLog


def test_a_name_that_is_not_utf8_is_listed_escaped_and_the_good_files_are_used():
    latin1 = b"Albrecht_D\xfcrer_1.jpg".decode("utf-8", "surrogateescape")
    folder = {name: (lambda: None) for name in ("a.jpg", latin1, "b.png", ".DS_Store")}
    issues = IssueLog("predict", "skip")
    items = _image_items(folder, PredictParams(), issues)
    assert [name for name, _ in items] == ["a.jpg", "b.png"]
    listed = dict(zip(issues.to_frame()["file"], issues.to_frame()["reason"], strict=True))
    assert "not valid UTF-8" in listed["Albrecht_D\\xfcrer_1.jpg"]
    assert "hidden" in listed[".DS_Store"]
    issues.to_frame().to_csv(index=False).encode("utf-8")  # writable as predictions.csv
