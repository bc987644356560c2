"""BoostedEnsemble: gradient boosting in logit space and the study's scheme."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from art_genre.nn import (
    MLP,
    SGD,
    BoostedEnsemble,
    any_match_accuracy,
    bce_with_logits,
    fit,
    sigmoid,
)
from tests.nn.helpers import Frozen, affine_net, make_separable, quiet

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
    norms = [ensemble.initial_residual_norm] + [s.residual_norm for s in ensemble.stages]
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
        ({"normalise": "before"}, "normalise"),
    ],
)
def test_bad_ensemble_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BoostedEnsemble(**kwargs)


def test_bad_ensemble_fit_arguments_raise(separable):
    X, Y = separable
    with pytest.raises(ValueError, match="offset"):
        _fit(BoostedEnsemble(), X, Y, offset=np.zeros_like(Y))
    with pytest.raises(ValueError, match="val_output_scale"):
        _fit(BoostedEnsemble(), X, Y, val_output_scale=2.0)
    with pytest.raises(ValueError, match="X_val and Y_val"):
        _fit(BoostedEnsemble(), X, Y, X_val=X)
    with pytest.raises(ValueError, match="same number of rows"):
        _fit(BoostedEnsemble(), X, Y[:-1])
    with pytest.raises(RuntimeError, match="not fitted"):
        BoostedEnsemble().predict_proba(X)


# ----------------------------------------------------- best prefix (gradient)
# One feature, one genre, stages fixed by hand (Frozen optimizer): h_1 = h_2 = 2x,
# shrinkage 1, so F_0 = logit(1/2) = 0, F_1 = 2x, F_2 = 4x.
# Training rows x = 1, 1, -1, -1 with labels 1, 1, 0, 0: every stage helps,
#   loss(F = a x) = log(1 + e^-a): 0.693147 (prior), 0.126928, 0.018149.
# Validation rows x = 1, 1, 1, -1 with labels 1, 1, 0, 0: three agree, one does not,
#   loss(a) = (3 log(1 + e^-a) + log(1 + e^a)) / 4: 0.693147, 0.626928, 1.018149,
# so stage 2 raises the validation loss: the best prefix is stage 1.
X_TRAIN = np.array([[1.0], [1.0], [-1.0], [-1.0]])
Y_TRAIN = np.array([[1.0], [1.0], [0.0], [0.0]])
X_VAL = np.array([[1.0], [1.0], [1.0], [-1.0]])
Y_VAL = np.array([[1.0], [1.0], [0.0], [0.0]])
LOG2 = 0.6931471805599453


def _fit_fixed_stages(ensemble, stage_nets, X_val=None, Y_val=None, X=X_TRAIN, Y=Y_TRAIN):
    """Fit ``ensemble`` with ``stage_nets`` as its stages, frozen (one full batch)."""
    nets = iter(stage_nets)
    return ensemble.fit(
        X,
        Y,
        X_val,
        Y_val,
        make_model=lambda _stage: next(nets),
        make_optimizer=lambda _stage: Frozen(),
        epochs=1,
        batch_size=len(X),
        rng=np.random.default_rng(0),
        log=quiet,
    )


def test_gradient_keeps_the_prefix_with_the_best_validation_loss():
    ensemble = BoostedEnsemble(n_stages=2, shrinkage=1.0, tol=0.0)
    nets = [affine_net([[2.0]], [0.0]), affine_net([[2.0]], [0.0])]
    histories = _fit_fixed_stages(ensemble, nets, X_VAL, Y_VAL)

    assert len(histories) == len(ensemble.stages) == 2  # both trained and recorded
    first, second = ensemble.stages
    assert first.train_loss == pytest.approx(0.1269280110, abs=1e-9)
    assert second.train_loss == pytest.approx(0.0181499279, abs=1e-9)
    assert first.val_loss == pytest.approx(0.6269280110, abs=1e-9)
    assert second.val_loss == pytest.approx(1.0181499279, abs=1e-9)
    assert ensemble.prior_train_loss == pytest.approx(LOG2, abs=1e-12)
    assert ensemble.prior_val_loss == pytest.approx(LOG2, abs=1e-12)
    assert (first.kept, second.kept) == (True, False)
    assert ensemble.stages_kept == 1 and ensemble.models == [nets[0]]
    final = bce_with_logits(ensemble.decision_function(X_VAL), Y_VAL)
    assert final == first.val_loss  # the same float64 sums, bit for bit
    np.testing.assert_allclose(ensemble.decision_function(X_VAL), 2 * X_VAL)
    assert ensemble.initial_residual_norm == pytest.approx(1.0)  # ||Y - 1/2||

    # Each stage's own validation curve scores F + shrinkage * h as well.
    assert histories[1].val_loss == pytest.approx([second.val_loss], rel=1e-12)


def test_gradient_can_keep_the_prior_alone_and_uses_training_loss_without_validation():
    ensemble = BoostedEnsemble(n_stages=2, shrinkage=1.0, tol=0.0)
    # Validation labels all disagree with the sign of x: any stage hurts.
    _fit_fixed_stages(
        ensemble,
        [affine_net([[2.0]], [0.0]), affine_net([[2.0]], [0.0])],
        X_VAL,
        1.0 - (X_VAL > 0),
    )
    assert ensemble.stages_kept == 0 and not any(s.kept for s in ensemble.stages)
    np.testing.assert_allclose(ensemble.predict_proba(X_VAL), 0.5)

    ensemble = BoostedEnsemble(n_stages=2, shrinkage=1.0, tol=0.0)
    _fit_fixed_stages(ensemble, [affine_net([[2.0]], [0.0]), affine_net([[2.0]], [0.0])])
    assert ensemble.stages_kept == 2 and all(s.kept for s in ensemble.stages)
    assert ensemble.prior_val_loss is None
    assert [s.val_loss for s in ensemble.stages] == [None, None]


def test_gradient_drops_a_stage_that_raises_the_training_loss_without_validation():
    ensemble = BoostedEnsemble(n_stages=3, shrinkage=1.0, tol=0.0)
    # Stage 2 flips the sign (F_2 = -x): training loss rises, training stops there.
    nets = [affine_net([[2.0]], [0.0]), affine_net([[-3.0]], [0.0]), None]
    _fit_fixed_stages(ensemble, nets)
    assert len(ensemble.stages) == 2
    assert [s.kept for s in ensemble.stages] == [True, False]
    assert ensemble.models == nets[:1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_improved_settings_never_end_above_the_best_prefix(seed):
    """He init and shrinkage 1 (conf/improved) on noisy labels that invite over-fitting."""
    X, Y = make_separable(seed=seed, n=240)
    flip = np.random.default_rng(seed).random(Y.shape) < 0.2
    Y = np.where(flip, 1.0 - Y, Y)
    X_val, Y_val = X[160:], Y[160:]
    ensemble = BoostedEnsemble(n_stages=4, shrinkage=1.0, tol=0.0)
    _fit(ensemble, X[:160], Y[:160], seed=seed, X_val=X_val, Y_val=Y_val, epochs=30)

    # Later stages over-fit the flipped labels: all 4 are trained, fewer are kept.
    assert len(ensemble.stages) == 4 and 1 <= ensemble.stages_kept < 4
    prefix_losses = [ensemble.prior_val_loss] + [s.val_loss for s in ensemble.stages]
    final = bce_with_logits(ensemble.decision_function(X_val), Y_val)
    assert final <= min(prefix_losses) + 1e-12
    assert final == prefix_losses[ensemble.stages_kept]
    # Keeping every stage whose training loss fell (the old rule) ends higher.
    assert final < ensemble.stages[-1].val_loss
    assert [s.kept for s in ensemble.stages] == [
        s.stage <= ensemble.stages_kept for s in ensemble.stages
    ]
    # Each stage's last validation score (float32 network) is the recorded ensemble one.
    for history, stage in zip(ensemble.histories, ensemble.stages, strict=True):
        assert history.val_loss[-1] == pytest.approx(stage.val_loss, rel=1e-4)


def test_early_stopping_restores_the_epoch_best_for_the_ensemble(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(n_stages=2, shrinkage=0.3, tol=0.0)
    _fit(
        ensemble, X[60:], Y[60:], X_val=X[:60], Y_val=Y[:60], epochs=25,
        early_stopping_patience=2,
    )
    for history, stage in zip(ensemble.histories, ensemble.stages, strict=True):
        best = history.best_epoch
        assert history.val_loss[best - 1] == min(history.val_loss)
        assert history.val_loss[best - 1] == pytest.approx(stage.val_loss, rel=1e-4)


# ------------------------------------------------------ study: normalisation
def test_study_normalise_inside_and_after_by_hand():
    """Two rows (labels 1, 0), one genre, two stages that always output p = 1/2.

    After stage 1 both variants have R = (1/2, -1/2), norm 1/sqrt(2).
    inside (notebooks): R = (1/sqrt2, -1/sqrt2) before stage 2, then
        R = (1/sqrt2 - 1/2, -1/sqrt2 - 1/2), norm sqrt(2 * 1/2 + 2 * 1/4) = sqrt(3/2).
    after (slides): stage 2 sees R = (1/2, -1/2) unchanged, then R = (0, -1), norm 1.
    """
    X = np.array([[1.0], [-1.0]])
    Y = np.array([[1.0], [0.0]])
    norms = {}
    for normalise in ("inside", "after"):
        nets = iter([affine_net([[0.0]], [0.0]), affine_net([[0.0]], [0.0])])
        ensemble = BoostedEnsemble(n_stages=2, variant="study", normalise=normalise)
        ensemble.fit(
            X,
            Y,
            make_model=lambda _stage, nets=nets: next(nets),
            make_optimizer=lambda _stage: Frozen(),
            epochs=1,
            batch_size=2,
            rng=np.random.default_rng(0),
            log=quiet,
        )
        norms[normalise] = [s.residual_norm for s in ensemble.stages]
    assert norms["inside"] == pytest.approx([2**-0.5, 1.5**0.5], abs=1e-12)
    assert norms["after"] == pytest.approx([2**-0.5, 1.0], abs=1e-12)


def test_study_normalise_after_reproduces_the_slide_code(separable):
    X, Y = separable
    ensemble = BoostedEnsemble(
        n_stages=3, variant="study", normalise="after", residual_threshold=1e-3
    )
    _fit(ensemble, X, Y)

    # The slides' BoostedNeuralNetwork.train, with our fit() as model.train:
    #     residuals = y.astype(np.float64)
    #     for model_idx, model in enumerate(self.models):
    #         model.train(X, residuals, epochs, batch_size, self.gradient_clip_value)
    #         predictions = model.forward(X)
    #         residuals -= predictions
    #         residual_norm = np.linalg.norm(residuals, axis=0, keepdims=True)
    #         if np.all(residual_norm < residual_threshold):
    #             break
    #     residuals /= residual_norm
    make_model, make_optimizer = _factories(X, Y)
    rng = np.random.default_rng(4)
    residuals = Y.astype(np.float64)
    models = [make_model(m) for m in (1, 2, 3)]
    for model in models:
        fit(model, make_optimizer(0), X, residuals, rng=rng, log=quiet, **FIT)
        predictions = model.predict_proba(X)
        residuals -= predictions
        residual_norm = np.linalg.norm(residuals, axis=0, keepdims=True)
        if np.all(residual_norm < 1e-3):
            break
    residuals /= residual_norm  # after the loop: no model sees it

    assert len(ensemble.models) == 3
    for ours, theirs in zip(ensemble.models, models, strict=True):
        assert all(
            np.array_equal(p, q) for p, q in zip(ours.params, theirs.params, strict=True)
        )
    np.testing.assert_allclose(
        ensemble.stages[-1].residual_norm_per_genre, residual_norm[0], rtol=1e-12
    )

    inside = BoostedEnsemble(n_stages=3, variant="study", residual_threshold=1e-3)
    _fit(inside, X, Y)
    assert np.array_equal(inside.models[0].params[0], ensemble.models[0].params[0])
    assert not np.array_equal(inside.models[1].params[0], ensemble.models[1].params[0])


# ----------------------------------------------------------------- numerics
def test_study_logit_of_the_mean_probability_does_not_saturate():
    """Stages with logits 20 and 30: p = (s(20) + s(30)) / 2 and
    1 - p = (e^-20 / (1 + e^-20) + e^-30 / (1 + e^-30)) / 2, so
    logit(p) = 20 + log 2 - log(1 + e^-10) + O(e^-20) = 20.6931017 (hand-computed)."""
    X = np.array([[1.0]])
    nets = [affine_net([[20.0]], [0.0]), affine_net([[30.0]], [0.0])]
    ensemble = BoostedEnsemble(n_stages=2, variant="study", residual_threshold=0.0)
    _fit_fixed_stages(ensemble, nets, X=X, Y=np.array([[1.0]]))
    logit = ensemble.decision_function(X)
    assert logit.dtype == np.float64
    assert logit[0, 0] == pytest.approx(20.6931017, abs=1e-7)
    proba = ensemble.predict_proba(X)[0, 0]
    assert proba < 1.0
    assert 1.0 - proba == pytest.approx((np.exp(-20) + np.exp(-30)) / 2, rel=1e-6)
