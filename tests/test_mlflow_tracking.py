"""MLflow through kedro-mlflow: two `kedro run`s become two runs in a real SQLite store.

No mocks: the project's own hooks and kedro-mlflow write to ``sqlite:///<tmp>/mlflow.db``
and the runs are read back with ``MlflowClient``. conf/test switches MLflow off for every
other test; this one switches it on in its own copy of the project.
"""

from __future__ import annotations

import json

import pytest

from art_genre.hooks import flatten_numbers, manifest_tags
from tests.conftest import copy_project, run_kedro

pytestmark = pytest.mark.slow  # tracked kedro runs into a real MLflow store

pytest.importorskip("kedro_mlflow")


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """A project copy with tracking on, after a full run and a retrain + report run."""
    base = tmp_path_factory.mktemp("mlflow")
    project = copy_project(base / "project")
    store = f"sqlite:///{base / 'mlflow.db'}"
    (project / "conf/test/mlflow.yml").write_text(
        f"server:\n  mlflow_tracking_uri: {store}\n"
        "tracking:\n  disable_tracking:\n    pipelines: []\n"
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
    # metrics: every numeric leaf of metrics.json
    metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
    expected = flatten_numbers(metrics)
    assert expected and set(expected) <= set(second.data.metrics)
    for name, value in expected.items():
        assert second.data.metrics[name] == pytest.approx(value)
    assert any(k.startswith("adam.") for k in first.data.metrics)
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
                "run_manifest.json", "plots", "thresholds"} <= top, top
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


def test_flattening_keeps_numbers_only_whatever_the_layout():
    tree = {"snn": {"test": {"tuned": {"macro_f1": 0.5, "n": 3, "ok": True, "name": "x"}},
                    "seeds": [{"f1": 0.1}, {"f1": float("nan")}]}}
    assert flatten_numbers(tree) == {"snn.test.tuned.macro_f1": 0.5, "snn.test.tuned.n": 3.0,
                                     "snn.seeds.0.f1": 0.1}
    assert flatten_numbers({"a(b)": {"c:d": 1}}) == {"a_b_.c_d": 1.0}


def test_manifest_tags_are_strings():
    manifest = {"git": {"commit": "abc", "dirty": False}, "env": "local", "pipelines": ["x"],
                "runtime_params": {"a": 1}, "fingerprints": {"models": {"snn": "h"}},
                "packages": {"kedro": "1.7.0"}}
    tags = manifest_tags(manifest)
    assert tags["git.dirty"] == "False" and tags["package.kedro"] == "1.7.0"
    assert tags["fingerprint.model.snn"] == "h" and all(isinstance(v, str) for v in tags.values())
