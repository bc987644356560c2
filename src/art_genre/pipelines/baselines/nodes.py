"""Nodes of ``baselines``: the genre prior, logistic regression and scikit-learn's MLP.

Each baseline is fitted on the same model input as the networks, once per seed, and
writes ``<name>.predictions`` in the networks' layout (float64 logits per seed for the
validation and test splits), so reporting tunes its thresholds and scores it the same
way.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import logit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from art_genre.evaluation.runs import predictions_record
from art_genre.modelling import BASELINE_NAMES

from .params import BaselineParams

logger = logging.getLogger(__name__)

SPLITS = ("val", "test")
EPS = 1e-15
"""The prior's frequencies are clipped to ``[EPS, 1 - EPS]`` before their logit is taken."""

Scorer = Callable[[np.ndarray], np.ndarray]
"""Features -> float64 logits of a fitted baseline."""


SURE = float(logit(1 - EPS))
"""The logit of a genre the training split decides alone (never or always present)."""


def _logits(proba: np.ndarray) -> np.ndarray:
    return logit(np.clip(np.asarray(proba, dtype=np.float64), EPS, 1 - EPS))


def _constant_columns(Y: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """``logits`` with every genre that is constant in training set to ``∓SURE``.

    scikit-learn's one-vs-rest predicts such a genre with a constant estimator whose
    decision value is 0, which would read as probability 0.5 (and pass the 0.5 cut).
    """
    logits = np.array(logits, dtype=np.float64)
    logits[:, Y.sum(axis=0) == 0] = -SURE
    logits[:, Y.sum(axis=0) == len(Y)] = SURE
    return logits


def mlp_logits(model: MLPClassifier, X: np.ndarray) -> np.ndarray:
    """The MLP's output pre-activations: the logits its ``predict_proba`` squashes.

    scikit-learn exposes no decision function for ``MLPClassifier``; this is its forward
    pass (ReLU hidden layers, the estimator's default) without the final logistic.
    """
    if model.activation != "relu":
        raise ValueError(f"mlp_logits supports ReLU hidden layers, not {model.activation!r}")
    a = np.asarray(X, dtype=np.float64)
    for weights, bias in zip(model.coefs_[:-1], model.intercepts_[:-1], strict=True):
        a = np.maximum(a @ weights + bias, 0.0)
    return a @ model.coefs_[-1] + model.intercepts_[-1]


def fit_prior(X: np.ndarray, Y: np.ndarray, params: BaselineParams, seed: int) -> Scorer:
    """Every image gets each genre's training frequency (the majority genre ranks first)."""
    prior = _logits(np.asarray(Y, dtype=np.float64).mean(axis=0))
    return lambda X_new: np.tile(prior, (len(X_new), 1))


def fit_logreg(X: np.ndarray, Y: np.ndarray, params: BaselineParams, seed: int) -> Scorer:
    """One-vs-rest logistic regression (lbfgs: deterministic, the seed is unused); its
    logits are the decision function, a genre constant in training at ``∓SURE``."""
    model = OneVsRestClassifier(
        LogisticRegression(C=params.logreg.C, max_iter=params.logreg.max_iter)
    )
    with warnings.catch_warnings():
        # A genre with no training image is predicted constant, with a warning.
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X, Y)
    return lambda X_new: _constant_columns(Y, model.decision_function(X_new))


def fit_mlp(X: np.ndarray, Y: np.ndarray, params: BaselineParams, seed: int) -> Scorer:
    """``MLPClassifier`` (Adam, ReLU, logistic outputs) for a fixed number of epochs; its
    logits are the output layer's pre-activations (:func:`mlp_logits`)."""
    p = params.mlp
    model = MLPClassifier(
        tuple(p.hidden_layer_sizes),
        learning_rate_init=p.learning_rate_init,
        batch_size=min(p.batch_size, len(X)),
        max_iter=p.max_iter,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # A fixed epoch budget, as the networks have: not converging is expected.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y)
    return lambda X_new: mlp_logits(model, X_new)


BASELINES: dict[str, Callable[[np.ndarray, np.ndarray, BaselineParams, int], Scorer]] = dict(
    zip(BASELINE_NAMES, (fit_prior, fit_logreg, fit_mlp), strict=True)
)
"""Each baseline's namespace and how it is fitted, in report order."""


def fit_baseline(
    model_input: dict[str, Any], params: BaselineParams, name: str
) -> tuple[dict[str, Any], dict[str, float]]:
    """Fit one baseline per seed on the training split and score validation and test.

    Args:
        model_input: Output of ``feature_engineering``.
        params: The ``baselines`` parameters.
        name: Which baseline (a key of :data:`BASELINES`).

    Returns:
        ``<name>.predictions`` (the layout of the networks' predictions: ``model``,
        ``genres``, ``seeds`` and per split ``image_ids``, ``Y`` and float64 ``logits``
        of shape ``(n_seeds, n, n_genres)``) and its timing.

    Raises:
        ValueError: If ``name`` is not a baseline.
    """
    if name not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; known: {sorted(BASELINES)}")
    X, Y = model_input["train"]["X"], np.asarray(model_input["train"]["Y"])
    scorers, seconds = [], []
    # one BLAS thread: small matrices, where a second thread only waits (see
    # art_genre.modelling.training.train_seeds)
    with threadpool_limits(limits=1, user_api="blas"):
        for seed in params.seeds:
            start = time.perf_counter()
            scorers.append(BASELINES[name](X, (Y > 0.5).astype(np.int64), params, seed))
            seconds.append(time.perf_counter() - start)
    start = time.perf_counter()
    predictions = predictions_record(
        name, model_input["genres"], params.seeds, model_input, scorers, SPLITS
    )
    timing = {
        "train_seconds": seconds[0],
        "train_seconds_all_seeds": float(sum(seconds)),
        "inference_seconds": time.perf_counter() - start,
    }
    logger.info("Fitted baseline %s over %d seeds in %.1f s.", name, len(seconds), sum(seconds))
    return predictions, timing
