"""The study's any-match accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from art_genre.nn import any_match_accuracy


def test_any_match_accuracy_by_hand():
    Y = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 1], [0, 0, 0]])
    proba = np.array(
        [
            [0.1, 0.2, 0.9],  # top genre 2 is true -> hit
            [0.8, 0.7, 0.1],  # top genre 0 is false -> miss
            [0.3, 0.2, 0.4],  # hit even with a low probability
            [0.9, 0.0, 0.0],  # no true genre -> miss
        ]
    )
    assert any_match_accuracy(Y, proba) == 0.5
    assert any_match_accuracy(Y, np.log(proba + 1e-3)) == 0.5  # logits work too


def test_any_match_accuracy_rejects_bad_shapes():
    with pytest.raises(ValueError, match="same shape"):
        any_match_accuracy(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="at least one row"):
        any_match_accuracy(np.zeros((0, 3)), np.zeros((0, 3)))
