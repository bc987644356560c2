"""MLflow through kedro-mlflow: two `kedro run`s become two runs in a real SQLite store.

No mocks: the project's own hooks and kedro-mlflow write to ``sqlite:///<tmp>/mlflow.db``
and the runs are read back with ``MlflowClient``. conf/test switches MLflow off for every
other test; this one switches it on in its own copy of the project (and drops
conf/test/catalog.yml, so that the model is logged and registered).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from art_genre.hooks import manifest_tags
from art_genre.mlflow_runs import headline_metrics
from tests.conftest import copy_project, run_kedro

pytestmark = pytest.mark.slow  # tracked kedro runs into a real MLflow store

pytest.importorskip("kedro_mlflow")


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """A project copy with tracking on, after a full run and a retrain + report run."""
    base = tmp_path_factory.mktemp("mlflow")
    project = copy_project(base / "project")
    store = f"sqlite:///{base / 'mlflow.db'}"
    (project / "conf/test/catalog.yml").unlink()
    (project / "conf/test/mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: {store}\n"
        "tracking:\n  disable_tracking:\n    pipelines: []\n"
        "    disable_autologging: false\n"
        "  experiment:\n    name: art_genre_test\n"
        "  run:\n    nested: false\n"
        "  params:\n    dict_params: {flatten: true, recursive: true, sep: '.'}\n"
        "    long_params_strategy: truncate\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        run_kedro(project, None, {"snn": {"model": {"seeds": [1]}}})
        run_kedro(project, None, {"snn": {"model": {"seeds": [2]}}},
                  pipeline_names=["snn", "reporting"])
    import mlflow

    mlflow.set_tracking_uri(None)  # the next tests start from MLflow's default
    return project, store


def test_two_kedro_runs_are_two_mlflow_runs_with_params_metrics_artefacts_tags(tracked):
    from mlflow import MlflowClient

    project, store = tracked
    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("art_genre_test")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    assert len(runs) == 2
    first, second = runs
    assert first.info.status == second.info.status == "FINISHED"
    # parameters, flattened
    assert first.data.params["snn.model.seeds"] == "[1]"
    assert second.data.params["snn.model.seeds"] == "[2]"
    assert first.data.params["snn.model.optimizer.learning_rate"] == "0.05"
    assert "feature_engineering.backbone.name" in first.data.params
    # names: pipelines, env, parameters digest; the exact command
    assert first.info.run_name.startswith("__default__ @test #")
    assert second.info.run_name.startswith("snn+reporting @test #")
    assert first.data.tags["kedro_command"] == "kedro run --env test --params 'snn.model.seeds=[1]'"
    assert second.data.tags["kedro_command"] == (
        "kedro run --env test --pipelines snn,reporting --params 'snn.model.seeds=[2]'"
    )
    # headline metrics only: the test mean per model and metric
    results = pd.read_csv(project / "data/08_reporting/results.csv")
    expected = {f"test.{k}": v for k, v in headline_metrics(results).items()}
    assert 0 < len(second.data.metrics) <= 100
    assert set(second.data.metrics) == set(expected)
    for name, value in expected.items():
        assert second.data.metrics[name] == pytest.approx(value)
    assert "test.adam.tuned.macro_f1" in first.data.metrics
    # tags
    for run in runs:
        tags = run.data.tags
        assert tags["kedro.env"] == "test"
        for key in ("git.commit", "git.dirty", "fingerprint.data", "fingerprint.features",
                    "fingerprint.pca", "fingerprint.model.snn", "package.kedro",
                    "package.mlflow", "runtime_params"):
            assert key in tags, key
    assert json.loads(second.data.tags["runtime_params"]) == {"snn": {"model": {"seeds": [2]}}}
    assert first.data.tags["fingerprint.model.snn"] != second.data.tags["fingerprint.model.snn"]
    assert first.data.tags["fingerprint.data"] == second.data.tags["fingerprint.data"]
    # artefacts
    for run in runs:
        top = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"report.html", "metrics.json", "per_genre_metrics.csv", "thresholds.json",
                "run_manifest.json", "plots", "thresholds", "results.csv", "intervals.csv",
                "pairwise.csv"} <= top, top
        plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
        assert "plots/model_comparison.png" in plots


def test_the_manifest_names_commit_env_params_versions_and_fingerprints(tracked):
    project, _ = tracked
    manifest = json.loads((project / "data/08_reporting/run_manifest.json").read_text())
    assert manifest["env"] == "test"
    assert manifest["pipelines"] == ["snn", "reporting"]
    assert manifest["runtime_params"] == {"snn": {"model": {"seeds": [2]}}}
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert {"kedro", "numpy", "scikit-learn", "art_genre"} <= set(manifest["packages"])
    fingerprints = manifest["fingerprints"]
    for key in ("data", "backbone", "features", "pca", "feature_scaler"):
        assert fingerprints[key], key
    assert set(fingerprints["models"]) == {"snn", "bnn", "bnn_study", "adam"}
    assert fingerprints["thresholds"]["snn"] == fingerprints["models"]["snn"]
    models = project / "data/06_models"
    (snn,) = sorted(models.glob("snn.npz/*/snn.json"))[-1:]
    assert json.loads(snn.read_text())["sha256"] == fingerprints["models"]["snn"]


def test_manifest_tags_are_strings():
    manifest = {"git": {"commit": "abc", "dirty": False}, "env": "local", "pipelines": ["x"],
                "runtime_params": {"a": 1}, "fingerprints": {"models": {"snn": "h"}},
                "packages": {"kedro": "1.7.0"}}
    tags = manifest_tags(manifest)
    assert tags["git.dirty"] == "False" and tags["package.kedro"] == "1.7.0"
    assert tags["fingerprint.model.snn"] == "h" and all(isinstance(v, str) for v in tags.values())


def test_each_training_run_registers_one_version_with_signature_and_example(tracked):
    import mlflow
    from mlflow import MlflowClient

    project, store = tracked
    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("art_genre_test")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    versions = sorted(client.search_model_versions("name='art_genre'"),
                      key=lambda v: int(v.version))
    assert [int(v.version) for v in versions] == [1, 2]
    assert [v.run_id for v in versions] == [r.info.run_id for r in runs]
    mlflow.set_tracking_uri(store)
    try:
        info = mlflow.models.get_model_info("models:/art_genre/2")
    finally:
        mlflow.set_tracking_uri(None)
    assert info.signature.inputs.input_names() == ["path"]
    assert "genres" in info.signature.outputs.input_names()
    assert info.saved_input_example_info is not None


# ------------------------------------------------------------------ the hand-off, fresh processes


def _fresh(command: list[str], project, store: str) -> str:
    """Run ``command`` in a fresh process in ``project`` with the store as MLflow's."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env.update(MLFLOW_TRACKING_URI=store, KEDRO_DISABLE_TELEMETRY="true",
               TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


PROBABILITIES = ["probability_1", "probability_2", "probability_3"]


@pytest.fixture(scope="module")
def predicted(tracked):
    """predict (adam) on the sample's images in a fresh process, and the images' paths."""
    project, store = tracked
    _fresh([sys.executable, "-m", "kedro", "run", "--env", "test", "--pipelines", "predict",
            "--params", "predict_model=adam"], project, store)
    table = pd.read_csv(project / "data/07_model_output/predictions.csv", keep_default_na=False)
    paths = pd.DataFrame({"path": [f"data/01_raw/sample/resized/{f}" for f in table["file"]]})
    paths.to_csv(project / "paths.csv", index=False)
    return table, paths


def _same_predictions(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    assert len(actual) == len(expected) > 0
    assert list(actual["genres"].fillna("")) == list(expected["genres"])
    assert list(actual["genre_1"]) == list(expected["genre_1"])
    diff = (actual[PROBABILITIES].to_numpy(float) - expected[PROBABILITIES].to_numpy(float))
    assert abs(diff).max() <= 1e-6


@pytest.mark.slow
def test_the_registered_model_reproduces_predict_in_a_fresh_process(tracked, predicted):
    project, store = tracked
    expected, _ = predicted
    _fresh([sys.executable, "-c",
            "import mlflow, pandas as pd\n"
            "model = mlflow.pyfunc.load_model('models:/art_genre/2')\n"
            "model.predict(pd.read_csv('paths.csv')).to_csv('pyfunc.csv', index=False)\n"],
           project, store)
    _same_predictions(expected, pd.read_csv(project / "pyfunc.csv", keep_default_na=False))


@pytest.mark.slow
def test_mlflow_models_predict_reproduces_predict(tracked, predicted):
    project, store = tracked
    expected, _ = predicted
    _fresh(["mlflow", "models", "predict", "-m", "models:/art_genre/2", "-i", "paths.csv",
            "-t", "csv", "-o", "served.json", "--env-manager", "local"], project, store)
    served = json.loads((project / "served.json").read_text())["predictions"]
    _same_predictions(expected, pd.DataFrame(served))


@pytest.mark.slow
def test_predict_uses_the_registered_model_and_logs_its_predictions(tracked, predicted):
    from mlflow import MlflowClient

    project, store = tracked
    expected, _ = predicted
    _fresh([sys.executable, "-m", "kedro", "run", "--env", "test", "--pipelines", "predict",
            "--params", "model_uri=models:/art_genre/2,predict_model=snn"], project, store)
    table = pd.read_csv(project / "data/07_model_output/predictions.csv", keep_default_na=False)
    assert set(table["model"]) == {"adam"}  # the registered bundle's, not predict_model
    _same_predictions(expected, table)
    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("art_genre_test")
    (last,) = client.search_runs([experiment.experiment_id],
                                 order_by=["attributes.start_time DESC"], max_results=1)
    assert last.info.run_name.startswith("predict @test #")
    assert "predictions.csv" in {a.path for a in client.list_artifacts(last.info.run_id)}
