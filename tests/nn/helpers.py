"""Helpers shared by the nn tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from art_genre.nn import MLP, Optimizer


def make_separable(
    seed: int = 0,
    n: int = 240,
    n_features: int = 6,
    n_genres: int = 4,
    n_clusters: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated clusters; each cluster has a fixed set of 1-2 genres."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_clusters, n_features)) * 3.0
    label_sets = np.zeros((n_clusters, n_genres))
    for c in range(n_clusters):
        label_sets[c, c % n_genres] = 1.0
        if c >= n_genres:
            label_sets[c, (c + 1) % n_genres] = 1.0
    cluster = rng.integers(0, n_clusters, n)
    X = centers[cluster] + 0.5 * rng.standard_normal((n, n_features))
    return X, label_sets[cluster]


def quiet(_message: str) -> None:
    """A ``log`` sink that drops the per-epoch lines."""


class Frozen(Optimizer):
    """An optimizer that leaves the parameters as they are.

    With it, :func:`art_genre.nn.fit` runs its loop (validation scoring, stage
    bookkeeping) on a network whose output is fixed by hand, so the expected
    losses of a test can be written out exactly.
    """

    def update(self, params: list[np.ndarray], grads: Sequence[np.ndarray]) -> None:
        """Does nothing (the gradients are ignored)."""


def affine_net(weights: list[list[float]], biases: list[float]) -> MLP:
    """A float64 network without hidden layer: ``h(x) = x @ weights + biases``."""
    W = np.array(weights, dtype=np.float64)
    net = MLP(W.shape[0], [], W.shape[1], dtype="float64", rng=np.random.default_rng(0))
    net.params = [W, np.array(biases, dtype=np.float64)]
    return net
