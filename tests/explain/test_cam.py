"""Class activation maps: equal to Grad-CAM by TensorFlow autodiff, and sensitive to the head."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from art_genre.explain import (
    class_activation_maps,
    explain_features,
    feature_map_gradient,
    pooled_feature_gradient,
)
from art_genre.modelling.classifier import GenreClassifier
from art_genre.nn import MLP, Adam, fit
from tests.explain.helpers import (
    GENRES,
    head,
    images,
    images_and_corners,
    pool,
    tiny_backbone,
)

pytestmark = pytest.mark.slow  # builds Keras backbones and differentiates through them


@pytest.fixture(scope="module")
def feature_map() -> np.ndarray:
    return np.asarray(tiny_backbone()(images()), dtype=np.float64)


def _tf_mlp(net, x):
    import tensorflow as tf

    params = [tf.constant(np.asarray(p, dtype=np.float64)) for p in net.params]
    for i in range(0, len(params) - 2, 2):
        x = tf.nn.relu(x @ params[i] + params[i + 1])
    return x @ params[-2] + params[-1]


def _tf_logit(A, pooling, scaler, pca, classifier, genre):
    """The whole head in TensorFlow: pooling -> scaler -> PCA -> network -> one logit."""
    import tensorflow as tf

    pooled = {
        "avg": lambda: tf.reduce_mean(A, axis=(1, 2)),
        "max": lambda: tf.reduce_max(A, axis=(1, 2)),
        "flatten": lambda: tf.reshape(A, (A.shape[0], -1)),
    }[pooling]()
    s = (pooled - scaler.mean_) / scaler.scale_
    z = (s - pca.mean_) @ tf.constant(pca.components_.T)
    if pca.whiten:
        z = z / np.sqrt(pca.explained_variance_)
    est = classifier.estimator
    if classifier.name == "mlp":
        logits = _tf_mlp(est, z)
    elif est.variant == "gradient":
        logits = est.prior_logits + sum(
            est.shrinkage * _tf_mlp(m, z) for m in est.models
        )
    else:
        p = sum(tf.sigmoid(_tf_mlp(m, z)) for m in est.models) / len(est.models)
        logits = tf.math.log(p) - tf.math.log1p(-p)
    return logits[:, genre]


def _tf_grad(A, pooling, scaler, pca, classifier, genre):
    import tensorflow as tf

    A = tf.constant(A)
    with tf.GradientTape() as tape:
        tape.watch(A)
        y = tf.reduce_sum(_tf_logit(A, pooling, scaler, pca, classifier, genre))
    return tape.gradient(y, A).numpy(), A.numpy()


@pytest.mark.parametrize("kind", ["mlp", "gradient", "study"])
@pytest.mark.parametrize("pooling", ["avg", "flatten", "max"])
def test_the_map_equals_grad_cam_by_tensorflow_autodiff(feature_map, pooling, kind):
    features = pool(feature_map, pooling)
    scaler, pca, classifier = head(features, kind, whiten=pooling == "flatten")
    # The head reads float32 features (as predict does): differentiate at the same point.
    A = feature_map.astype(np.float32).astype(np.float64)
    for genre in range(3):
        tf_grad, _ = _tf_grad(A, pooling, scaler, pca, classifier, genre)
        ours = feature_map_gradient(
            A,
            pooled_feature_gradient(pool(A, pooling), scaler, pca, classifier, genre),
            pooling,
        )
        scale = np.abs(tf_grad).max()
        np.testing.assert_allclose(ours, tf_grad, rtol=1e-4, atol=1e-6 * scale)
        cam = class_activation_maps(
            A,
            pooled_feature_gradient(pool(A, pooling), scaler, pca, classifier, genre),
            pooling,
        )
        if pooling == "avg":  # Grad-CAM: channel weights = spatial mean of the gradient
            weights = tf_grad.mean(axis=(1, 2), keepdims=True)
            reference = np.maximum((weights * A).sum(axis=-1), 0)
        else:  # the gradient is per location: gradient x activation
            reference = np.maximum((tf_grad * A).sum(axis=-1), 0)
        np.testing.assert_allclose(
            cam, reference, rtol=1e-4, atol=1e-6 * reference.max()
        )
        assert cam.max() > 0


def test_with_avg_pooling_the_unrectified_map_sums_to_gradient_dot_features(
    feature_map,
):
    features = pool(feature_map, "avg")
    scaler, pca, classifier = head(features)
    g = pooled_feature_gradient(features, scaler, pca, classifier, 1)
    full = (feature_map_gradient(feature_map, g, "avg") * feature_map).sum(
        axis=(1, 2, 3)
    )
    np.testing.assert_allclose(full, (g * features).sum(axis=1), rtol=1e-10)


def test_explain_features_gives_the_top_genres_in_predict_order(feature_map):
    features = pool(feature_map, "avg").astype(np.float32)
    scaler, pca, classifier = head(features)
    explanation = explain_features(
        features, feature_map, scaler, pca, classifier, "avg", top_k=2
    )
    proba = classifier.predict_proba(pca.transform(scaler.transform(features)))
    assert explanation.maps.shape == (12, 2, 8, 8)
    assert (explanation.probabilities[:, 0] >= explanation.probabilities[:, 1]).all()
    np.testing.assert_allclose(
        explanation.probabilities[:, 0], proba.max(axis=1), rtol=1e-6
    )
    chosen = explain_features(
        features,
        feature_map,
        scaler,
        pca,
        classifier,
        "avg",
        genre_indices=explanation.genre_indices[:, ::-1],
    )
    np.testing.assert_array_equal(chosen.maps, explanation.maps[:, ::-1])
    with pytest.raises(ValueError, match="exactly one"):
        explain_features(features, feature_map, scaler, pca, classifier, "avg")


@pytest.mark.parametrize(
    "bad", [("avg", (12, 5)), ("flatten", (12, 6)), ("min", (12, 6))]
)
def test_a_gradient_that_does_not_fit_the_pooling_is_refused(feature_map, bad):
    pooling, shape = bad
    with pytest.raises(ValueError, match="pooling|feature_gradient"):
        feature_map_gradient(feature_map, np.zeros(shape), pooling)


def test_randomising_the_trained_head_changes_the_map():
    """Adebayo et al. (2018): a saliency method must depend on the model's weights.

    A head trained to tell where the bright square is, against the same network with
    re-drawn weights: the maps rank the locations differently.
    """
    x, corners = images_and_corners(60, seed=1)
    feature_map = np.asarray(tiny_backbone()(x), dtype=np.float64)
    features = pool(feature_map, "avg")
    scaler, pca, _ = head(features)
    Z = pca.transform(scaler.transform(features))
    Y = np.eye(3)[corners % 3]
    net = MLP(5, [10, 7], 3, init="he", dtype="float64", rng=np.random.default_rng(0))
    fit(net, Adam(0.01), Z, Y, epochs=200, batch_size=16, rng=np.random.default_rng(0),
        log=lambda _line: None)
    assert (net.predict_proba(Z).argmax(axis=1) == corners % 3).mean() > 0.9
    redrawn = MLP(5, [10, 7], 3, init="he", dtype="float64", rng=np.random.default_rng(99))
    trained, randomised = (GenreClassifier("mlp", m, GENRES, "t", 5) for m in (net, redrawn))
    rhos = []
    for genre in range(3):
        maps = [
            class_activation_maps(
                feature_map, pooled_feature_gradient(features, scaler, pca, c, genre), "avg"
            )
            for c in (trained, randomised)
        ]
        for a, b in zip(*maps, strict=True):
            if a.any() and b.any():
                rhos.append(spearmanr(a.ravel(), b.ravel()).statistic)
    assert len(rhos) >= 60
    assert np.median(rhos) < 0.5, np.median(rhos)
