"""Typed parameters of the ``predict`` pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from art_genre.modelling import SNN, ModelName
from art_genre.params import ImageSuffixes, default_image_suffixes
from art_genre.quality import OnBadInput

OverlayFormat = Literal["png", "jpeg"]
"""File formats of the overlays (also their file suffixes)."""


class PredictParams(BaseModel):
    """What to predict with.

    Attributes:
        model: The trained model to use (``--params predict_model=adam``): a name of
            the roster, :data:`art_genre.modelling.MODEL_NAMES`.
        top_k: How many of the most probable genres to list per painting.
        image_suffixes: File suffixes taken as images (any case).
        on_bad_input: ``skip`` lists unreadable files in ``predictions.csv`` and goes on;
            ``fail`` stops at the first, naming it.
        explain: Also draw, per painting, why: its class activation maps
            (:mod:`art_genre.explain`) as ``data/07_model_output/explanations/<file>.png``,
            named in the ``explanation`` column of ``predictions.csv`` and shown on
            ``predictions.html``.
        explain_max_maps: At most this many maps per overlay: the assigned genres,
            most probable first, and the most probable genre when it is not assigned
            (always drawn, marked ``not assigned``).
        overlay_height: Height in pixels of each panel of an overlay.
        overlay_format: ``png`` (a 256-colour palette; the default) or ``jpeg``
            (quality 90: no palette or deflate, a cheaper overlay, see the README). The
            catalog's ``explanations`` takes its file suffix from the same value
            (``--params overlay_format=jpeg``, ``conf/base/globals.yml``).
    """

    model_config = ConfigDict(extra="forbid")

    model: ModelName = SNN
    top_k: int = Field(3, ge=1)
    image_suffixes: ImageSuffixes = Field(default_factory=default_image_suffixes)
    on_bad_input: OnBadInput = "skip"
    explain: bool = False
    explain_max_maps: int = Field(4, ge=1)
    overlay_height: int = Field(224, ge=64, le=1024)
    overlay_format: OverlayFormat = "png"
