"""Shared fixtures of the nn tests."""

from __future__ import annotations

import numpy as np
import pytest

from tests.nn.helpers import make_separable


@pytest.fixture(scope="session")
def separable() -> tuple[np.ndarray, np.ndarray]:
    """``(X, Y)``: 240 rows, 6 features, 4 genres, separable clusters."""
    return make_separable()
