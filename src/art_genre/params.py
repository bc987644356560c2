"""Parameter types shared by several pipelines (one declaration each).

``on_bad_input`` is :data:`art_genre.quality.OnBadInput`; the image suffixes are below.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from art_genre.labels import IMAGE_SUFFIXES


def normalise_suffixes(suffixes: list[str]) -> list[str]:
    """``["JPG", ".png"]`` → ``[".jpg", ".png"]``: one leading dot, lower case, sorted, once."""
    return sorted({"." + s.lower().lstrip(".") for s in suffixes})


def default_image_suffixes() -> list[str]:
    """:data:`~art_genre.labels.IMAGE_SUFFIXES` as a fresh list (a field's default)."""
    return list(IMAGE_SUFFIXES)


ImageSuffixes = Annotated[
    list[str], Field(min_length=1), AfterValidator(normalise_suffixes)
]
"""File suffixes taken as images, compared case-insensitively (at least one); a given
list is normalised by :func:`normalise_suffixes`. Use with
``Field(default_factory=default_image_suffixes)``."""


class RunLockParams(BaseModel):
    """``run_lock``: what a ``kedro run`` does when another run holds the data folder.

    Attributes:
        wait_seconds: 0 refuses at once, naming the other run; more waits that long
            for it to finish (saying so), then refuses.
    """

    model_config = ConfigDict(extra="forbid")

    wait_seconds: float = Field(0, ge=0)
