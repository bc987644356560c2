"""A tiny backbone and head for the explanation tests (fast, offline, deterministic)."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from art_genre.modelling.classifier import GenreClassifier
from art_genre.nn import MLP, BoostedEnsemble

GENRES = ["Baroque", "Cubism", "Impressionism"]


def tiny_backbone(seed: int = 0):
    """Two strided convolutions: ``(n, 32, 32, 3)`` -> feature map ``(n, 8, 8, 6)``."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    x = keras.layers.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x)
    return keras.Model(inputs, x)


def images(n: int = 12, seed: int = 0) -> np.ndarray:
    """Random float images with a bright square in a random corner."""
    return images_and_corners(n, seed)[0]


def images_and_corners(n: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`images` and the corner (0-3) each square is in."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 32, 32, 3)).astype(np.float32)
    corners = np.empty(n, dtype=np.int64)
    for i in range(n):
        r, c = rng.integers(0, 2, 2)
        corners[i] = 2 * r + c
        x[i, 16 * r : 16 * r + 16, 16 * c : 16 * c + 16] += 1.5
    return x, corners


def pool(feature_map: np.ndarray, pooling: str) -> np.ndarray:
    """What the backbone's pooling layer would output."""
    if pooling == "avg":
        return feature_map.mean(axis=(1, 2))
    if pooling == "max":
        return feature_map.max(axis=(1, 2))
    return feature_map.reshape(len(feature_map), -1)


def mlp(n_inputs: int, seed: int) -> MLP:
    """A float64 network with non-zero biases."""
    net = MLP(
        n_inputs,
        [10, 7],
        len(GENRES),
        init="he",
        dtype="float64",
        rng=np.random.default_rng(seed),
    )
    rng = np.random.default_rng(seed + 1)
    for k in range(1, len(net.params), 2):
        net.params[k] = rng.normal(0, 0.3, net.params[k].shape)
    return net


def head(features: np.ndarray, kind: str = "mlp", seed: int = 0, whiten: bool = False):
    """A fitted scaler (standardising), PCA (5 components) and classifier on ``features``."""
    scaler = StandardScaler().fit(features)
    pca = PCA(n_components=5, whiten=whiten, random_state=0).fit(
        scaler.transform(features)
    )
    if kind == "mlp":
        estimator = mlp(5, seed)
    else:
        estimator = BoostedEnsemble(variant=kind, shrinkage=0.6)
        estimator.models = [mlp(5, seed + s) for s in (0, 10)]
        estimator.prior_logits = (
            np.array([-0.5, 0.1, 0.4]) if kind == "gradient" else np.zeros(3)
        )
    classifier = GenreClassifier(kind, estimator, GENRES, "tiny", 5)
    return scaler, pca, classifier
