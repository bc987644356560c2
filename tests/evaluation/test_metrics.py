"""Metric functions: hand-computed tiny examples, agreement with scikit-learn, tuning."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, hamming_loss, roc_auc_score

from art_genre.evaluation.metrics import (
    binarize,
    macro_roc_auc,
    per_genre_table,
    rounded,
    thresholded_metrics,
    tune_threshold,
    tune_thresholds,
)
from art_genre.evaluation.results import evaluate_runs
from art_genre.evaluation.runs import model_runs
from tests.reporting_fakes import GENRES, fake_predictions


def split_metrics(Y, P, _settings=None) -> dict:
    """The threshold-free scores of one split through the results table (one seed)."""
    runs = model_runs(
        {"model": "m", "genres": GENRES[: Y.shape[1]] if Y.shape[1] <= 3 else [str(i) for i in range(Y.shape[1])],
         "seeds": [0],
         "val": {"image_ids": [], "Y": np.zeros((0, Y.shape[1])), "logits": np.zeros((1, 0, Y.shape[1]))},
         "test": {"image_ids": [str(i) for i in range(len(Y))], "Y": Y, "logits": P[None]}}
    )
    table, _, _ = evaluate_runs(runs)
    rows = table[table["thresholds"] == "none"]
    return dict(zip(rows["metric"], rows["value"], strict=True))

# Four images, three genres (worked out by hand in the comments below).
Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=float)
P = np.array([[0.9, 0.2, 0.4], [0.8, 0.7, 0.1], [0.3, 0.8, 0.6], [0.2, 0.1, 0.55]])


def test_hand_computed_example_at_half():
    predicted = binarize(P, 0.5)  # [[1,0,0],[1,1,0],[0,1,1],[0,0,1]]
    scores = thresholded_metrics(Y, predicted)
    assert scores["subset_accuracy"] == pytest.approx(1 / 4)  # only the last row
    assert scores["hamming_loss"] == pytest.approx(4 / 12)
    assert scores["micro_f1"] == pytest.approx(2 / 3)  # TP 4, FP 2, FN 2
    assert scores["macro_f1"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert scores["weighted_f1"] == pytest.approx(2 / 3)  # supports 2, 2, 2
    assert scores["samples_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2 + 1) / 4)
    assert scores["genres_present"] == 3
    assert scores["macro_f1_vocabulary"] == scores["macro_f1"]  # every genre present


def test_three_macro_f1_definitions():
    Y2 = Y.copy()
    Y2[:, 2] = 0  # genre 2 absent from the split
    predicted = binarize(P, 0.5)
    # genre 1 had no training image (an artist split)
    scores = thresholded_metrics(Y2, predicted, trained=[True, False, True])
    assert scores["macro_f1"] == pytest.approx((0.5 + 1) / 2)  # the present genres
    assert scores["macro_f1_vocabulary"] == pytest.approx((0.5 + 1 + 0) / 3)  # the study's
    assert scores["macro_f1_trained"] == pytest.approx(0.5)  # present and trained
    assert scores["genres_present"] == 2


def test_hand_computed_threshold_free_metrics():
    record = split_metrics(Y, P, {"threshold_0.5": 0.5})
    assert record["n_images"] == 4
    # top-1 genres 0, 0, 1, 2: the second image (true genre 1) misses
    assert record["any_match_accuracy"] == 0.75
    assert record["macro_roc_auc"] == pytest.approx((3 / 4 + 1 + 1 / 2) / 3)
    assert record["roc_auc_genres"] == 3


def test_auc_skips_genres_without_both_classes_and_is_null_without_any():
    Y2 = Y.copy()
    Y2[:, 2] = 1  # genre 2 has no negative
    auc, n = macro_roc_auc(Y2, P)
    assert n == 2
    assert auc == pytest.approx(roc_auc_score(Y2[:, :2], P[:, :2], average="macro"))
    assert macro_roc_auc(np.ones_like(Y), P) == (None, 0)
    assert np.isnan(split_metrics(np.ones_like(Y), P)["macro_roc_auc"])  # an empty cell


def test_agrees_with_scikit_learn_on_random_data():
    rng = np.random.default_rng(3)
    Yr = (rng.random((50, 5)) < 0.3).astype(float)
    Yr[:, 4] = 0  # an absent genre: left out of macro-F1, kept in the others
    proba = rng.random((50, 5))
    predicted = binarize(proba, 0.5)
    scores = thresholded_metrics(Yr, predicted)
    assert scores["micro_f1"] == pytest.approx(
        f1_score(Yr, predicted, average="micro", zero_division=0)
    )
    assert scores["macro_f1"] == pytest.approx(
        f1_score(Yr, predicted, labels=[0, 1, 2, 3], average="macro", zero_division=0)
    )
    assert scores["weighted_f1"] == pytest.approx(
        f1_score(Yr, predicted, average="weighted", zero_division=0)
    )
    assert scores["samples_f1"] == pytest.approx(
        f1_score(Yr, predicted, average="samples", zero_division=0)
    )
    assert scores["hamming_loss"] == pytest.approx(hamming_loss(Yr, predicted))
    assert scores["genres_present"] == 4
    record = split_metrics(Yr, proba, {"threshold_0.5": 0.5})
    top = proba.argmax(axis=1)
    assert record["any_match_accuracy"] == pytest.approx(
        Yr[np.arange(50), top].mean(), abs=1e-6
    )


def test_per_genre_table_by_hand():
    table = per_genre_table(Y, binarize(P, 0.5), GENRES, [0.5] * 3)
    assert list(table.columns) == [
        "genre",
        "threshold",
        "precision",
        "recall",
        "f1",
        "support",
    ]
    assert table["f1"].tolist() == [0.5, 1.0, 0.5]
    assert table["precision"].tolist() == [0.5, 1.0, 0.5]
    assert table["support"].tolist() == [2, 2, 2]


def test_tune_threshold_by_hand():
    # F1 at each candidate: 0.9 -> .67, 0.8 -> .5, 0.7 -> .8 (best), 0.4 -> .67, 0.1 -> .57;
    # halfway between 0.7 and the next lower validation score 0.4
    assert tune_threshold([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.4, 0.1]) == pytest.approx(
        0.55
    )
    assert (
        tune_threshold([0, 0, 0], [0.9, 0.2, 0.1]) is None
    )  # no positive: nothing to tune
    assert tune_threshold([1, 1], [0.3, 0.6]) == pytest.approx(0.3)  # the lowest score


def test_tuned_thresholds_maximise_validation_f1():
    rng = np.random.default_rng(0)
    Yv = (rng.random((40, 3)) < 0.4).astype(float)
    proba = np.clip(0.5 * Yv + 0.6 * rng.random((40, 3)), 0, 1)
    thresholds = tune_thresholds(Yv, proba, GENRES)
    for j, genre in enumerate(GENRES):
        best = f1_score(Yv[:, j], proba[:, j] >= thresholds[genre])
        for t in np.unique(proba[:, j]):
            assert best >= f1_score(Yv[:, j], proba[:, j] >= t) - 1e-12


def test_genre_without_validation_positive_keeps_default():
    Yv = Y.copy()
    Yv[:, 1] = 0
    assert tune_thresholds(Yv, P, GENRES)["Cubism"] == 0.0  # logit 0: probability 0.5


def test_tuned_thresholds_keep_full_precision_and_separate_close_scores():
    """Two validation logits 1e-9 apart: the cut falls between them and stays there."""
    import json

    y = np.array([1, 0, 0])
    logits = np.array([30.000000001, 30.0, -2.0])
    cut = tune_thresholds(y[:, None], logits[:, None], ["g"])["g"]
    assert logits[1] < cut < logits[0]
    assert json.loads(json.dumps(cut)) == cut  # written and read back exactly
    assert binarize(logits[:, None], [cut]).ravel().tolist() == [1, 0, 0]


def test_thresholds_use_validation_only():
    predictions = fake_predictions()["snn"]
    table, thresholds, _ = evaluate_runs(model_runs(predictions))
    changed = {**predictions, "test": dict(predictions["test"])}
    rng = np.random.default_rng(99)
    changed["test"]["logits"] = rng.normal(size=predictions["test"]["logits"].shape)
    changed["test"]["Y"] = 1 - predictions["test"]["Y"]
    table_changed, thresholds_changed, _ = evaluate_runs(model_runs(changed))
    assert thresholds_changed == thresholds
    val = table[table["split"] == "val"].reset_index(drop=True)
    assert val.equals(table_changed[table_changed["split"] == "val"].reset_index(drop=True))


def test_evaluate_runs_layout():
    predictions = fake_predictions()["bnn"]
    table, thresholds, genre_table = evaluate_runs(model_runs(predictions), "main")
    assert list(table.columns) == [
        "model", "configuration", "seed", "split", "thresholds", "metric", "value"
    ]
    assert set(table["seed"]) == {42, 7} and set(table["configuration"]) == {"main"}
    for split in ("val", "test"):
        rows = table[(table["split"] == split) & (table["seed"] == 42)]
        assert set(rows.loc[rows["thresholds"] == "none", "metric"]) == {
            "n_images", "any_match_accuracy", "macro_roc_auc", "roc_auc_genres",
            "brier_score", "ece",
        }
        for setting in ("0.5", "tuned"):
            assert set(rows.loc[rows["thresholds"] == setting, "metric"]) == {
                "subset_accuracy", "hamming_loss", "micro_f1", "macro_f1",
                "macro_f1_vocabulary", "macro_f1_trained", "weighted_f1", "samples_f1",
                "genres_present",
            }
    assert len(thresholds) == 2 and all(list(t) == GENRES for t in thresholds)
    assert len(genre_table) == 2 * 2 * 2 * len(GENRES)
    tuned = genre_table[(genre_table["split"] == "test") & (genre_table["thresholds"] == "tuned")
                        & (genre_table["seed"] == 42)]
    from scipy.special import expit

    assert tuned["threshold"].tolist() == pytest.approx([expit(thresholds[0][g]) for g in GENRES], abs=1e-6)


def test_empty_split_is_reported_not_failed():
    predictions = fake_predictions()["snn"]
    predictions["val"] = {
        "image_ids": [],
        "logits": np.zeros((2, 0, 3)),
        "Y": np.zeros((0, 3)),
    }
    table, thresholds, genre_table = evaluate_runs(model_runs(predictions))
    assert set(table["split"]) == {"test"}
    assert all(set(t.values()) == {0.0} for t in thresholds)  # 0.5 in probability
    assert set(genre_table["split"]) == {"test"}


def test_rounded_is_json_ready():
    value = rounded(
        {"a": np.float32(0.1234567891), "b": [np.int64(3), float("nan")], "c": np.True_}
    )
    assert value == {"a": 0.123457, "b": [3, None], "c": True}
    assert type(value["b"][0]) is int


def test_calibration_scores_and_temperature():
    """Over-confident logits (x3 the true log-odds): the fitted temperature is about 3,
    the ECE falls, and every 0/1 prediction at logit 0 stays the same."""
    from scipy.special import expit

    from art_genre.evaluation.calibration import (
        brier_score,
        calibrated_proba,
        expected_calibration_error,
        fit_temperature,
    )

    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.5, size=(4000, 3))
    Y = (rng.random(true_logits.shape) < expit(true_logits)).astype(int)
    logits = 3 * true_logits
    temperature = fit_temperature(Y, logits)
    assert temperature == pytest.approx(3.0, rel=0.1)
    before = expected_calibration_error(Y, expit(logits), 15)
    after = expected_calibration_error(Y, calibrated_proba(logits, temperature), 15)
    assert after < before / 2
    assert brier_score(Y, calibrated_proba(logits, temperature)) < brier_score(Y, expit(logits))
    assert ((calibrated_proba(logits, temperature) >= 0.5) == (logits >= 0)).all()
    # a hand case: two bins, |0.5 - 0.1| * 2/4 + |1 - 0.9| * 2/4 = 0.25
    assert expected_calibration_error([0, 1, 1, 1], [0.1, 0.1, 0.9, 0.9], 2) == pytest.approx(0.25)
    assert fit_temperature(np.zeros((0, 3)), np.zeros((0, 3))) == 1.0
    with pytest.raises(ValueError, match="No forecasts"):
        expected_calibration_error([], [], 15)


def _best_cut_by_fractions(y: np.ndarray, scores: np.ndarray) -> float:
    """The highest validation score whose cut has the maximal F1, in exact fractions."""
    from fractions import Fraction

    best, best_f1 = None, Fraction(-1)
    for cut in sorted(set(scores), reverse=True):
        predicted = scores >= cut
        tp = int((predicted & (y == 1)).sum())
        f1 = Fraction(2 * tp, int(predicted.sum()) + int(y.sum()))
        if f1 > best_f1:
            best, best_f1 = cut, f1
    return float(best)


def test_f1_ties_are_decided_from_integer_counts():
    """Random genres with many exact F1 ties (coarse scores): the cut is the highest
    score among exactly equal F1s, as integer fractions decide, on every one of them."""
    from art_genre.evaluation.metrics import tune_threshold

    rng = np.random.default_rng(387)
    ties_seen = 0
    for _ in range(387):
        n = int(rng.integers(5, 60))
        y = (rng.random(n) < rng.uniform(0.1, 0.6)).astype(int)
        if not y.sum():
            continue
        scores = rng.integers(0, 8, n).astype(float) / 7  # many equal scores
        cut = _best_cut_by_fractions(y, scores)
        lower = scores[scores < cut]
        expected = (cut + lower.max()) / 2 if lower.size else cut
        assert tune_threshold(y, scores) == expected
        f1s = [2 * ((scores >= c) & (y == 1)).sum() / ((scores >= c).sum() + y.sum())
               for c in set(scores)]
        ties_seen += len(f1s) != len(set(f1s))
    assert ties_seen > 10  # the case exercises ties
    # a tie by hand: P = 2; cut 0.9 -> TP 1 of 1 predicted: F1 2/3; cut 0.5 -> TP 2 of 4
    # predicted: F1 4/6 = 2/3; the higher cut wins
    y = np.array([1, 0, 0, 1, 0])
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.1])
    assert tune_threshold(y, scores) == pytest.approx((0.9 + 0.5) / 2)


def test_perfectly_separated_validation_logits_leave_the_probabilities_uncalibrated(caplog):
    """Every logit already on its label's side: the cross-entropy only falls as T -> 0,
    so a fit would end on the bound and print every probability as 0 or 1."""
    from art_genre.evaluation.calibration import fit_temperature

    Y = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    logits = np.where(Y == 1, 0.4, -0.6)
    with caplog.at_level("WARNING", logger="art_genre.evaluation.calibration"):
        assert fit_temperature(Y, logits) == 1.0
    assert "left uncalibrated (T = 1)" in caplog.text
    logits[0, 1] = 0.2  # one pair on the wrong side: a real fit, not the bound
    temperature = fit_temperature(Y, logits)
    assert np.exp(-4.0) * 1.01 < temperature != 1.0
