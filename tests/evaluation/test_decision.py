"""The decision rules: one global cut, and per-genre cuts held in check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from art_genre.evaluation.decision import (
    checked_thresholds,
    global_threshold,
    macro_f1_at,
)
from art_genre.evaluation.metrics import tune_thresholds

GENRES = ["a", "b"]


def test_macro_f1_at_counts_each_cut():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    scores = np.array([[2.0, -1.0], [1.0, 3.0], [-1.0, 0.5], [0.0, -2.0]])
    # cut 0.75: a -> {0, 1} all right (F1 1); b -> {1} of {1, 2} (F1 2/3)
    # cut -1.5: a -> {0, 1, 2, 3} (tp 2, fp 2: F1 2/3); b -> {0, 1, 2} (tp 2, fp 1: 0.8)
    np.testing.assert_allclose(macro_f1_at(Y, scores, np.array([0.75, -1.5])),
                               [(1 + 2 / 3) / 2, (2 / 3 + 0.8) / 2])


def test_the_global_cut_is_the_best_one_and_the_highest_of_ties():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    scores = np.array([[2.0, -1.0], [1.0, 3.0], [-1.0, 0.5], [0.0, -2.0]])
    cut = global_threshold(Y, scores)
    # every cut in (0.0, 0.5] assigns a -> {0, 1} and b -> {1, 2}: macro-F1 1
    assert 0.0 < cut <= 0.5
    assert macro_f1_at(Y, scores, np.array([cut]))[0] == 1.0


def test_a_rare_genre_takes_the_global_cut_and_every_cut_stays_in_bounds():
    rng = np.random.default_rng(0)
    n = 200
    Y = np.zeros((n, 2), int)
    Y[:100, 0] = 1
    Y[:3, 1] = 1  # b: 3 positives only
    scores = rng.normal(size=(n, 2)) + 2.5 * Y
    scores[:3, 1] = 6.0  # b's positives all very confident: its own cut would be ~6
    own = tune_thresholds(Y, scores, GENRES)
    checked = checked_thresholds(Y, scores, GENRES, min_positives=5, prior_strength=10,
                                 bounds=(0.05, 0.9))
    shared = global_threshold(Y, scores)
    assert own["b"] > logit(0.95)  # above the upper bound: the bound and the rule matter
    assert checked["b"] == pytest.approx(np.clip(shared, logit(0.05), logit(0.9)))
    expected_a = (100 * own["a"] + 10 * shared) / 110
    assert checked["a"] == pytest.approx(np.clip(expected_a, logit(0.05), logit(0.9)))
    for cut in checked.values():
        assert 0.05 - 1e-12 <= expit(cut) <= 0.9 + 1e-12


def test_the_upper_bound_assigns_every_confident_genre():
    Y = np.array([[0, 1]] * 10 + [[1, 0]] * 10)
    scores = np.where(Y == 1, 8.0, 4.0)  # the negatives score 0.98: own cuts above them
    checked = checked_thresholds(Y, scores, GENRES, min_positives=1, bounds=(0.05, 0.9))
    assert all(cut <= logit(0.9) + 1e-12 for cut in checked.values())
    assert (scores >= np.array(list(checked.values()))).all()


@pytest.mark.parametrize("temperature", [0.25, 1.0, 3.0])
def test_the_bounds_hold_for_the_probabilities_shown_whatever_the_temperature(temperature):
    rng = np.random.default_rng(1)
    Y = (rng.random((300, 2)) < 0.4).astype(int)
    scores = rng.normal(size=(300, 2)) * 4 + 3.0 * Y + 2.0  # confident negatives too
    checked = checked_thresholds(Y, scores, GENRES, min_positives=1, bounds=(0.05, 0.9),
                                 temperature=temperature)
    cuts = np.array([checked[g] for g in GENRES])
    shown = expit(cuts / temperature)
    assert ((shown >= 0.05 - 1e-12) & (shown <= 0.9 + 1e-12)).all()
    shown_p = expit(scores / temperature)
    assert (scores[shown_p >= 0.9] >= np.broadcast_to(cuts, scores.shape)[shown_p >= 0.9]).all()
    if temperature < 1:  # the same bounds as raw probabilities would be broken here
        raw = checked_thresholds(Y, scores, GENRES, min_positives=1, bounds=(0.05, 0.9))
        assert max(expit(np.array(list(raw.values())) / temperature)) > 0.9
