"""The shared training loop: fitting, determinism, early stopping, guards."""

from __future__ import annotations

import numpy as np
import pytest

from art_genre.nn import (
    MLP,
    SGD,
    Adam,
    NonFiniteLossError,
    any_match_accuracy,
    balanced_sampling_probabilities,
    fit,
    inverse_frequency_pos_weight,
)
from tests.nn.helpers import Frozen, affine_net, quiet


def _model(X, Y, init="small", seed=1, hidden=(32, 16), dtype="float32") -> MLP:
    return MLP(
        X.shape[1],
        hidden,
        Y.shape[1],
        init=init,
        dtype=dtype,
        rng=np.random.default_rng(seed),
    )


@pytest.mark.parametrize(
    ("init", "optimizer", "epochs"),
    [
        ("small", SGD(0.1), 30),  # the study's SNN (init, plain SGD), larger step
        ("small", SGD(0.1, clip_value=0.5), 30),  # the study's BNN base learner
        ("he", Adam(0.01), 10),  # the study's Adam net
    ],
    ids=["sgd", "sgd-clipped", "adam"],
)
def test_models_fit_a_separable_problem(separable, init, optimizer, epochs):
    X, Y = separable
    model = _model(X, Y, init=init)
    history = fit(
        model,
        optimizer,
        X,
        Y,
        epochs=epochs,
        batch_size=16,
        rng=np.random.default_rng(2),
        log=quiet,
    )
    assert any_match_accuracy(Y, model.predict_proba(X)) >= 0.95
    assert history.epochs_run == epochs and history.best_epoch == epochs
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_any_match[-1] >= 0.95
    assert history.val_loss == [] and not history.stopped_early
    assert len(history.epoch_seconds) == epochs and history.seconds > 0


def test_training_is_bit_identical_for_the_same_seed(separable):
    X, Y = separable
    runs = []
    for _ in range(2):
        model = _model(X, Y, init="he")
        history = fit(
            model,
            Adam(0.01),
            X,
            Y,
            X_val=X[:50],
            Y_val=Y[:50],
            epochs=3,
            batch_size=7,
            rng=np.random.default_rng(5),
            balanced_batches=True,
            log=quiet,
        )
        runs.append((model, history))
    (a, ha), (b, hb) = runs
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params, strict=True))
    assert ha.train_loss == hb.train_loss and ha.val_loss == hb.val_loss

    other = _model(X, Y, init="he")
    fit(
        other,
        Adam(0.01),
        X,
        Y,
        epochs=3,
        batch_size=7,
        rng=np.random.default_rng(6),
        log=quiet,
    )
    assert not np.array_equal(other.params[0], a.params[0])


def test_early_stopping_restores_the_best_weights(separable):
    X, Y = separable
    # Smoothed validation targets: the loss falls while the probabilities
    # approach 0.1/0.9 and rises once the net grows more confident.
    Y_val = 0.8 * Y + 0.1

    def run(epochs, patience):
        model = _model(X, Y, init="he")
        history = fit(
            model,
            Adam(0.001),
            X,
            Y,
            X_val=X,
            Y_val=Y_val,
            epochs=epochs,
            batch_size=16,
            rng=np.random.default_rng(3),
            early_stopping_patience=patience,
            name="adam",
            log=quiet,
        )
        return model, history

    model, history = run(40, patience=3)
    best = history.best_epoch
    assert history.stopped_early
    assert 1 < best < history.epochs_run == best + 3
    assert history.val_loss[best - 1] == min(history.val_loss)
    assert model.loss(X, Y_val) == pytest.approx(history.val_loss[best - 1], rel=1e-6)
    # The same run stopped by hand after `best` epochs has identical weights.
    reference, _ = run(best, patience=None)
    assert all(
        np.array_equal(p, q)
        for p, q in zip(model.params, reference.params, strict=True)
    )


def test_fit_logs_one_line_per_epoch(separable):
    X, Y = separable
    lines: list[str] = []
    fit(
        _model(X, Y),
        SGD(0.1),
        X,
        Y,
        X_val=X,
        Y_val=Y,
        epochs=2,
        batch_size=32,
        rng=np.random.default_rng(0),
        name="snn",
        log=lines.append,
    )
    assert len(lines) == 2
    assert lines[0].startswith("snn epoch 1/2: loss") and "val_loss" in lines[0]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_training_raises_with_model_name_and_epoch(separable):
    X, Y = separable
    model = _model(X, Y, init="he")
    with pytest.raises(
        NonFiniteLossError, match=r"model 'snn-huge-lr'.*epoch 1, batch \d+"
    ) as info:
        fit(
            model,
            SGD(1e12),
            X,
            Y,
            epochs=5,
            batch_size=16,
            rng=np.random.default_rng(0),
            name="snn-huge-lr",
            log=quiet,
        )
    assert info.value.epoch == 1 and info.value.batch >= 2
    assert info.value.name == "snn-huge-lr"
    assert isinstance(info.value, FloatingPointError)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 241}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 8.0}, "batch_size"),
        ({"epochs": 0}, "epochs"),
        ({"early_stopping_patience": 2}, "early_stopping_patience needs X_val"),
        ({"X_val": np.zeros((3, 6))}, "X_val and Y_val"),
        ({"offset": np.zeros((240, 3))}, "offset"),
        ({"min_delta": -1.0}, "min_delta"),
        ({"val_output_scale": 0.0}, "val_output_scale"),
        ({"val_output_scale": float("inf")}, "val_output_scale"),
        ({"pos_weight": np.zeros(4)}, "pos_weight"),
    ],
)
def test_bad_fit_arguments_raise(separable, kwargs, match):
    X, Y = separable
    args = {"epochs": 1, "batch_size": 16, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=match):
        fit(_model(X, Y), SGD(0.1), X, Y, log=quiet, **args)


def test_bad_fit_shapes_raise(separable):
    X, Y = separable
    with pytest.raises(ValueError, match="Y must have shape"):
        fit(
            _model(X, Y),
            SGD(0.1),
            X,
            Y[:-1],
            epochs=1,
            batch_size=4,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match="X_val must have shape"):
        fit(
            _model(X, Y),
            SGD(0.1),
            X,
            Y,
            X_val=X[:, :3],
            Y_val=Y,
            epochs=1,
            batch_size=4,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(TypeError, match="rng"):
        fit(_model(X, Y), SGD(0.1), X, Y, epochs=1, batch_size=4, rng=0)


def test_balanced_sampling_probabilities_by_hand():
    Y = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 0]])
    # Genre counts 3 and 1 -> weights 1/3, 1/3, 1/3, 1 and the mean 0.5 for
    # the row without a genre; total 2.5.
    np.testing.assert_allclose(
        balanced_sampling_probabilities(Y), [2 / 15, 2 / 15, 2 / 15, 0.4, 0.2]
    )
    both = balanced_sampling_probabilities(np.array([[1, 1], [1, 0]]))
    np.testing.assert_allclose(both, [(0.5 + 1) / 2, 0.5] / np.array(1.25))


def _imbalanced(seed=0, n=400):
    """Genre 1 is rare (5%) and only weakly visible in the features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    rare = rng.random(n) < 0.05
    X[rare, 0] += 1.0
    Y = np.stack([~rare, rare], axis=1).astype(float)
    return X, Y


def test_balanced_sampling_makes_both_genres_equally_likely():
    _, Y = _imbalanced()
    probs = balanced_sampling_probabilities(Y)
    assert probs[Y[:, 1] == 1].sum() == pytest.approx(0.5)


def test_pos_weight_of_the_rare_genre_is_large():
    _, Y = _imbalanced()
    pos_weight = inverse_frequency_pos_weight(Y)
    assert pos_weight[1] > 10 and pos_weight[0] < 1


@pytest.mark.parametrize("remedy", ["balanced_batches", "pos_weight"])
def test_each_remedy_raises_the_rare_genre_probability(remedy):
    X, Y = _imbalanced()
    rare = Y[:, 1] == 1
    on = {"balanced_batches": True, "pos_weight": inverse_frequency_pos_weight(Y)}[remedy]
    seen = {}
    for applied in (False, True):
        model = _model(X, Y, init="he", hidden=(8,))
        fit(
            model,
            SGD(0.05),
            X,
            Y,
            epochs=5,
            batch_size=20,
            rng=np.random.default_rng(1),
            log=quiet,
            **({remedy: on} if applied else {}),
        )
        seen[applied] = model.predict_proba(X)[rare, 1].mean()
    assert seen[True] > 2 * seen[False]


def test_inverse_frequency_pos_weight_by_hand():
    Y = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]])
    np.testing.assert_allclose(inverse_frequency_pos_weight(Y), [4.0, 1.0, 0.25])
    np.testing.assert_allclose(
        inverse_frequency_pos_weight(Y, min_weight=0.5, max_weight=2.0), [2.0, 1.0, 0.5]
    )
    with pytest.raises(ValueError, match="min_weight"):
        inverse_frequency_pos_weight(Y, min_weight=0.0)
    with pytest.raises(ValueError, match="2-D"):
        inverse_frequency_pos_weight(Y[0])


@pytest.mark.parametrize(
    ("scale", "expected"),
    [
        # z = offset + scale * h = 1 + 0.5 * 2 = 2 for the positive row and
        # -1 + 0.5 * (-2) = -2 for the negative one: loss log(1 + e^-2) on each row (and as mean).
        (0.5, 0.1269280110429725),
        # scale 1 (the default): z = 3 and -3, loss log(1 + e^-3) per row.
        (1.0, 0.04858735157374206),
    ],
)
def test_validation_scores_offset_plus_scaled_output(scale, expected):
    """Boosting's early stopping sees F + shrinkage * h (hand-computed losses)."""
    net = affine_net([[2.0]], [0.0])  # h(x) = 2x, kept fixed by the Frozen optimizer
    X = np.array([[1.0], [-1.0]])
    Y = np.array([[1.0], [0.0]])
    history = fit(
        net,
        Frozen(),
        X,
        Y,
        X_val=X,
        Y_val=Y,
        offset=np.zeros((2, 1)),
        offset_val=np.array([[1.0], [-1.0]]),
        val_output_scale=scale,
        epochs=2,
        batch_size=2,
        rng=np.random.default_rng(0),
        log=quiet,
    )
    assert history.val_loss == pytest.approx([expected] * 2, rel=1e-12)
    # Training is unaffected by the scale: loss of z = h = +-2 on both rows.
    assert history.train_loss == pytest.approx([0.1269280110429725] * 2, rel=1e-12)
