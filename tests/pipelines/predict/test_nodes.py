"""predict's nodes without a trained project: which files are used, which are listed."""

from __future__ import annotations

import io

import pytest

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


def _big_jpeg(path):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (1000, 1200, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("draft", [None, (224, 224)])
def test_the_views_leave_the_features_decoding_as_it_was(tmp_path, draft):
    """Size and thumbnail are kept from the one decoding; the features see the same
    pixels as without them (with jpeg_draft, the same drafted decoding)."""
    import numpy as np
    from PIL import Image

    from art_genre.features.images import to_model_input
    from art_genre.pipelines.predict.nodes import THUMBNAIL_SIDE, _keeping_views

    path = _big_jpeg(tmp_path / "big.jpg")
    views: dict = {}
    load = _keeping_views("big.jpg", lambda: Image.open(path), views, PredictParams(), draft)
    kept = to_model_input(load(), draft=draft is not None)
    plain = to_model_input(Image.open(path), draft=draft is not None)
    np.testing.assert_array_equal(kept, plain)
    assert views["big.jpg"]["sizes"] == (1200, 1000)
    with Image.open(io.BytesIO(views["big.jpg"]["thumbnails"])) as thumbnail:
        assert max(thumbnail.size) == THUMBNAIL_SIDE and thumbnail.format == "JPEG"
