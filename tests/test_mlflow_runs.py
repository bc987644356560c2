"""Findable, repeatable runs and a safe store (art_genre.mlflow_runs), on real SQLite stores."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from art_genre import mlflow_runs
from tests.conftest import copy_project

pytest.importorskip("kedro_mlflow")


def test_the_run_name_is_pipelines_env_and_a_parameters_digest():
    name = mlflow_runs.run_name({"pipeline_names": ["snn", "reporting"], "env": "improved"},
                             {"a": 1})
    assert name == f"snn+reporting @improved #{mlflow_runs.parameters_digest({'a': 1})}"
    assert mlflow_runs.parameters_digest({"a": 1}) != mlflow_runs.parameters_digest({"a": 2})
    assert mlflow_runs.run_name({"pipeline_names": None, "env": None}, {}).startswith(
        "__default__ @local #")


def test_the_command_repeats_env_pipelines_params_and_filters():
    command = mlflow_runs.kedro_command({
        "env": "improved", "pipeline_names": ["predict"], "namespaces": ["snn"],
        "tags": ["train"], "load_versions": {"snn.model": "2026-01-01T00.00.00.000Z"},
        "runtime_params": {"data_dir": "../my data", "snn": {"model": {"seeds": [1, 2]}},
                           "predict_model": "adam"},
    })
    assert command == (
        "kedro run --env improved --pipelines predict --namespaces snn --tags train "
        "--load-versions snn.model:2026-01-01T00.00.00.000Z "
        "--params 'data_dir=../my data,snn.model.seeds=[1, 2],predict_model=adam'"
    )
    assert mlflow_runs.kedro_command({}) == "kedro run"


def test_headline_metrics_are_test_means_per_model_and_metric_at_most_100():
    rows = [
        (model, seed, split, thresholds, metric, value)
        for model in [f"m{i}" for i in range(30)]
        for seed, value in ((1, 0.2), (2, 0.4))
        for split in ("val", "test")
        for thresholds, metric in (("none", "macro_roc_auc"), ("tuned", "macro_f1"),
                                   ("0.5", "macro_f1"), ("none", "n_images"))
    ]
    results = pd.DataFrame(rows, columns=["model", "seed", "split", "thresholds", "metric",
                                          "value"])
    metrics = mlflow_runs.headline_metrics(results)
    assert len(metrics) == 60 <= mlflow_runs.MAX_METRICS
    assert metrics["m0.macro_roc_auc"] == pytest.approx(0.3)
    assert metrics["m0.tuned.macro_f1"] == pytest.approx(0.3)
    assert not any("n_images" in name or "0.5" in name for name in metrics)
    more = pd.concat([results.assign(model=results["model"] + "x"), results])
    assert len(mlflow_runs.headline_metrics(more)) == 100


@pytest.mark.slow  # a real SQLite store and a killed process
def test_a_run_of_a_killed_process_is_marked_killed(tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("e")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],  # noqa: S603
                          capture_output=True, text=True, check=True).stdout.strip()
    killed = client.create_run(experiment, tags={**mlflow_runs.process_tags(),
                                                 mlflow_runs.PID_TAG: dead})
    alive = client.create_run(experiment, tags=mlflow_runs.process_tags())
    elsewhere = client.create_run(experiment, tags={mlflow_runs.HOST_TAG: "another-host",
                                                    mlflow_runs.PID_TAG: dead})
    assert mlflow_runs.end_dead_runs(client, experiment) == [killed.info.run_id]
    assert client.get_run(killed.info.run_id).info.status == "KILLED"
    assert client.get_run(alive.info.run_id).info.status == "RUNNING"
    assert client.get_run(elsewhere.info.run_id).info.status == "RUNNING"


def test_the_store_lock_is_a_file_beside_the_database_only_for_sqlite(tmp_path):
    with mlflow_runs.store_lock(f"sqlite:///{tmp_path / 'new/mlflow.db'}"):
        assert (tmp_path / "new/mlflow.db.lock").exists()
    with mlflow_runs.store_lock("http://mlflow.example:5000"):
        pass
    assert mlflow_runs.sqlite_path("http://x") is None


@pytest.mark.slow
def test_two_runs_started_at_once_on_a_new_store_are_both_recorded(tmp_path):
    from mlflow import MlflowClient

    store = f"sqlite:///{tmp_path / 'store/mlflow.db'}"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "TF_CPP_MIN_LOG_LEVEL": "2"}
    runs = []
    for name in ("one", "two"):
        project = copy_project(tmp_path / name)
        (project / "conf/test/mlflow.yml").write_text(
            f"server:\n  mlflow_tracking_uri: {store}\n"
            "tracking:\n  disable_tracking:\n    pipelines: []\n"
            "    disable_autologging: false\n"
            "  experiment:\n    name: concurrent\n"
        )
        runs.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kedro", "run", "--env", "test", "--pipelines",
             "data_processing"], cwd=project, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        ))
    outputs = [run.communicate()[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "already exists" not in output
    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("concurrent")
    recorded = client.search_runs([experiment.experiment_id])
    assert [r.info.status for r in recorded] == ["FINISHED", "FINISHED"]
