"""Fixtures of the feature tests: one small random-weight backbone per session, and a
fresh interpreter that reads the shared Keras weights."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest

from art_genre.features import BackboneSettings, build_backbone
from tests.conftest import SHARED_KERAS

#: The cheapest backbone: MobileNet alpha 0.25, random (seeded) weights, offline.
TINY = BackboneSettings(name="mobilenet", alpha=0.25, weights=None, pooling="avg")


@pytest.fixture(scope="session")
def tiny_settings() -> BackboneSettings:
    return TINY


@pytest.fixture(scope="session")
def tiny_model(tiny_settings):
    """MobileNet 0.25 with random weights, built once for the whole session."""
    return build_backbone(tiny_settings)


@pytest.fixture
def shared_keras_python() -> Callable[..., str]:
    """``run(code, timeout=120, **env)``: run ``code`` (dedented) in a fresh interpreter
    with ``KERAS_HOME`` on the shared weights (Keras reads it once, when imported) and
    ``env`` added; assert it succeeded and return the last line it printed."""

    def run(code: str, timeout: int = 120, **env: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", textwrap.dedent(code)],
            check=False,
            env={**os.environ, "KERAS_HOME": str(SHARED_KERAS), "TF_CPP_MIN_LOG_LEVEL": "3",
                 **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip().splitlines()[-1]

    return run
