"""The ``networks`` nodes and the model parameters (snn, bnn, bnn_study, adam)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.special import expit

from art_genre.modelling.classifier import GenreClassifier, IncompatibleArtefactsError
from art_genre.modelling.params import ModelParams
from art_genre.modelling.training import make_optimizer
from art_genre.nn import (
    MLP,
    SGD,
    Adam,
    BoostedEnsemble,
    NonFiniteLossError,
    inverse_frequency_pos_weight,
)
from art_genre.pipelines.networks.nodes import predict_splits, train_model
from tests.synthetic import GENRES, synthetic_model_input

pytestmark = pytest.mark.slow  # trains networks over seeds

GENRES = list(GENRES)


@pytest.fixture(scope="module")
def model_input():
    """Three separable genre clusters in 10 dimensions, split 60 / 20 / 20."""
    return synthetic_model_input((60, 20, 20), fingerprint="abc")


def _params(**overrides) -> ModelParams:
    base = {"hidden_sizes": [16, 8], "epochs": 15, "batch_size": 8, "init": "he", "seeds": [42]}
    return ModelParams.model_validate({**base, **overrides})


CONFIGS = {
    "snn": {"optimizer": {"name": "sgd", "learning_rate": 0.05}},
    "adam": {"optimizer": {"name": "adam", "learning_rate": 0.01}},
    "bnn": {
        "optimizer": {"name": "sgd", "learning_rate": 0.05, "clip_value": 0.5},
        "boosting": {"variant": "gradient", "n_stages": 3, "shrinkage": 0.5},
    },
    "bnn_study": {
        "optimizer": {"name": "sgd", "learning_rate": 0.05, "clip_value": 0.5},
        "boosting": {"variant": "study", "n_stages": 2},
    },
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_each_model_learns_the_separable_problem(model_input, name):
    model, models, history = train_model(model_input, _params(**CONFIGS[name]), name)
    assert models == [model]
    predictions, timing = predict_splits(models, model_input)
    test = predictions["test"]
    hits = test["Y"][np.arange(len(test["Y"])), test["logits"][0].argmax(axis=1)]
    assert hits.mean() >= 0.9
    assert predictions["genres"] == GENRES and predictions["model"] == name
    assert predictions["seeds"] == [42]
    assert test["logits"].shape == (1, 20, 3) and test["logits"].dtype == np.float64
    assert history["epochs_run"] == len(history["train_loss"]) >= 1
    assert len(history["val_loss"]) == history["epochs_run"]
    assert timing["train_seconds"] > 0 and timing["inference_seconds"] >= 0
    for split in ("val", "test"):
        logits = predictions[split]["logits"][0]
        np.testing.assert_array_equal(model.predict_proba(model_input[split]["X"]), expit(logits))
    if "boosting" in CONFIGS[name]:
        assert isinstance(model.estimator, BoostedEnsemble)
        assert history["stages"] and len(history["stage_of_epoch"]) == history["epochs_run"]
        assert history["stages_kept"] == model.estimator.stages_kept >= 1
        assert history["prior_val_loss"] == model.estimator.prior_val_loss > 0
        assert all({"train_loss", "val_loss", "kept"} <= set(s) for s in history["stages"])
        json.dumps(history)  # the history is saved as JSON
    else:
        assert history["stages"] == [] and history["stages_kept"] is None


def test_training_is_bit_identical_for_a_seed(model_input):
    a, _, _ = train_model(model_input, _params(**CONFIGS["adam"]), "adam")
    b, _, _ = train_model(model_input, _params(**CONFIGS["adam"]), "adam")
    c, _, _ = train_model(model_input, _params(**CONFIGS["adam"], seeds=[7]), "adam")
    X = model_input["test"]["X"]
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


@pytest.mark.parametrize("name", ["adam", "bnn"])
def test_each_seed_trains_its_own_model_on_the_same_split(model_input, name):
    params = _params(**CONFIGS[name], seeds=[42, 7, 3])
    first, models, history = train_model(model_input, params, name)
    alone, _, _ = train_model(model_input, _params(**CONFIGS[name], seeds=[42]), name)
    X = model_input["test"]["X"]
    assert first is models[0] and len(models) == 3
    # the first seed's model does not depend on the other seeds
    assert np.array_equal(first.decision_function(X), alone.decision_function(X))
    logits = [m.decision_function(X) for m in models]
    assert not np.array_equal(logits[0], logits[1]) and not np.array_equal(logits[1], logits[2])
    assert [r["seed"] for r in history["seed_runs"]] == [42, 7, 3]
    assert history["train_seconds_all_seeds"] >= history["train_seconds"] > 0
    predictions, timing = predict_splits(models, model_input)
    assert predictions["seeds"] == [42, 7, 3]
    assert predictions["val"]["logits"].shape == (3, 20, 3)
    assert np.array_equal(predictions["test"]["logits"][1], logits[1])
    assert timing["train_seconds_all_seeds"] >= timing["train_seconds"]


def test_seeds_in_worker_processes_give_the_same_models(model_input):
    params = _params(**CONFIGS["adam"], seeds=[42, 7], epochs=3)
    _, serial, _ = train_model(model_input, params.model_copy(update={"n_jobs": 1}), "adam")
    _, parallel, _ = train_model(model_input, params.model_copy(update={"n_jobs": 2}), "adam")
    X = model_input["test"]["X"]
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.decision_function(X), b.decision_function(X))


def test_seeds_must_be_distinct_and_present():
    with pytest.raises(ValidationError, match="distinct"):
        _params(seeds=[1, 1])
    with pytest.raises(ValidationError, match="at least 1"):
        _params(seeds=[])


@pytest.fixture(scope="module")
def imbalanced_input():
    """Overlapping genre clusters, 200 / 60 / 60 rows; Cubism is rare (about 5%)."""
    return synthetic_model_input(
        (200, 60, 60), centre_scale=1.0, genre_p=[0.6, 0.05, 0.35], fingerprint="abc"
    )


def _rare_genre_scores(model, split):
    """Recall and mean predicted probability of Cubism on its own rows."""
    rare = split["Y"][:, 1] == 1
    proba = model.predict_proba(split["X"])[rare, 1]
    return (proba > 0.5).mean(), proba.mean()


def test_class_weighting_raises_the_rare_genre_and_follows_its_gradient(imbalanced_input):
    train = imbalanced_input["train"]
    assert train["Y"][:, 1].sum() < 0.05 * len(train["Y"])
    runs = {}
    for weighting in ("none", "inverse_frequency"):
        params = _params(**CONFIGS["snn"], class_weighting=weighting, dtype="float64")
        model, _, history = train_model(imbalanced_input, params, "snn")
        runs[weighting] = (model, history)
    plain, weighted = (runs[w][0] for w in ("none", "inverse_frequency"))
    for split in ("train", "test"):  # same seed, so only the weighting differs
        recall_plain, proba_plain = _rare_genre_scores(plain, imbalanced_input[split])
        recall_weighted, proba_weighted = _rare_genre_scores(weighted, imbalanced_input[split])
        assert recall_weighted > recall_plain, split
        assert proba_weighted > 2 * proba_plain, split

    # The objective is BCE with inverse-frequency positive weights from the training
    # split: its value is the recorded validation loss ...
    net, history = weighted.estimator, runs["inverse_frequency"][1]
    pos_weight = inverse_frequency_pos_weight(train["Y"])
    val = imbalanced_input["val"]
    assert history["val_loss"][-1] == pytest.approx(
        net.loss(val["X"], val["Y"], pos_weight=pos_weight), rel=1e-12
    )
    assert net.loss(val["X"], val["Y"]) != pytest.approx(history["val_loss"][-1], rel=1e-3)
    # ... and the gradient training follows is the numerical one of that loss.
    X, Y = train["X"][:40], train["Y"][:40]
    _, grads = net.loss_and_grads(X, Y, pos_weight=pos_weight)
    for param, grad in zip(net.params, grads, strict=True):
        numeric = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            saved = param[i]
            param[i] = saved + 1e-6
            up = net.loss(X, Y, pos_weight=pos_weight)
            param[i] = saved - 1e-6
            down = net.loss(X, Y, pos_weight=pos_weight)
            param[i] = saved
            numeric[i] = (up - down) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_balanced_batches_raise_the_rare_genre(imbalanced_input):
    plain, _, _ = train_model(imbalanced_input, _params(**CONFIGS["snn"]), "snn")
    params = _params(**CONFIGS["snn"], balanced_batches=True)
    balanced, _, history = train_model(imbalanced_input, params, "snn")
    assert np.isfinite(history["train_loss"]).all()
    test = imbalanced_input["test"]
    assert _rare_genre_scores(balanced, test)[1] > 2 * _rare_genre_scores(plain, test)[1]


def test_early_stopping_ends_before_the_last_epoch(model_input):
    noisy = {**model_input, "train": dict(model_input["train"])}
    noisy["train"]["Y"] = np.random.default_rng(1).permutation(model_input["train"]["Y"])
    params = _params(**CONFIGS["adam"], epochs=200, early_stopping_patience=2)
    _, _, history = train_model(noisy, params, "adam")
    assert history["stopped_early"] and history["epochs_run"] < 200


def test_divergence_names_the_model_and_epoch(model_input):
    params = _params(optimizer={"name": "sgd", "learning_rate": 1e12})
    with pytest.raises(NonFiniteLossError, match=r"model 'snn'.*epoch 1"):
        train_model(model_input, params, "snn")


def test_batch_larger_than_the_data_names_the_parameter(model_input):
    with pytest.raises(ValueError, match=r"snn\.model\.batch_size=1000 .* 60 training"):
        train_model(model_input, _params(batch_size=1000, epochs=1), "snn")


def test_optimizer_factory():
    assert isinstance(make_optimizer(_params().optimizer), SGD)
    assert isinstance(make_optimizer(_params(**CONFIGS["adam"]).optimizer), Adam)
    assert make_optimizer(_params(**CONFIGS["adam"]).optimizer).step_counter == "single"
    double = _params(optimizer={"name": "adam", "step_counter": "double"}).optimizer
    assert make_optimizer(double).step_counter == "double"


def test_classifier_refuses_other_features_and_vocabularies(model_input):
    model, _, _ = train_model(model_input, _params(epochs=1), "snn")
    model.check_compatible(GENRES, "abc")
    with pytest.raises(IncompatibleArtefactsError, match="trained on the genres"):
        model.check_compatible(["Baroque"], "abc")
    with pytest.raises(IncompatibleArtefactsError, match="backbone fingerprint abc"):
        model.check_compatible(GENRES, "other")
    with pytest.raises(IncompatibleArtefactsError, match="takes 10 features"):
        model.predict_proba(np.zeros((2, 11)))
    assert isinstance(model, GenreClassifier)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"hidden_sizes": [512, 0]}, "at least 1"),
        ({"hidden_sizes": []}, "at least 1"),
        ({"optimizer": {"learning_rate": -0.01}}, "greater than 0"),
        ({"optimizer": {"name": "rmsprop"}}, "sgd"),
        ({"optimizer": {"name": "adam", "clip_value": 0.5}}, "only supported with"),
        ({"optimizer": {"name": "sgd", "step_counter": "double"}}, "only supported with"),
        ({"optimizer": {"name": "adam", "step_counter": "triple"}}, "single"),
        ({"epochs": 0}, "greater than or equal to 1"),
        ({"batch_size": 0}, "greater than or equal to 1"),
        ({"boosting": {"variant": "adaboost"}}, "gradient"),
        ({"boosting": {"variant": "study", "normalise": "before"}}, "inside"),
        ({"boosting": {"variant": "gradient", "normalise": "after"}}, "variant=study only"),
        ({"init": "xavier"}, "small"),
        ({"learning_rate": 0.1}, "Extra inputs"),
    ],
)
def test_bad_model_parameters_fail_validation(settings, match):
    with pytest.raises(ValidationError, match=match):
        ModelParams.model_validate(settings)


def test_probabilities_come_from_float64_logits_and_do_not_saturate():
    """A float32 network with output logits 20, 21 and -20 for the input x = 1."""
    net = MLP(1, [], 3, dtype="float32", rng=np.random.default_rng(0))
    net.params = [np.array([[20.0, 21.0, -20.0]], np.float32), np.zeros(3, np.float32)]
    model = GenreClassifier("snn", net, GENRES, "abc", n_features=1)
    X = np.array([[1.0]])
    assert np.all(net.predict_proba(X)[0, :2] == 1.0)  # float32 sigmoid saturates
    logits = model.decision_function(X)
    assert logits.dtype == np.float64
    np.testing.assert_array_equal(logits, [[20.0, 21.0, -20.0]])
    proba = model.predict_proba(X)[0]
    assert proba.dtype == np.float64
    assert proba[0] < 1.0 and proba[1] < 1.0 and proba[0] < proba[1]  # distinct stay distinct
    # 1 - expit(20) = e^-20 / (1 + e^-20) = 2.0611536e-9
    assert 1.0 - proba[0] == pytest.approx(2.0611536e-9, rel=1e-6)
    assert proba[2] == pytest.approx(2.0611536e-9, rel=1e-6)
    with pytest.raises(IncompatibleArtefactsError, match="takes 1 features"):
        model.decision_function(np.zeros((1, 2)))


def test_study_normalisation_is_passed_to_the_ensemble(model_input):
    settings = {**CONFIGS["bnn_study"], "epochs": 2}
    settings["boosting"] = {**settings["boosting"], "normalise": "after"}
    model, _, history = train_model(model_input, _params(**settings), "bnn_study")
    assert model.estimator.normalise == "after"
    assert model.params["boosting"]["normalise"] == "after"
    assert history["stages_kept"] == len(history["stages"]) == 2
