"""How ``pytest`` (``-n 2``, pytest-xdist) shares the tests between its two workers.

Each test is its own unit of work, as xdist's ``load`` distribution makes them, except
the modules of :data:`ONE_WORKER`, whose tests all share a module fixture that runs whole
pipelines: each goes to one worker as one unit, so that the fixture runs once. (xdist's
own ``loadgroup`` would do it with a mark, but it renames the tests through an attribute
that pytest 9 no longer has, so it groups nothing.) Units with more tests go first, and
:func:`slow_first` puts the slow tests before the quick ones, so that no long test starts
last while the other worker has nothing left to do.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

ONE_WORKER = ("tests/test_mlflow_tracking.py", "tests/test_kedro_viz.py")
"""Modules whose tests run on one worker, in their order (their module fixture runs a
tracked training or builds the kedro-viz site)."""


class ModuleFixtureScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with one test per scope, but a module of
    :data:`ONE_WORKER` as one scope."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in ONE_WORKER else nodeid


def slow_first(items: list[pytest.Item]) -> None:
    """Sort ``items`` in place: the ``slow`` tests first, each group in its own order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
