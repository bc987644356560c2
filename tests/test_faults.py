"""The fault table (benchmarks/faults.py) as a test: every fault handled, nothing lost.

Each fault is injected into a trained copy of the sample project and the command a user
would run is run as a real ``kedro run`` process: three runs at once with different
seeds, non-UTF-8 file names in data_processing and predict, a flipped bit in a cache
shard, edited / truncated / incomplete thresholds, a truncated model, a bad parameter,
an empty and a missing predict folder. Where a run refuses, the fix its one line names
is followed and must work.
"""

from __future__ import annotations

import importlib.util

import pytest

from tests.conftest import ROOT, copy_trained


def _faults_module():
    spec = importlib.util.spec_from_file_location("faults", ROOT / "benchmarks" / "faults.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_every_fault_is_handled_and_loses_no_data(trained_sample, tmp_path):
    faults = _faults_module()
    project = copy_trained(trained_sample, tmp_path / "project")
    rows = faults.run_faults(project)
    assert [name for name, _, _ in rows] == list(faults.FAULTS)
    for name, outcome, lost in rows:
        assert not outcome.startswith("FAILED"), (name, outcome)
        assert lost == "none", (name, lost)


def test_data_lost_counts_only_files_gone_without_a_copy():
    faults = _faults_module()
    before = {"data/a": "1", "data/b": "2", "data/c": "3"}
    after = {"data/a": "9", "data/moved/b": "2"}  # a rewritten, b moved aside, c gone
    assert faults.data_lost(before, after) == "data/c"
    assert faults.data_lost(before, {**after, "data/c": "3"}) == "none"
