"""The baselines: fitted per seed, written in the networks' layout."""

from __future__ import annotations

import numpy as np
import pytest

from art_genre.modelling import BASELINE_NAMES
from art_genre.pipelines.baselines import create_pipeline
from art_genre.pipelines.baselines.nodes import BASELINES, fit_baseline
from art_genre.pipelines.baselines.params import BaselineParams
from tests.synthetic import GENRES, SPLITS, synthetic_model_input

GENRES = list(GENRES)


@pytest.fixture(scope="module")
def model_input():
    model_input = synthetic_model_input((80, 20, 30), width=6, dtype=np.float64)
    for split in SPLITS:
        Y = model_input[split]["Y"]
        Y[Y[:, 0] == 1, 2] = 1  # Baroque images are also Impressionism: multi-label
    return model_input


def _params(**kw) -> BaselineParams:
    return BaselineParams.model_validate(
        {"seeds": [42, 7], "mlp": {"hidden_layer_sizes": [16], "max_iter": 50}, **kw}
    )


def test_one_node_per_baseline_in_its_namespace():
    assert list(BASELINES) == list(BASELINE_NAMES)
    outputs = create_pipeline().all_outputs()
    for name in BASELINE_NAMES:
        assert {f"{name}.predictions", f"{name}.timing"} <= outputs


@pytest.mark.parametrize("name", BASELINE_NAMES)
def test_predictions_have_the_networks_layout(model_input, name):
    predictions, timing = fit_baseline(model_input, _params(), name)
    assert predictions["model"] == name and predictions["genres"] == GENRES
    assert predictions["seeds"] == [42, 7]
    for split, n in (("val", 20), ("test", 30)):
        logits = predictions[split]["logits"]
        assert logits.shape == (2, n, 3) and logits.dtype == np.float64
        assert np.isfinite(logits).all()
    assert timing["train_seconds_all_seeds"] >= timing["train_seconds"] >= 0


def test_prior_gives_every_image_the_training_frequencies(model_input):
    predictions, _ = fit_baseline(model_input, _params(), "prior")
    frequency = model_input["train"]["Y"].mean(axis=0)
    proba = 1 / (1 + np.exp(-predictions["test"]["logits"][0]))
    assert np.allclose(proba, np.tile(frequency, (30, 1)))


def test_learning_baselines_separate_the_clusters(model_input):
    Y = model_input["test"]["Y"]
    for name in ("logreg", "mlp"):
        logits = fit_baseline(model_input, _params(), name)[0]["test"]["logits"]
        hits = Y[np.arange(30), logits[0].argmax(axis=1)]
        assert hits.mean() >= 0.9, name


def test_mlp_seeds_differ_and_logreg_is_deterministic(model_input):
    mlp = fit_baseline(model_input, _params(), "mlp")[0]["test"]["logits"]
    assert not np.array_equal(mlp[0], mlp[1])
    logreg = fit_baseline(model_input, _params(), "logreg")[0]["test"]["logits"]
    assert np.array_equal(logreg[0], logreg[1])


def test_unknown_baseline_and_bad_parameters_are_refused(model_input):
    from pydantic import ValidationError

    with pytest.raises(ValueError, match="Unknown baseline 'xgboost'"):
        fit_baseline(model_input, _params(), "xgboost")
    with pytest.raises(ValidationError):
        BaselineParams.model_validate({"seeds": []})
    with pytest.raises(ValidationError):
        BaselineParams.model_validate({"logreg": {"C": 0}})


def test_logits_are_the_models_decision_functions(model_input):
    """logreg: its decision function; mlp: the output pre-activations, whose logistic is
    predict_proba (without the clipping that saturated at logit(1e-15)); a genre absent
    from training is never predicted."""
    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neural_network import MLPClassifier

    from art_genre.pipelines.baselines.nodes import SURE, fit_logreg, mlp_logits

    X, Y = model_input["train"]["X"], (np.asarray(model_input["train"]["Y"]) > 0.5).astype(int)
    params = BaselineParams()
    logits = fit_logreg(X, Y, params, 0)(X)
    reference = OneVsRestClassifier(LogisticRegression(C=params.logreg.C,
                                                       max_iter=params.logreg.max_iter))
    np.testing.assert_allclose(logits, reference.fit(X, Y).decision_function(X))
    absent = Y.copy()
    absent[:, 0] = 0
    assert (fit_logreg(X, absent, params, 0)(X)[:, 0] == -SURE).all()
    mlp = MLPClassifier((8,), max_iter=50, random_state=0).fit(X, Y)
    np.testing.assert_allclose(expit(mlp_logits(mlp, X)), mlp.predict_proba(X), rtol=1e-9)
    with pytest.raises(ValueError, match="ReLU"):
        mlp_logits(MLPClassifier(activation="tanh", max_iter=5).fit(X, Y), X)
