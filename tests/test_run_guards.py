"""Runs that collide and mistakes a user can make: the run lock, the checks before the
first node, and one-line errors (no traceback, no node run)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from art_genre.hooks import parameter_problems
from art_genre.preflight import (
    ParameterError,
    check_folder,
    image_files,
    training_images_at_most,
)
from art_genre.run_lock import RunLock, RunLockedError
from tests.conftest import copy_project

ENV = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
       "TF_CPP_MIN_LOG_LEVEL": "2"}
KEDRO = [sys.executable, "-m", "kedro", "run", "--env", "test"]

HOLD = """
import sys, time
from pathlib import Path
from art_genre.run_lock import RunLock
lock = RunLock(Path(sys.argv[1]), command="kedro run --pipelines snn")
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(folder: Path, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", HOLD, str(folder), str(seconds)],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_refused_with_one_line_naming_the_holder(tmp_path):
    holder = _holder(tmp_path, 30)
    try:
        with pytest.raises(RunLockedError) as error:
            RunLock(tmp_path).acquire()
        message = str(error.value)
        assert "\n" not in message
        for part in (f"pid {holder.pid}", "`kedro run --pipelines snn`", "started 20",
                     "run_lock.wait_seconds"):
            assert part in message, (part, message)
    finally:
        holder.kill()
        holder.wait()
    with RunLock(tmp_path) as lock:  # the holder died: the OS released its lock
        assert lock.held


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path):
    holder = _holder(tmp_path, 1.5)
    started = time.monotonic()
    lock = RunLock(tmp_path, wait_seconds=60)
    lock.acquire()
    try:
        assert lock.held
        assert time.monotonic() - started >= 0.5
        assert holder.wait(timeout=10) == 0
    finally:
        lock.release()


def test_a_waiting_writer_gives_up_after_its_timeout(tmp_path):
    holder = _holder(tmp_path, 30)
    try:
        with pytest.raises(RunLockedError, match=r"waited 1 s"):
            RunLock(tmp_path, wait_seconds=1).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_training_images_are_bounded_from_the_split_sizes():
    assert training_images_at_most(160, "random", 0.2, 0.1) == 112
    assert training_images_at_most(10, "stratified", 0.5, 0.0) == 5
    assert training_images_at_most(160, "artist", 0.2, 0.1) == 160
    assert image_files(["a/x.JPG", "a/._x.jpg", ".DS_Store", "b/y.txt", "c.png"],
                       [".jpg", ".png"]) == 2


def test_a_missing_and_an_empty_folder_get_different_messages(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        check_folder(str(tmp_path / "nowhere"), "paintings to predict", "predict_dir")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(ParameterError, match="is an empty folder"):
        check_folder(str(tmp_path / "empty"), "paintings to predict", "predict_dir")
    (tmp_path / "file.jpg").write_bytes(b"x")
    with pytest.raises(ParameterError, match="is a file, not a folder"):
        check_folder(str(tmp_path / "file.jpg"), "paintings", "data_dir")
    check_folder(str(tmp_path), "paintings", "data_dir")  # holds a file: fine


def test_kedros_parameter_report_becomes_one_item_per_field():
    message = (
        "Parameter validation failed:\n"
        "- Parameter 'data_processing': Failed to instantiate DataProcessingParams for "
        "parameter 'data_processing': 1 validation error for DataProcessingParams\n"
        "split.test_size\n"
        "  Input should be less than 1 [type=less_than, input_value=2, input_type=int]\n"
        "    For further information visit https://errors.pydantic.dev/2.14/v/less_than"
    )
    assert parameter_problems(message) == [
        "data_processing.split.test_size: Input should be less than 1 (got 2)"
    ]


# ------------------------------------------------------------------ whole runs


def _kedro(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*KEDRO, *args], check=False, cwd=project, env=ENV,
                          capture_output=True, text=True, **kwargs)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_three_runs_at_once_leave_the_outputs_of_one_and_refuse_the_others(tmp_path):
    project = copy_project(tmp_path / "project")
    runs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*KEDRO, "--pipelines", "data_processing", "--params",
             f"data_processing.split.random_state={seed}"],
            cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for seed in (1, 2, 3)
    ]
    done = [(run.wait(timeout=600), *run.communicate()) for run in runs]
    winners = [seed for seed, (code, _, _) in zip((1, 2, 3), done, strict=True) if code == 0]
    assert len(winners) >= 1
    for code, _, stderr in done:
        if code != 0:  # refused: one line naming the holder, no traceback
            assert "Traceback" not in stderr
            (line,) = stderr.strip().splitlines()
            assert "is being written by pid" in line
    # Whatever ran last wrote every output: the index, the summary and the manifest
    # agree with each other.
    manifest = json.loads((project / "data/08_reporting/run_manifest.json").read_text())
    summary = json.loads((project / "data/03_primary/split_summary.json").read_text())
    seed = manifest["runtime_params"]["data_processing"]["split"]["random_state"]
    assert seed in winners
    assert summary["random_state"] == seed
    assert manifest["fingerprints"]["data"] == _sha256(
        project / "data/03_primary/painting_index.csv"
    )


@pytest.mark.slow
def test_queued_runs_all_finish_one_after_the_other(tmp_path):
    project = copy_project(tmp_path / "project")
    wait = "run_lock.wait_seconds=600"
    runs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [*KEDRO, "--pipelines", "data_processing", "--params",
             f"data_processing.split.random_state={seed},{wait}"],
            cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for seed in (1, 2, 3)
    ]
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    assert any("waiting up to 600 s" in " ".join(o.split()) for o in outputs)


BAD_PARAMETERS = {
    "data_processing.split.test_size=2": ("data_processing", "split.test_size"),
    "data_processing.layout=sideways": ("data_processing", "data_processing.layout"),
    "feature_engineering.pca.n_components=500": (
        "__default__", "feature_engineering.pca.n_components=500"),
    "snn.model.epochs=-1": ("snn", "snn.model.epochs"),
    "predict.top_k=0": ("predict", "predict.top_k"),
    "data_dir=/nonexistent/folder": ("data_processing", "does not exist"),
    "predict_dir=/nonexistent/folder": ("predict", "does not exist"),
    "run_lock.wait_seconds=-5": ("data_processing", "wait_seconds"),
    # a key nothing reads (Kedro would add it unread): named with the closest real one
    "snn.epochs=3": ("data_processing", "did you mean snn.model.epochs"),
}


@pytest.mark.slow
@pytest.mark.parametrize("setting", list(BAD_PARAMETERS))
def test_a_bad_parameter_is_one_line_before_any_node_runs(tmp_path, setting):
    project = copy_project(tmp_path / "project")
    pipeline, named = BAD_PARAMETERS[setting]
    args = ["--params", setting] if pipeline == "__default__" else [
        "--pipelines", pipeline, "--params", setting]
    done = _kedro(project, *args, timeout=600)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and named in line, line
    assert "Running node" not in " ".join(done.stdout.split())
    assert not (project / "data/03_primary").exists()  # nothing written
