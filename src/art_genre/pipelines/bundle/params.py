"""Typed parameters of the ``bundle`` pipeline."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from art_genre.modelling import ADAM, ModelName


class BundleParams(BaseModel):
    """Which model to bundle and hand over.

    Attributes:
        model: The model of the bundle (``--params predict_model=snn``).
        data_dir: The painting folder (``--params data_dir=PATH``): the logged model's
            input example names images of it.
        example_images: How many images the input example names.
    """

    model_config = ConfigDict(extra="forbid")

    model: ModelName = ADAM
    data_dir: str
    example_images: int = Field(1, ge=1)
