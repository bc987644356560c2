"""MLP: gradients, loss values, stability, state and argument checks."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from art_genre.nn import MLP, bce_from_proba, bce_with_logits, sigmoid


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def _numeric_grad(model: MLP, index: int, f, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of ``f()`` with respect to ``params[index]``."""
    p = model.params[index]
    grad = np.zeros_like(p)
    for i in np.ndindex(p.shape):
        saved = p[i]
        p[i] = saved + eps
        plus = f()
        p[i] = saved - eps
        minus = f()
        p[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("use_offset", [False, True])
@pytest.mark.parametrize("use_pos_weight", [False, True])
@pytest.mark.parametrize("targets", ["binary", "real"])
def test_gradients_match_finite_differences(use_offset, use_pos_weight, targets):
    rng = np.random.default_rng(42)
    model = MLP(5, [7, 6], 4, init="he", dtype="float64", rng=rng)
    for b in model.params[1::2]:  # non-zero biases so they are checked for real
        b[:] = rng.normal(0, 0.1, b.shape)
    X = rng.standard_normal((9, 5))
    if targets == "binary":
        Y = (rng.random((9, 4)) < 0.4).astype(float)
    else:  # the study's residual targets leave [0, 1]
        Y = rng.uniform(-1.0, 2.0, (9, 4))
    offset = rng.normal(0, 1.5, (9, 4)) if use_offset else None
    pos_weight = np.array([0.5, 1.0, 3.0, 10.0]) if use_pos_weight else None

    loss, grads = model.loss_and_grads(X, Y, offset=offset, pos_weight=pos_weight)
    assert loss == pytest.approx(model.loss(X, Y, offset=offset, pos_weight=pos_weight))
    assert len(grads) == len(model.params) == 6
    for index, analytic in enumerate(grads):
        assert analytic.shape == model.params[index].shape
        numeric = _numeric_grad(
            model, index, lambda: model.loss(X, Y, offset=offset, pos_weight=pos_weight)
        )
        rel = np.linalg.norm(analytic - numeric) / (
            np.linalg.norm(analytic) + np.linalg.norm(numeric)
        )
        assert rel < 1e-6, f"param {index}: relative error {rel:.2e}"


def _linear_model(logits: np.ndarray) -> tuple[MLP, np.ndarray]:
    """A model without hidden layers whose logits on ``eye`` are ``logits``."""
    n, k = logits.shape
    model = MLP(n, [], k, dtype="float64", rng=np.random.default_rng(0))
    model.params[0][:] = logits
    model.params[1][:] = 0.0
    return model, np.eye(n)


def test_loss_equals_hand_computed_value():
    logits = np.array([[0.0, 2.0], [-1.0, 3.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    model, X = _linear_model(logits)
    # -log(sigmoid(z)) = softplus(-z) for positives, softplus(z) for negatives.
    expected = (_softplus(0.0) + _softplus(2.0) + _softplus(-1.0) + _softplus(-3.0)) / 2
    assert model.loss(X, Y) == pytest.approx(expected, rel=1e-12)
    assert bce_with_logits(logits, Y) == pytest.approx(expected, rel=1e-12)
    assert bce_from_proba(Y, sigmoid(logits)) == pytest.approx(expected, rel=1e-6)

    pos_weight = np.array([3.0, 0.5])
    weighted = (
        3 * _softplus(0.0) + _softplus(2.0) + _softplus(-1.0) + 0.5 * _softplus(-3.0)
    ) / 2
    assert model.loss(X, Y, pos_weight=pos_weight) == pytest.approx(weighted, rel=1e-12)
    assert bce_from_proba(Y, sigmoid(logits), pos_weight) == pytest.approx(
        weighted, rel=1e-6
    )

    offset = np.array([[1.0, -1.0], [0.5, 0.0]])
    shifted = (_softplus(-1.0) + _softplus(1.0) + _softplus(-0.5) + _softplus(-3.0)) / 2
    assert model.loss(X, Y, offset=offset) == pytest.approx(shifted, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss_is_finite_for_huge_logits(dtype):
    logits = np.array([[1e4, -1e4, 30.0], [-1e4, 1e4, -30.0]])
    Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])  # every logit is wrong
    model, X = _linear_model(logits)
    model = MLP.from_state({**model.get_state(), "dtype": dtype})
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, grads = model.loss_and_grads(X, Y)
        proba = model.predict_proba(X)
    # softplus(1e4) = 1e4 four times plus softplus(30) ~ 30 twice, over 2 rows.
    assert loss == pytest.approx((4e4 + 2 * 30.0) / 2, rel=1e-6)
    assert all(np.isfinite(g).all() for g in grads)
    assert np.isfinite(proba).all() and proba.min() >= 0 and proba.max() <= 1
    assert sigmoid(np.array([-1e5, 0.0, 1e5])).tolist() == [0.0, 0.5, 1.0]


def test_logits_offset_and_proba_are_consistent():
    rng = np.random.default_rng(1)
    model = MLP(4, [8], 3, init="he", rng=rng)
    X = rng.standard_normal((5, 4))
    offset = rng.standard_normal((5, 3))
    z = model.logits(X)
    assert z.dtype == np.float32 and z.shape == (5, 3)
    np.testing.assert_allclose(
        model.logits(X, offset), z + offset, rtol=1e-6, atol=1e-6
    )
    np.testing.assert_allclose(model.predict_proba(X), 1 / (1 + np.exp(-z)), rtol=1e-6)


def test_initialisation_scales_and_layout():
    rng = np.random.default_rng(0)
    small = MLP(100, [512, 256], 24, rng=rng)
    he = MLP(100, [512, 256], 24, init="he", rng=rng)
    assert [p.shape for p in small.params] == [
        (100, 512),
        (512,),
        (512, 256),
        (256,),
        (256, 24),
        (24,),
    ]
    assert all(p.dtype == np.float32 for p in small.params)
    assert small.n_params == 100 * 512 + 512 + 512 * 256 + 256 + 256 * 24 + 24
    assert all(not b.any() for b in small.params[1::2] + he.params[1::2])
    assert small.params[2].std() == pytest.approx(0.01, rel=0.02)
    assert he.params[2].std() == pytest.approx(math.sqrt(2 / 512), rel=0.02)
    assert he.params[0].std() == pytest.approx(math.sqrt(2 / 100), rel=0.05)


def test_same_seed_gives_same_weights_and_pickle_round_trip():
    a = MLP(3, [4], 2, rng=np.random.default_rng(7))
    b = MLP(3, [4], 2, rng=np.random.default_rng(7))
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params, strict=True))
    X = np.random.default_rng(0).standard_normal((4, 3))
    clone = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(clone.predict_proba(X), a.predict_proba(X))
    rebuilt = MLP.from_state(a.get_state())
    np.testing.assert_array_equal(rebuilt.predict_proba(X), a.predict_proba(X))
    assert "hidden_sizes=[4]" in repr(a)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hidden_sizes": [8, 0]}, "hidden_sizes"),
        ({"hidden_sizes": [-3]}, "hidden_sizes"),
        ({"hidden_sizes": 8}, "hidden_sizes"),
        ({"n_inputs": 0}, "n_inputs"),
        ({"n_outputs": 2.5}, "n_outputs"),
        ({"init": "xavier"}, "init"),
        ({"dtype": "float16"}, "dtype"),
    ],
)
def test_bad_constructor_arguments_raise(kwargs, match):
    args = {"n_inputs": 3, "hidden_sizes": [4], "n_outputs": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        MLP(
            args.pop("n_inputs"),
            args.pop("hidden_sizes"),
            args.pop("n_outputs"),
            rng=np.random.default_rng(0),
            **args,
        )


def test_bad_call_arguments_raise():
    model = MLP(3, [4], 2, rng=np.random.default_rng(0))
    X = np.zeros((5, 3))
    with pytest.raises(TypeError, match="rng"):
        MLP(3, [4], 2, rng=0)
    with pytest.raises(ValueError, match="X must have shape"):
        model.logits(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="offset"):
        model.logits(X, offset=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="Y must have shape"):
        model.loss(X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="pos_weight"):
        model.loss(X, np.zeros((5, 2)), pos_weight=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="pos_weight"):
        model.loss_and_grads(X, np.zeros((5, 2)), pos_weight=np.ones(3))
