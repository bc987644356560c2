"""The report's gallery: which paintings it picks, and the figure on a real (random) backbone."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from art_genre.features import BackboneSettings
from art_genre.modelling.classifier import GenreClassifier
from art_genre.pipelines.reporting import create_pipeline
from art_genre.pipelines.reporting.gallery import choose_gallery, explain_gallery
from tests.explain.helpers import GENRES, mlp

pytestmark = pytest.mark.slow  # builds a Keras backbone for the gallery

PROBA = np.array(
    [
        [0.9, 0.2, 0.1],  # right, genre 0, confident
        [0.8, 0.1, 0.3],  # right, genre 0
        [0.1, 0.7, 0.2],  # right, genre 1
        [0.2, 0.1, 0.95],  # wrong: truly genre 0
        [0.3, 0.6, 0.1],  # wrong: truly genres 0 and 2
    ]
)
Y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 1]])


def test_the_gallery_shows_confident_mistakes_and_varied_right_answers():
    chosen = choose_gallery(PROBA, Y, 4)
    assert chosen == [
        (0, True, [0, 1]),  # predicted genre, runner-up
        (2, True, [1, 2]),  # another genre before genre 0 repeats
        (3, False, [0, 2]),  # true genre, predicted genre
        (4, False, [0, 1]),  # of its true genres, the one the model found most probable
    ]


def test_without_mistakes_the_gallery_is_all_right_answers():
    assert [row for row, _, _ in choose_gallery(PROBA[:3], Y[:3], 6)] == [0, 2, 1]
    assert choose_gallery(PROBA[:0], Y[:0], 6) == []


def test_the_reporting_pipeline_draws_the_gallery():
    pipeline = create_pipeline()
    node = next(n for n in pipeline.nodes if n.name == "reporting.plot_cam_gallery")
    assert node.outputs == ["plot_cam_gallery"]
    assert {"painting_images", "backbone_settings", "pca", "adam.model"} <= set(node.inputs)


def test_the_gallery_figure_on_a_random_backbone():
    settings = BackboneSettings(name="mobilenet", weights=None, alpha=0.25, input_size=64)
    saved = {**settings.to_dict(), "fingerprint": settings.fingerprint()}
    rng = np.random.default_rng(0)
    features = rng.random((20, 256))
    scaler = StandardScaler(with_mean=False, with_std=False).fit(features)
    pca = PCA(n_components=5).fit(features)
    model = GenreClassifier("adam", mlp(5, 0), GENRES, settings.fingerprint(), 5)
    ids = [f"folder/painting_{i}.jpg" for i in range(5)]
    images = {
        i: (lambda n=n: Image.fromarray(rng.integers(0, 256, (60 + 10 * n, 80, 3), np.uint8)))
        for n, i in enumerate(ids)
    }
    logits = np.log(PROBA) - np.log1p(-PROBA)  # one seed, as predict_splits writes them
    predictions = {"adam": {"genres": GENRES, "seeds": [42],
                            "test": {"image_ids": ids, "logits": logits[None], "Y": Y}}}
    figure = explain_gallery(
        predictions, images, saved, scaler, pca, "adam", 4, **{"adam_model": model}
    )
    assert isinstance(figure, Figure)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_title(loc="left")]
    assert len(titles) == 12 and titles[0] == "right:\npainting_0.jpg"
    assert sum(t.startswith("wrong:") for t in titles) == 2
    with pytest.raises(ValueError, match="not reported"):
        explain_gallery(predictions, images, saved, scaler, pca, "snn", 4, adam_model=model)
