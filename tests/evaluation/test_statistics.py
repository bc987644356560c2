"""The bootstrap: weighted metrics, a known interval, planted and null differences."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from art_genre.evaluation.runs import ModelRuns, SplitRuns
from art_genre.evaluation.statistics import (
    bootstrap_comparison,
    bootstrap_p,
    choose_units,
    holm,
    macro_f1_weighted,
    resample_seeds,
    resample_units,
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
    got = macro_f1_weighted(W, Y, predicted)
    for b in range(5):
        rows = np.repeat(np.arange(30), W[b].astype(int))
        present = np.flatnonzero(Y[rows].sum(axis=0) > 0)
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
                                        n_boot=4000, seed=3)  # one seed: images only
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
        bootstrap_comparison({"a": a, "b": b}, {"a": _cuts(a), "b": _cuts(b)}, HEADLINE, 100)


# ------------------------------------------------------------- two levels, units, Holm


def test_holm_on_a_case_computed_by_hand():
    """p = (0.01, 0.04, 0.03, 0.20), m = 4. Sorted: 0.01*4 = 0.04, 0.03*3 = 0.09,
    0.04*2 = 0.08 -> 0.09 (monotone), 0.20*1 = 0.20."""
    adjusted = holm([0.01, 0.04, 0.03, 0.20])
    np.testing.assert_allclose(adjusted, [0.04, 0.09, 0.09, 0.20])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1


def test_p_value_never_reaches_zero_and_counts_ties_on_both_sides():
    assert bootstrap_p(np.full(9999, 0.3)) == pytest.approx(2 / 10_000)
    assert bootstrap_p(np.zeros(100)) == 1.0
    assert bootstrap_p(np.array([-1.0, 1.0, 2.0, 3.0])) == pytest.approx(2 * 2 / 5)


def test_a_rare_genre_is_left_out_of_the_resamples_that_miss_it():
    """Genre 1 has one test image, predicted right. On a resample without it the point
    estimate's rule (average the genres present) gives genre 0's F1 alone, not a 0 for
    genre 1 that would pull the bootstrap below the estimate."""
    Y = np.zeros((20, 2), int)
    Y[:, 0] = 1
    Y[0] = [0, 1]
    predicted = Y.copy()
    predicted[1, 0] = 0  # one miss of genre 0: F1 = 36/37
    with_rare = np.ones((1, 20))
    without = np.ones((1, 20))
    without[0, 0] = 0
    f1_0 = 2 * 18 / (2 * 18 + 1)
    assert macro_f1_weighted(with_rare, Y, predicted)[0] == pytest.approx((f1_0 + 1) / 2)
    assert macro_f1_weighted(without, Y, predicted)[0] == pytest.approx(f1_0)
    # the bootstrap's centre stays at the estimate
    W = resample_weights(20, 4000, np.random.default_rng(0))
    assert np.median(macro_f1_weighted(W, Y, predicted)) >= f1_0 - 0.01


def test_units_are_artists_only_with_enough_of_them():
    few = choose_units(8, ["a", "a", "b", "b", "c", "c", "d", "d"])
    assert few.kind == "image" and "4 artist" in few.reason and few.n_units == 8
    assert choose_units(3, ["", "", ""]).kind == "image"
    many = choose_units(50, [f"artist{i // 2}" for i in range(50)])
    assert many.kind == "artist" and many.n_units == 25
    W = resample_units(many, 30, np.random.default_rng(0))
    assert (W[:, 0::2] == W[:, 1::2]).all()  # an artist's paintings are drawn together
    assert (W.sum(axis=1) == 50).all()
    with pytest.raises(ValueError, match="3 artists given for 4"):
        choose_units(4, ["a", "b", "c"])


def test_seed_shares_sum_to_one():
    shares = resample_seeds(5, 100, np.random.default_rng(0))
    assert shares.shape == (100, 5)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert (resample_seeds(1, 3, np.random.default_rng(0)) == 1).all()


def _simulated_pair(rng: np.random.Generator, n: int, n_seeds: int, sd: float):
    """Two models of known any-match 0.75 and 0.70; each seed's skill moves by N(0, sd)."""
    Y = np.zeros((n, 2), int)
    Y[np.arange(n), np.arange(n) % 2] = 1
    runs = {}
    for name, skill in (("a", 0.75), ("b", 0.70)):
        logits = []
        for _ in range(n_seeds):
            correct = rng.random(n) < skill + rng.normal(0, sd)
            logits.append(_one_hot_correct(n, correct)[1][0])
        runs[name] = _runs(name, Y, np.stack(logits))
    return runs


def test_two_level_interval_covers_the_truth_and_images_only_does_not():
    """400 replicates: fresh test images and fresh training runs each time, a true
    difference of 0.05 and a per-seed training sd of 0.08. The two-level interval
    covers 0.05 in 95 % +- 3 % of them; holding the seeds fixed covers far less."""
    rng = np.random.default_rng(20)
    covered = {True: 0, False: 0}
    replicates = 400
    for r in range(replicates):
        runs = _simulated_pair(rng, n=300, n_seeds=10, sd=0.08)
        cuts = {k: _cuts(v) for k, v in runs.items()}
        for two_level in (True, False):
            _, pairwise = bootstrap_comparison(runs, cuts, HEADLINE[:1], n_boot=500, seed=r,
                                               two_level=two_level)
            low, high = pairwise.iloc[0][["low", "high"]]
            covered[two_level] += bool(low <= 0.05 <= high)
    assert 0.92 <= covered[True] / replicates <= 0.98
    assert covered[False] / replicates < 0.90
