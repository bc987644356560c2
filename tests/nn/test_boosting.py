"""BoostedEnsemble: gradient boosting in logit space and the study's scheme."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from art_genre.nn import MLP, SGD, BoostedEnsemble, any_match_accuracy, fit, sigmoid
from tests.nn.helpers import quiet

FIT = {"epochs": 10, "batch_size": 16}


def _factories(X, Y, seed=3, lr=0.05):
    """Model and optimizer factories (the study's BNN learner, He init)."""
    model_rng = np.random.default_rng(seed)

    def make_model(_stage: int) -> MLP:
        return MLP(X.shape[1], [32, 16], Y.shape[1], init="he", rng=model_rng)

    def make_optimizer(_stage: int) -> SGD:
        return SGD(lr, clip_value=0.5)

    return make_model, make_optimizer


def _fit(ensemble, X, Y, seed=3, **kwargs):
    make_model, make_optimizer = _factories(X, Y, seed)
    args = {**FIT, "rng": np.random.default_rng(seed + 1), "log": quiet, **kwargs}
    return ensemble.fit(
        X, Y, make_model=make_model, make_optimizer=make_optimizer, **args
    )


def test_gradient_boosting_fits_and_lowers_the_loss_stage_by_stage(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=3, shrinkage=0.5, tol=0.0)
    histories = _fit(ensemble, X, Y, X_val=X[:60], Y_val=Y[:60])
    assert len(histories) == len(ensemble.models) == len(ensemble.stages) == 3
    assert [h.name for h in histories] == [
        "boosted-stage1",
        "boosted-stage2",
        "boosted-stage3",
    ]
    assert any_match_accuracy(Y, ensemble.predict_proba(X)) >= 0.95

    rate = Y.mean(axis=0)
    np.testing.assert_allclose(ensemble.prior_logits, np.log(rate / (1 - rate)))
    prior_loss = -np.mean(np.sum(Y * np.log(rate) + (1 - Y) * np.log(1 - rate), axis=1))
    losses = [prior_loss] + [s.train_loss for s in ensemble.stages]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    norms = ensemble.residual_norms
    assert len(norms) == 4 and all(
        b < a for a, b in zip(norms, norms[1:], strict=False)
    )
    assert all(s.val_loss is not None and s.kept for s in ensemble.stages)

    # Prediction is sigmoid(F0 + shrinkage * sum of the stage logits).
    F = ensemble.prior_logits + 0.5 * sum(
        m.logits(X).astype(float) for m in ensemble.models
    )
    np.testing.assert_allclose(ensemble.predict_proba(X), sigmoid(F), rtol=1e-6)
    last = ensemble.stages[-1]
    np.testing.assert_allclose(
        last.residual_norm_per_genre, np.linalg.norm(Y - sigmoid(F), axis=0), rtol=1e-5
    )


def test_gradient_stage_is_trained_on_the_current_ensemble_logits(separable):
    """Stage 2 equals a plain fit with offset F_1 (its gradient is p - y)."""
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=2, shrinkage=0.7, tol=0.0)
    _fit(ensemble, X, Y)

    make_model, make_optimizer = _factories(X, Y)
    rng = np.random.default_rng(4)
    F = np.repeat(ensemble.prior_logits[None], len(X), axis=0)
    models = []
    for stage in (1, 2):
        model = make_model(stage)
        fit(model, make_optimizer(stage), X, Y, offset=F, rng=rng, log=quiet, **FIT)
        F = F + 0.7 * model.decision_function(X)  # F is kept in float64
        models.append(model)
    for ours, theirs in zip(ensemble.models, models, strict=True):
        assert all(
            np.array_equal(p, q)
            for p, q in zip(ours.params, theirs.params, strict=True)
        )


def test_gradient_boosting_stops_when_the_residual_barely_improves(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=6, shrinkage=1.0, tol=0.9)
    _fit(ensemble, X, Y)
    assert len(ensemble.models) < 6
    ensemble = BoostedEnsemble(n_stages=6, residual_threshold=1e9)
    _fit(ensemble, X, Y)
    assert ensemble.models == [] and ensemble.stages == []
    np.testing.assert_allclose(
        ensemble.predict_proba(X[:2]), np.repeat([Y.mean(0)], 2, axis=0)
    )


def test_study_variant_reproduces_the_study_algorithm(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=2, variant="study", residual_threshold=1e-3)
    _fit(ensemble, X, Y)

    # The study's loop, written out.
    make_model, make_optimizer = _factories(X, Y)
    rng = np.random.default_rng(4)
    residuals = Y.copy()
    outputs = []
    for stage in (1, 2):
        model = make_model(stage)
        fit(model, make_optimizer(stage), X, residuals, rng=rng, log=quiet, **FIT)
        residuals = residuals - model.predict_proba(X)
        norms = np.linalg.norm(residuals, axis=0)
        assert not np.all(norms < 1e-3)
        np.testing.assert_allclose(
            ensemble.stages[stage - 1].residual_norm_per_genre, norms, rtol=1e-6
        )
        residuals = residuals / norms
        outputs.append(model.predict_proba(X))
    np.testing.assert_allclose(
        ensemble.predict_proba(X), np.mean(outputs, axis=0), rtol=1e-6
    )
    assert ensemble.stages[0].train_loss < ensemble.stages[1].train_loss  # it degrades


def test_study_variant_first_stage_fits_and_threshold_stops(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=4, variant="study", residual_threshold=1e9)
    histories = _fit(ensemble, X, Y, X_val=X[:40], Y_val=Y[:40])
    assert len(histories) == len(ensemble.models) == 1  # every norm < 1e9 after stage 1
    assert any_match_accuracy(Y, ensemble.predict_proba(X)) >= 0.95
    assert ensemble.stages[0].val_loss is not None


@pytest.mark.parametrize("variant", ["gradient", "study"])
def test_ensemble_pickles(separable, variant):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=2, variant=variant)
    _fit(ensemble, X, Y, epochs=2)
    clone = pickle.loads(pickle.dumps(ensemble))
    np.testing.assert_array_equal(clone.predict_proba(X), ensemble.predict_proba(X))
    np.testing.assert_allclose(
        sigmoid(clone.decision_function(X)), clone.predict_proba(X), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_stages": 0}, "n_stages"),
        ({"shrinkage": 0.0}, "shrinkage"),
        ({"shrinkage": 1.5}, "shrinkage"),
        ({"variant": "adaboost"}, "variant"),
        ({"residual_threshold": -1.0}, "residual_threshold"),
        ({"tol": -0.1}, "tol"),
        ({"prior_clip": 0.5}, "prior_clip"),
    ],
)
def test_bad_ensemble_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BoostedEnsemble(**kwargs)


def test_bad_ensemble_fit_arguments_raise(separable):
    X, Y = separable
    with pytest.raises(ValueError, match="offset"):
        _fit(BoostedEnsemble(), X, Y, offset=np.zeros_like(Y))
    with pytest.raises(ValueError, match="X_val and Y_val"):
        _fit(BoostedEnsemble(), X, Y, X_val=X)
    with pytest.raises(ValueError, match="same number of rows"):
        _fit(BoostedEnsemble(), X, Y[:-1])
    with pytest.raises(RuntimeError, match="not fitted"):
        BoostedEnsemble().predict_proba(X)
