"""Typed parameters of the ``data_processing`` pipeline.

Kedro validates ``params:`` inputs against these models before any node runs, so a wrong
setting fails at once with a message naming it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from art_genre.params import ImageSuffixes, default_image_suffixes
from art_genre.quality import OnBadInput

Layout = Literal["auto", "resized", "images", "folders"]


class SplitParams(BaseModel):
    """How images are split into train / validation / test.

    Attributes:
        strategy: ``random`` per image (the study's), ``stratified`` per image keeping the
            share of each genre combination, or ``artist`` (grouped: no artist on two
            sides, so the score cannot come from recognising the artist).
        test_size: Share of all images in the test split (the study: 0.2).
        val_size: Share of all images in the validation split, taken from the training
            side; used for early stopping and threshold tuning, never the test split.
            0 (the study's protocol, `--env study_protocol`): no validation split.
        random_state: Seed of the split (the study: 42).
    """

    model_config = ConfigDict(extra="forbid")

    strategy: Literal["random", "stratified", "artist"] = "random"
    test_size: float = Field(0.2, gt=0, lt=1)
    val_size: float = Field(0.1, ge=0, lt=1)
    random_state: int = 42

    @model_validator(mode="after")
    def _train_keeps_images(self) -> SplitParams:
        if self.test_size + self.val_size >= 1:
            raise ValueError(
                f"split.test_size + split.val_size must be below 1 so that training keeps "
                f"images; got {self.test_size} + {self.val_size}"
            )
        return self


class DataProcessingParams(BaseModel):
    """Parameters of the ``data_processing`` pipeline.

    Attributes:
        layout: ``auto`` detects it; ``resized`` is Kaggle's flat
            ``resized/Artist_Name_N.jpg``, ``images`` Kaggle's
            ``images/Artist_Name/Artist_Name_N.jpg``, ``folders`` labelled folders
            ``images/<Genre>/*.jpg`` without ``artists.csv``.
        on_bad_input: ``skip`` lists each unusable input in the data-quality report and
            goes on; ``fail`` stops at the first one, naming the file.
        image_suffixes: File suffixes taken as images (compared case-insensitively).
        split: See :class:`SplitParams`.
    """

    model_config = ConfigDict(extra="forbid")

    layout: Layout = "auto"
    on_bad_input: OnBadInput = "skip"
    image_suffixes: ImageSuffixes = Field(default_factory=default_image_suffixes)
    split: SplitParams = Field(default_factory=SplitParams)
