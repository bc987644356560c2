"""Data-quality bookkeeping shared by every pipeline.

Every input the pipelines cannot use is either *skipped and listed* (one log line and one
row ``(file, reason)`` in a data-quality table) or *fatal* (a :class:`BadInputError` naming
the file), as chosen by the ``on_bad_input`` parameter. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

import pandas as pd

QUALITY_COLUMNS = ["stage", "file", "reason"]

OnBadInput = Literal["skip", "fail"]
"""What to do with an unusable input (the ``on_bad_input`` parameter of every pipeline)."""


class BadInputError(ValueError):
    """An input file or row cannot be used and the run was asked to fail on bad input."""


def describe_error(error: BaseException) -> str:
    """``"Type: message"`` of the root cause of an error.

    Kedro wraps a dataset's failure in a ``DatasetError`` whose message repeats the whole
    dataset description; the user needs Pillow's (or the parser's) own words.
    """
    while error.__cause__ is not None:
        error = error.__cause__
    message = _OBJECT_REPR.sub("the file", " ".join(str(error).split())) or "no message"
    return f"{type(error).__name__}: {message}"


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
"""A Python object's default repr (``<fsspec...LocalFileOpener object at 0x7f...>``):
an address that means nothing to the reader, kept out of every message."""


def empty_file_reason(loader: object) -> str | None:
    """``"empty file (0 bytes)"`` when a partition's file is empty, else ``None``.

    Pillow says "cannot identify image file" for an empty file as for any non-image; the
    size tells the two apart. ``loader`` is a partitioned dataset's lazy ``load``.
    """
    dataset = getattr(loader, "__self__", None)
    try:
        size = dataset._fs.size(dataset._get_load_path())  # noqa: SLF001 - kedro-datasets' own
    except Exception:  # noqa: BLE001 - no size to tell: the caller keeps Pillow's words
        return None
    return "empty file (0 bytes)" if size == 0 else None


NOT_UTF8 = "file name is not valid UTF-8 (rename the file; shown here with \\x escapes)"
"""The reason listed for a file whose name's bytes are not UTF-8."""


def is_utf8_name(name: str) -> bool:
    """Whether a file name read from disk was valid UTF-8.

    Python decodes an undecodable byte of a file name as a lone surrogate
    (``surrogateescape``); such a name cannot be written to a CSV, a log or JSON.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable_name(name: str) -> str:
    """A file name that can be written anywhere: undecodable bytes as ``\\xNN``
    (``Albrecht_D\\xfcrer_1.jpg`` for Dürer spelled in Latin-1)."""
    if is_utf8_name(name):
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass
class IssueLog:
    """Collects bad inputs of one pipeline stage.

    Attributes:
        stage: Short name of the stage that found the problems (e.g. ``"scan"``).
        on_bad_input: ``"skip"`` to list and continue, ``"fail"`` to raise at the first one.
        rows: The issues found so far, as ``(stage, file, reason)`` tuples.
    """

    stage: str
    on_bad_input: OnBadInput = "skip"
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    logger: logging.Logger = field(
        default_factory=lambda: logging.getLogger("art_genre.quality")
    )

    def __post_init__(self) -> None:
        if self.on_bad_input not in get_args(OnBadInput):
            raise ValueError(
                f"on_bad_input must be {' or '.join(map(repr, get_args(OnBadInput)))}, "
                f"got {self.on_bad_input!r}"
            )

    def add(self, file: str, reason: str, *, log: bool = True) -> None:
        """Record one bad input: raise in ``fail`` mode, log and list it in ``skip`` mode.

        Args:
            file: The file (or ``file:row``) the problem is about.
            reason: What is wrong, in words a user can act on.
            log: Log a line for it (``False`` where the caller logs one summary line
                for many alike, e.g. every CSV artist without images).

        Raises:
            BadInputError: When ``on_bad_input`` is ``"fail"``.
        """
        file = readable_name(file)
        if self.on_bad_input == "fail":
            raise BadInputError(
                f"{file}: {reason} (set on_bad_input: skip to list such inputs in the "
                "data-quality report and go on)"
            )
        if log:
            self.logger.warning("Skipped %s: %s", file, reason)
        self.rows.append((self.stage, file, reason))

    def to_frame(self) -> pd.DataFrame:
        """The issues as a table with the columns ``stage``, ``file``, ``reason``."""
        return pd.DataFrame(self.rows, columns=QUALITY_COLUMNS)

    def __len__(self) -> int:
        return len(self.rows)
