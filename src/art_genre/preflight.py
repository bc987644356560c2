"""Checks made before the first node of a run: settings that cannot work together, and
input folders that are missing or empty. Each failure is one line naming the setting
or folder and a fix that works when followed.

Each parameter is validated on its own by Kedro (against the pipelines' pydantic
models) before the run; these are the cross-checks no single model can make.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import PurePosixPath

from art_genre.labels import hidden_or_leftover


class ParameterError(ValueError):
    """A user's mistake in settings or input data: settings that cannot work together,
    a folder that cannot be used, a split that leaves a side empty. Its message is one
    line naming the setting or file and the fix; ``kedro run`` prints it alone."""


def training_images_at_most(n_images: int, strategy: str, test_size: float,
                            val_size: float) -> int:
    """The most training images ``n_images`` files can give under these split sizes.

    A random or stratified split sends ``ceil(test_size * n)`` images to test and about
    ``val_size * n`` to validation, so at most ``n - floor(test_size * n) -
    floor(val_size * n)`` train; an ``artist`` split moves whole artists, so its share
    is not known before the index is made (``n`` is the bound). Files that turn out
    unusable only lower the real count: the bound never refuses a run that would work.
    """
    if strategy == "artist":
        return n_images
    return max(n_images - math.floor(test_size * n_images) - math.floor(val_size * n_images), 0)


def image_files(paths: Iterable[str], suffixes: Iterable[str]) -> int:
    """How many of ``paths`` can be images: an image suffix, not hidden nor a leftover."""
    wanted = {"." + s.lower().lstrip(".") for s in suffixes}
    return sum(
        1 for p in paths
        if not hidden_or_leftover(p) and PurePosixPath(p).suffix.lower() in wanted
    )


def check_folder(path: str, what: str, param: str) -> None:
    """Refuse a missing folder and an empty one, each with its own message.

    Args:
        path: The folder (a local path; other protocols are not checked here).
        what: What the folder should hold ("paintings to predict").
        param: The runtime parameter that chooses it (``predict_dir``).

    Raises:
        ParameterError: Naming the folder and ``--params {param}=PATH``.
    """
    if "://" in path:
        return
    if not os.path.exists(path):
        raise ParameterError(
            f"{param}={path} does not exist; point it at a folder of {what} with "
            f"`--params {param}=PATH`."
        )
    if not os.path.isdir(path):
        raise ParameterError(
            f"{param}={path} is a file, not a folder; point it at a folder of {what} "
            f"with `--params {param}=PATH`."
        )
    for _root, _dirs, files in os.walk(path):
        if files:
            return
    raise ParameterError(
        f"{param}={path} is an empty folder; put {what} in it, or point it at another "
        f"folder with `--params {param}=PATH`."
    )
