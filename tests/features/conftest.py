"""Fixtures of the feature tests: one small random-weight backbone per session."""

from __future__ import annotations

import pytest

from art_genre.features import BackboneSettings, build_backbone

#: The cheapest backbone: MobileNet alpha 0.25, random (seeded) weights, offline.
TINY = BackboneSettings(name="mobilenet", alpha=0.25, weights=None, pooling="avg")


@pytest.fixture(scope="session")
def tiny_settings() -> BackboneSettings:
    return TINY


@pytest.fixture(scope="session")
def tiny_model(tiny_settings):
    """MobileNet 0.25 with random weights, built once for the whole session."""
    return build_backbone(tiny_settings)
