"""The bootstrap: weighted metrics, a known interval, planted and null differences."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from art_genre.evaluation.runs import ModelRuns, SplitRuns
from art_genre.evaluation.statistics import (
    bootstrap_comparison,
    macro_f1_weighted,
    resample_weights,
)

HEADLINE = [("any_match_accuracy", "none"), ("macro_f1", "0.5")]


def _runs(name: str, Y: np.ndarray, logits: np.ndarray) -> ModelRuns:
    """A model tested on ``Y`` with ``logits`` of shape (seeds, n, G); no validation."""
    ids = [f"img{i}" for i in range(len(Y))]
    empty = SplitRuns([], np.zeros((0, Y.shape[1]), int), np.zeros((len(logits), 0, Y.shape[1])))
    return ModelRuns(name, [f"g{j}" for j in range(Y.shape[1])], list(range(len(logits))),
                     empty, SplitRuns(ids, Y, logits))


def _cuts(runs: ModelRuns) -> list[np.ndarray]:
    return [np.zeros(len(runs.genres))] * len(runs.seeds)


def _one_hot_correct(n: int, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-genre images (2 genres); the top-1 genre is right where ``correct``."""
    Y = np.zeros((n, 2), int)
    Y[np.arange(n), np.arange(n) % 2] = 1
    logits = np.where(Y == 1, 1.0, -1.0)
    logits[~correct] *= -1  # the wrong genre wins
    return Y, logits[None]


def test_weights_count_draws():
    W = resample_weights(5, 7, np.random.default_rng(0))
    assert W.shape == (7, 5) and (W.sum(axis=1) == 5).all() and (W >= 0).all()
    with pytest.raises(ValueError, match="empty"):
        resample_weights(0, 3, np.random.default_rng(0))


def test_weighted_macro_f1_is_scikit_learns_on_the_drawn_rows():
    rng = np.random.default_rng(1)
    Y = (rng.random((30, 4)) < 0.4).astype(int)
    predicted = (rng.random((30, 4)) < 0.4).astype(int)
    W = resample_weights(30, 5, rng)
    present = np.flatnonzero(Y.sum(axis=0) > 0)
    got = macro_f1_weighted(W, Y, predicted, present)
    for b in range(5):
        rows = np.repeat(np.arange(30), W[b].astype(int))
        expected = f1_score(Y[rows], predicted[rows], labels=present, average="macro",
                            zero_division=0)
        assert got[b] == pytest.approx(expected)


def test_interval_of_a_known_proportion():
    """Any-match of 400 images, 300 right: the bootstrap interval of a proportion is
    p ± 1.96 sqrt(p (1 - p) / n) = 0.75 ± 0.0424."""
    n = 400
    correct = np.arange(n) < 300
    Y, logits = _one_hot_correct(n, correct)
    runs = {"m": _runs("m", Y, logits)}
    intervals, _ = bootstrap_comparison(runs, {"m": _cuts(runs["m"])}, HEADLINE[:1],
                                        n_boot=4000, seed=3)
    row = intervals.iloc[0]
    assert row["estimate"] == pytest.approx(0.75)
    half = 1.96 * np.sqrt(0.75 * 0.25 / n)
    assert row["low"] == pytest.approx(0.75 - half, abs=0.006)
    assert row["high"] == pytest.approx(0.75 + half, abs=0.006)


def test_paired_comparison_finds_a_planted_difference_and_not_a_null_one():
    n = 300
    rng = np.random.default_rng(5)
    base = rng.random(n) < 0.7
    better = base | (rng.random(n) < 0.5)  # right on every image base gets, and more
    Y, good = _one_hot_correct(n, better)
    _, plain = _one_hot_correct(n, base)
    # a null pair: the same skill, errors on other images
    shuffled = rng.permutation(base)
    _, other = _one_hot_correct(n, shuffled)
    runs = {"good": _runs("good", Y, good), "plain": _runs("plain", Y, plain),
            "other": _runs("other", Y, other)}
    cuts = {k: _cuts(v) for k, v in runs.items()}
    _, pairwise = bootstrap_comparison(runs, cuts, HEADLINE, n_boot=2000, seed=0)
    any_match = pairwise[pairwise["metric"] == "any_match_accuracy"].set_index(["model_a", "model_b"])
    planted = any_match.loc[("good", "plain")]
    assert planted["distinguishable"] and planted["low"] > 0
    assert planted["difference"] == pytest.approx(better.mean() - base.mean(), abs=1e-6)
    null = any_match.loc[("plain", "other")]
    assert null["difference"] == pytest.approx(0.0)
    assert not null["distinguishable"] and null["low"] < 0 < null["high"]


def test_seeds_are_averaged_and_the_bootstrap_is_repeatable():
    n = 50
    rng = np.random.default_rng(2)
    Y, a = _one_hot_correct(n, rng.random(n) < 0.6)
    _, b = _one_hot_correct(n, rng.random(n) < 0.8)
    runs = {"m": _runs("m", Y, np.concatenate([a, b]))}
    first = bootstrap_comparison(runs, {"m": _cuts(runs["m"])}, HEADLINE, n_boot=200, seed=1)
    again = bootstrap_comparison(runs, {"m": _cuts(runs["m"])}, HEADLINE, n_boot=200, seed=1)
    assert first[0].equals(again[0])
    hits = [(np.argmax(s, axis=1) == np.argmax(Y, axis=1)).mean() for s in (a[0], b[0])]
    assert first[0].iloc[0]["estimate"] == pytest.approx(np.mean(hits), abs=1e-6)


def test_models_on_other_test_images_are_refused():
    Y, logits = _one_hot_correct(10, np.ones(10, bool))
    a = _runs("a", Y, logits)
    b = ModelRuns("b", a.genres, a.seeds, a.val, SplitRuns(list("abcdefghij"), Y, logits))
    with pytest.raises(ValueError, match="other images"):
        bootstrap_comparison({"a": a, "b": b}, {"a": _cuts(a), "b": _cuts(b)}, HEADLINE)
