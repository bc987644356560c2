"""One writer per data folder: a cross-process lock held for the whole of a run.

Two ``kedro run``s writing the same ``data/`` folder at once would leave the metrics of
one, the models of another and the report of a third. :class:`RunLock` is an advisory
lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on ``<data>/.run.lock``: the
operating system releases it when the holder exits, even after ``kill -9``, so a lock is
never stale. The file also records the holder (pid, command, start time), so that a
second run can say who holds the folder.

A second run either refuses at once (``wait_seconds=0``) or waits, saying so, up to
``wait_seconds`` and then refuses. Reading (``kedro viz``, a notebook) takes no lock.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

LOCK_FILE = ".run.lock"
"""The lock's file name inside the data folder."""

POLL_SECONDS = 0.5
"""How often a waiting run tries the lock again."""


class RunLockedError(RuntimeError):
    """Another run holds the data folder: one line naming it and what to do."""


def _try_lock(file: IO[str]) -> bool:
    """Take the lock on ``file`` without blocking; ``False`` when another process has it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            file.seek(0)
            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(file: IO[str]) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        file.seek(0)
        msvcrt.locking(file.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def describe_holder(holder: dict[str, Any]) -> str:
    """``pid 123 (`kedro run --pipelines snn`, started 2026-01-01T10:00:00+00:00)``."""
    if not holder:
        return "another run (it has not recorded itself yet)"
    return (
        f"pid {holder.get('pid', '?')} (`{holder.get('command', '?')}`, "
        f"started {holder.get('started_at', '?')})"
    )


class RunLock:
    """The data folder's writer lock (see the module doc).

    Args:
        folder: The data folder (``data/`` of the project).
        wait_seconds: 0 refuses at once when another run holds the folder; more waits
            that long (logging who holds it) before refusing.
        command: What this run is, recorded for the others (default: ``sys.argv``).
    """

    def __init__(self, folder: Path, wait_seconds: float = 0, command: str | None = None):
        self.path = Path(folder) / LOCK_FILE
        self.wait_seconds = float(wait_seconds)
        self.command = command or " ".join(
            ["kedro" if Path(a).name in ("kedro", "__main__.py") else a for a in sys.argv]
        )
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._file is not None

    def holder(self) -> dict[str, Any]:
        """What the current holder recorded (``{}`` when nothing readable is there)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        """Take the lock, waiting up to ``wait_seconds``.

        Raises:
            RunLockedError: One line naming the holder (pid, command, start time) and
                how to wait for it instead.
        """
        if self.held:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - kept while held
        deadline = time.monotonic() + self.wait_seconds
        told = False
        while not _try_lock(file):
            if time.monotonic() >= deadline:
                file.close()
                raise RunLockedError(self._refusal())
            if not told:
                logger.warning(
                    "%s is being written by %s; waiting up to %.0f s for it to finish.",
                    self.path.parent, describe_holder(self.holder()), self.wait_seconds,
                )
                told = True
            time.sleep(POLL_SECONDS)
        self._file = file
        self._record()

    def _refusal(self) -> str:
        waited = f" (waited {self.wait_seconds:.0f} s)" if self.wait_seconds else ""
        return (
            f"{self.path.parent} is being written by {describe_holder(self.holder())}"
            f"{waited}; let it finish, or queue behind it with "
            f"`--params run_lock.wait_seconds=3600`."
        )

    def _record(self) -> None:
        assert self._file is not None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(json.dumps({
            "pid": os.getpid(),
            "command": self.command,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }))
        self._file.flush()

    def release(self) -> None:
        """Give the lock back (the file stays; its content is only read while locked)."""
        if self._file is None:
            return
        try:
            _unlock(self._file)
        finally:
            self._file.close()
            self._file = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
