"""scripts/check_lock.py: the committed lock satisfies pyproject.toml; a drift is caught."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from tests.conftest import ROOT

pytest.importorskip("tomllib")


@pytest.fixture(scope="module")
def check_lock():
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts/check_lock.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_lock"] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_lock_satisfies_pyproject(check_lock):
    assert check_lock.problems() == []
    assert check_lock.main([]) == 0


def test_a_range_the_lock_no_longer_meets_is_reported(check_lock, tmp_path, capsys):
    pyproject = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text()
    pyproject.write_text(text.replace('"kedro~=1.7"', '"kedro>=2"').replace(
        '"pytest>=8"', '"pytest>=8", "not-in-the-lock>=1"'))
    found = check_lock.problems(pyproject)
    assert any("kedro>=2" in p and "kedro==" in p for p in found)
    assert any("not-in-the-lock" in p and "not pinned" in p for p in found)
    assert check_lock.main(["--pyproject", str(pyproject)]) == 1
    assert "uv pip compile" in capsys.readouterr().err


def test_markers_for_other_platforms_are_ignored(check_lock):
    names = {r.name for r in check_lock.project_requirements(ROOT / "pyproject.toml")}
    assert "tensorflow-cpu" in names and "tensorflow" not in names  # darwin only


def test_lock_lines_with_extras_and_comments_are_read(check_lock, tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("# header\ndask[distributed]==2025.1.0\n    # via x\nKedro_Datasets==9.6.0 \\\n")
    pins = check_lock.read_lock(lock)
    assert str(pins["dask"]) == "2025.1.0" and str(pins["kedro-datasets"]) == "9.6.0"
