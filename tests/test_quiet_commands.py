"""Quiet commands: `kedro --help` and `kedro run --env test` print no warnings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import copy_project


def _kedro(project, *args: str) -> str:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-m", "kedro", *args], cwd=project, env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if "WARNING" in line or "Warning:" in line]


@pytest.mark.slow  # a kedro process
def test_kedro_help_prints_no_warning(tmp_path):
    project = copy_project(tmp_path / "project")
    assert _warnings(_kedro(project, "--help")) == []


@pytest.mark.slow
def test_a_test_run_and_predict_print_no_warning(tmp_path):
    project = copy_project(tmp_path / "project")
    assert _warnings(_kedro(project, "run", "--env", "test")) == []
    assert _warnings(_kedro(project, "run", "--env", "test", "--pipelines", "predict")) == []
