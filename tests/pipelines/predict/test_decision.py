"""The one decision rule, calibrated probabilities, and which genres an overlay maps."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from art_genre.modelling.classifier import IncompatibleArtefactsError
from art_genre.pipelines.predict.decision import (
    decide,
    rule_record,
    shown_genres,
    temperature_of,
)


def test_calibration_changes_probabilities_not_decisions():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, (200, 5))
    cuts = np.array([-2.0, 0.0, 0.5, 3.0, 4.5])
    plain = decide(logits, cuts, 1.0)
    calibrated = decide(logits, cuts, 2.5)
    np.testing.assert_array_equal(plain.assigned, calibrated.assigned)
    np.testing.assert_allclose(calibrated.probabilities, expit(logits / 2.5))
    np.testing.assert_allclose(calibrated.thresholds, expit(cuts / 2.5))
    # the rule holds on the shown scale: p >= threshold exactly when assigned
    np.testing.assert_array_equal(
        calibrated.probabilities >= calibrated.thresholds, calibrated.assigned)


def test_saturated_probabilities_are_ranked_by_logit():
    decisions = decide(np.array([[40.0, 50.0, -1.0]]), np.zeros(3), 1.0)
    assert decisions.probabilities[0, 0] == decisions.probabilities[0, 1] == 1.0
    assert decisions.ranked(0) == [1, 0, 2]


def test_an_overlay_maps_the_assigned_genres_and_a_top_genre_left_out():
    logits = np.array([[3.0, 2.0, 1.0, -1.0], [3.0, 2.0, 1.0, -1.0]])
    # row 0: genres 1 and 2 assigned, the top one (0) not; row 1: 0 and 1 assigned
    cuts_row0 = np.array([5.0, 0.0, 0.0, 0.0])
    decisions = decide(logits[:1], cuts_row0, 1.0)
    assert shown_genres(decisions, 0, limit=4) == [0, 1, 2]
    assert shown_genres(decisions, 0, limit=2) == [0, 1]  # the top genre is always drawn
    decisions = decide(logits[1:], np.array([0.0, 0.0, 5.0, 5.0]), 1.0)
    assert shown_genres(decisions, 0, limit=4) == [0, 1]


def test_no_calibration_is_temperature_one():
    assert temperature_of("adam", {}) == 1.0
    assert temperature_of("adam", {"temperature": 1.37, "method": "nll"}) == 1.37


@pytest.mark.parametrize("bad", [0, -1.0, "warm", None, float("nan"), float("inf")])
def test_an_unusable_temperature_is_one_line_naming_the_file(bad):
    with pytest.raises(IncompatibleArtefactsError, match="adam_calibration.json has temperature"):
        temperature_of("adam", {"temperature": bad})


def test_the_sidecar_lists_every_genre_threshold_model_and_temperature():
    selection = {"model": "adam", "model_hash": "abc", "temperature": 2.0,
                 "calibrated": True, "thresholds": np.array([0.0, 2.0])}
    decisions = decide(np.zeros((1, 2)), selection["thresholds"], 2.0)
    record = rule_record(selection, ["Baroque", "Cubism"], decisions.thresholds,
                         {"session_id": "s"})
    assert record["model"] == "adam" and record["model_hash"] == "abc"
    assert record["temperature"] == 2.0 and record["calibrated"] is True
    assert record["genres"]["Baroque"] == {"threshold": 0.5, "threshold_logit": 0.0}
    assert record["genres"]["Cubism"]["threshold"] == pytest.approx(expit(1.0), abs=1e-6)
    assert record["training_run"] == {"session_id": "s"}
