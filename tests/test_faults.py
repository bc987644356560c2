"""The fault table (benchmarks/faults.py) as a test: every fault handled, nothing lost.

Each fault is injected into its own trained copy of the sample project and the command a user
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


FAULT_NAMES = list(_faults_module().FAULTS)


@pytest.mark.slow
@pytest.mark.parametrize("name", FAULT_NAMES)
def test_every_fault_is_handled_and_loses_no_data(trained_sample, tmp_path, name):
    """Each fault on its own copy of the trained project (one training run for all of
    them, in conftest), so that the faults can run side by side (pytest -n)."""
    faults = _faults_module()
    project = copy_trained(trained_sample, tmp_path / "project")
    row = faults.run_fault(project, name)
    assert row[0] == name
    _, outcome, lost = row
    assert not outcome.startswith("FAILED"), (name, outcome)
    assert lost == "none", (name, lost)


def test_the_fault_table_runs_every_fault_in_order_and_counts_what_each_lost(
    tmp_path, monkeypatch
):
    """``run_faults`` (the benchmark's table) runs each fault of ``FAULTS`` in turn on
    one project, and reports a failed fault and the files a fault lost in its row."""
    faults = _faults_module()
    (tmp_path / "data").mkdir()
    (tmp_path / "data/kept").write_text("k")
    (tmp_path / "data/doomed").write_text("d")
    ran = []

    def fake(name):
        def fault(project):
            ran.append((name, project))
            if name == FAULT_NAMES[1]:
                (project / "data/doomed").unlink()
            if name == FAULT_NAMES[2]:
                raise faults.FaultFailed("refused twice")
            return "handled"
        return fault

    monkeypatch.setattr(faults, "FAULTS", {name: fake(name) for name in FAULT_NAMES})
    rows = faults.run_faults(tmp_path)
    assert [name for name, _, _ in rows] == FAULT_NAMES
    assert ran == [(name, tmp_path) for name in FAULT_NAMES]
    assert [lost for _, _, lost in rows[:3]] == ["none", "data/doomed", "none"]
    assert rows[2][1] == "FAILED: refused twice" and rows[0][1] == "handled"


def test_data_lost_counts_only_files_gone_without_a_copy():
    faults = _faults_module()
    before = {"data/a": "1", "data/b": "2", "data/c": "3"}
    after = {"data/a": "9", "data/moved/b": "2"}  # a rewritten, b moved aside, c gone
    assert faults.data_lost(before, after) == "data/c"
    assert faults.data_lost(before, {**after, "data/c": "3"}) == "none"
