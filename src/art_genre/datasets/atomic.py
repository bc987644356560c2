"""Atomic saves for kedro-datasets classes: no half-written file after a crash.

A dataset that writes in place leaves a truncated file when the run is killed mid-write;
the next run then reads garbage. :class:`AtomicSaveMixin` makes a local save write to a
temporary file in the same folder and rename it over the target when (and only when) the
write completed, which is atomic on POSIX and Windows. Remote protocols (``s3://`` ...)
keep their own save: an object store's upload is already all-or-nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import CSVDataset


def current_umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


class _AtomicFile:
    """A file opened for writing under a temporary name, renamed into place on success."""

    def __init__(self, path: str, mode: str, **kwargs: Any) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        os.close(handle)
        # mkstemp creates the file with mode 0600; a file written in place would get
        # 0666 minus the umask (0644 under the usual 022). Give the same, so that
        # teammates on a shared disk can read models, metrics and reports.
        os.chmod(temporary, 0o666 & ~current_umask())
        self._target = target
        self._temporary = temporary
        self._file = open(temporary, mode, **kwargs)  # noqa: SIM115 - closed in __exit__

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> _AtomicFile:
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            if exc_type is None:
                self._file.flush()
                os.fsync(self._file.fileno())
            self._file.close()
            if exc_type is None:
                os.replace(self._temporary, self._target)
        finally:
            if os.path.exists(self._temporary):
                os.remove(self._temporary)


class _AtomicLocalFileSystem:
    """Wraps a local fsspec filesystem so that ``open(..., "w...")`` is atomic."""

    def __init__(self, fs: Any) -> None:
        self._fs = fs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fs, name)

    def open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if "w" in mode:
            return _AtomicFile(self._fs._strip_protocol(path), mode, **kwargs)
        return self._fs.open(path, mode, **kwargs)


class AtomicSaveMixin:
    """Mixin for a kedro-datasets class that saves through ``self._fs.open``."""

    def save(self, data: Any) -> None:
        """Save like the base class, but atomically on the local filesystem."""
        if getattr(self, "_protocol", "file") != "file":
            return super().save(data)  # type: ignore[misc]
        fs = self._fs  # type: ignore[has-type]
        self._fs = _AtomicLocalFileSystem(fs)
        try:
            return super().save(data)  # type: ignore[misc]
        finally:
            self._fs = fs


class AtomicJSONDataset(AtomicSaveMixin, JSONDataset):
    """``json.JSONDataset`` whose local saves are atomic (metrics)."""


class AtomicCSVDataset(AtomicSaveMixin, CSVDataset):
    """``pandas.CSVDataset`` whose local saves are atomic (index, predictions)."""
