"""Input gradients of the networks, ensembles and classifier, checked by finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError
from art_genre.nn import MLP, BoostedEnsemble


def _mlp(seed: int, n_inputs: int = 5, hidden=(7, 6), n_outputs: int = 3) -> MLP:
    net = MLP(n_inputs, hidden, n_outputs, init="he", dtype="float64",
              rng=np.random.default_rng(seed))
    bias_rng = np.random.default_rng(seed + 100)
    for k in range(1, len(net.params), 2):  # non-zero biases: kinks away from the origin
        net.params[k] = bias_rng.normal(0, 0.3, net.params[k].shape)
    return net


def _numerical(f, X: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the per-row scalar ``f(X) -> (n,)`` w.r.t. every column."""
    grad = np.zeros_like(X)
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = eps
        grad[:, j] = (f(X + step) - f(X - step)) / (2 * eps)
    return grad


def _ensemble(variant: str) -> BoostedEnsemble:
    ensemble = BoostedEnsemble(variant=variant, shrinkage=0.7)
    ensemble.models = [_mlp(seed) for seed in (1, 2, 3)]
    ensemble.prior_logits = np.array([-1.0, 0.2, 0.5]) if variant == "gradient" else np.zeros(3)
    return ensemble


X = np.random.default_rng(0).normal(size=(8, 5))


@pytest.mark.parametrize("genre", [0, 2])
def test_mlp_input_gradient_matches_finite_differences(genre):
    net = _mlp(0)
    exact = net.input_gradient(X, genre)
    numeric = _numerical(lambda x: net.logits(x)[:, genre], X)
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)
    assert exact.dtype == np.float64 and exact.shape == X.shape


def test_mlp_input_gradient_takes_one_genre_per_row():
    net = _mlp(0)
    index = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    per_row = net.input_gradient(X, index)
    for genre in range(3):
        rows = index == genre
        np.testing.assert_allclose(per_row[rows], net.input_gradient(X, genre)[rows])


def test_a_network_without_hidden_layers_has_its_weights_as_gradient():
    net = MLP(5, [], 3, init="he", dtype="float64", rng=np.random.default_rng(0))
    np.testing.assert_allclose(net.input_gradient(X, 1), np.tile(net.params[0][:, 1], (8, 1)))


def test_a_float32_network_gives_the_float64_gradient_of_its_weights():
    net = MLP(5, [7], 3, init="he", rng=np.random.default_rng(0))
    twin = MLP.from_state({**net.get_state(), "dtype": "float64"})
    np.testing.assert_allclose(net.input_gradient(X, 1), twin.input_gradient(X, 1), rtol=1e-6)


@pytest.mark.parametrize("bad", [3, -1, 1.5])
def test_an_index_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="output_index"):
        _mlp(0).input_gradient(X, bad)


@pytest.mark.parametrize("variant", ["gradient", "study"])
def test_ensemble_input_gradient_is_the_gradient_of_its_logit(variant):
    ensemble = _ensemble(variant)
    exact = ensemble.input_gradient(X, 1)
    numeric = _numerical(lambda x: ensemble.decision_function(x)[:, 1], X)
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-7)


def test_classifier_input_gradient_delegates_and_checks_the_width():
    classifier = GenreClassifier("bnn", _ensemble("gradient"), ["a", "b", "c"], "f", 5)
    np.testing.assert_allclose(
        classifier.input_gradient(X, 2), classifier.estimator.input_gradient(X, 2)
    )
    with pytest.raises(IncompatibleArtefactsError, match="takes 5 features"):
        classifier.input_gradient(X[:, :4], 0)
