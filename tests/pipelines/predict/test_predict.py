"""``predict`` after a full run: new folders, bad files, mismatched artefacts, the real check."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from art_genre.datasets import TransformDataset
from tests.conftest import copy_project, copy_trained, pickles_refused, run_kedro

pytestmark = pytest.mark.slow  # trains the sample, then runs predict


@pytest.fixture(scope="module")
def trained(trained_sample, tmp_path_factory):
    """A throw-away project after one full training run (env test), loaded no pickle."""
    return copy_trained(trained_sample, tmp_path_factory.mktemp("predict") / "project")


@pytest.fixture
def in_project(trained, monkeypatch):
    monkeypatch.chdir(trained)
    return trained


def _predict(project, folder, model="adam", **params):
    run_kedro(project, "predict", {"predict_dir": str(folder), "predict_model": model, **params})
    return pd.read_csv(project / "data/07_model_output/predictions.csv", keep_default_na=False)


def test_predicting_the_test_split_reproduces_the_reported_figures(in_project, tmp_path):
    """Copies of the test images, nested anyhow, get the labels the report scored."""
    index = pd.read_csv(in_project / "data/03_primary/painting_index.csv", keep_default_na=False)
    test = index[index["split"] == "test"]
    folder = tmp_path / "new"
    for n, image_id in enumerate(test["image_id"]):
        target = folder / ("deep/er" if n % 2 else "") / image_id.split("/")[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(in_project / "data/01_raw/sample" / image_id, target)
    metrics = json.loads((in_project / "data/08_reporting/metrics.json").read_text())
    for model in ("snn", "adam", "bnn"):
        table = _predict(in_project, folder, model)
        assert len(table) == len(test) and (table["error"] == "").all()
        truth = dict(zip(test["image_id"].str.split("/").str[-1], test["genres"], strict=True))
        hits = [
            row.genre_1 in truth[row.file.split("/")[-1]].split("|")
            for row in table.itertuples()
        ]
        reported = _any_match(metrics, model)
        assert sum(hits) / len(hits) == pytest.approx(reported, abs=1e-6)


def _any_match(metrics: dict, model: str) -> float:
    """The test any-match accuracy the reporting pipeline wrote for the first seed's
    model (the one ``predict`` uses)."""
    return metrics[model]["test"]["any_match_accuracy"]["values"][0]


def test_unreadable_and_stray_files_are_listed_not_fatal(in_project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(in_project / "data/01_raw/sample/resized/Rembrandt_1.jpg", folder / "good.JPG")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.png").write_text("not an image")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "readme.txt").write_text("hello")
    table = _predict(in_project, folder).set_index("file")
    assert table.loc["good.JPG", "error"] == "" and table.loc["good.JPG", "genre_1"]
    for bad in ("empty.jpg", "text.png", ".DS_Store", "readme.txt"):
        assert table.loc[bad, "error"], bad
        assert table.loc[bad, "genre_1"] == ""
    assert "top" not in table.columns and {"genre_3", "probability_3", "genres"} <= set(table.columns)


def test_an_unknown_model_is_refused_before_any_image_is_read(in_project, tmp_path):
    with pytest.raises(Exception, match="predict"):
        _predict(in_project, tmp_path, model="resnet")


def _not_empty(folder):
    """A predict folder that passes the folder check (the run fails before reading it)."""
    folder.mkdir(exist_ok=True)
    (folder / "painting.jpg").write_bytes(b"never read")
    return folder


def test_a_pca_from_other_backbone_settings_is_a_clear_error(in_project, tmp_path):
    settings_file = in_project / "data/06_models/backbone_settings.json"
    saved = settings_file.read_text()
    settings = json.loads(saved)
    settings["fingerprint"] = "0" * 16
    settings_file.write_text(json.dumps(settings))
    try:
        with pytest.raises(Exception, match="rerun `kedro run`"):
            _predict(in_project, _not_empty(tmp_path / "new"))
    finally:
        settings_file.write_text(saved)


# ------------------------------------------------------------ hand-off: the hash chain


def _test_images(project, folder):
    index = pd.read_csv(project / "data/03_primary/painting_index.csv", keep_default_na=False)
    folder.mkdir()
    for image_id in index.loc[index["split"] == "test", "image_id"]:
        shutil.copy(project / "data/01_raw/sample" / image_id, folder / image_id.split("/")[-1])
    return folder


def test_the_default_flow_and_predict_load_no_pickle(in_project, tmp_path):
    assert not list((in_project / "data").rglob("*.pkl"))
    with pickles_refused():
        table = _predict(in_project, _test_images(in_project, tmp_path / "new"), "bnn")
    assert (table["error"] == "").all()


def test_no_catalog_entry_is_a_pickle():
    import yaml

    from tests.conftest import ROOT

    def types(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("type", "dataset") and isinstance(value, str):
                    yield value
                yield from types(value)

    found = [t for c in (ROOT / "conf").rglob("catalog*.yml")
             for t in types(yaml.safe_load(c.read_text()))]
    assert "art_genre.datasets.GenreClassifierDataset" in found
    assert not [t for t in found if "pickle" in t.lower()]


HANDOFF = (
    "data/06_models",
    "data/03_primary/genre_vocabulary.json",
    "data/08_reporting/pca_summary.json",
)


def test_copied_artefacts_predict_byte_identically_in_a_fresh_clone(in_project, tmp_path):
    """A teammate's clone with the artefacts copied in writes the same predictions.csv."""
    folder = _test_images(in_project, tmp_path / "new")
    _predict(in_project, folder, "adam")
    expected = (in_project / "data/07_model_output/predictions.csv").read_bytes()
    clone = copy_project(tmp_path / "clone")
    for part in HANDOFF:
        source, target = in_project / part, clone / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(clone)
        _predict(clone, folder, "adam")
    assert (clone / "data/07_model_output/predictions.csv").read_bytes() == expected


@pytest.fixture
def copy_of_trained(trained, tmp_path, monkeypatch):
    """A copy of the trained project, as cwd, to break artefacts in."""
    project = tmp_path / "copy"
    shutil.copytree(trained, project)
    monkeypatch.chdir(project)
    return project


def _refused(project, tmp_path, model, *parts):
    with pytest.raises(Exception) as error:  # noqa: PT011 - checked below
        _predict(project, _not_empty(tmp_path / "one"), model)
    message = str(error.value)
    for part in parts:
        assert part in message, (part, message)
    return message


def test_a_refitted_pca_is_refused_naming_the_files(copy_of_trained, tmp_path):
    """Same backbone, another PCA (here: fitted on other rows): the model refuses it."""
    dataset = TransformDataset(filepath=str(copy_of_trained / "data/06_models/pca.npz"))
    pca = dataset.load()
    features = np.random.default_rng(0).normal(size=(40, pca.n_features_in_))
    dataset.save(type(pca)(**pca.get_params()).fit(features))
    _refused(copy_of_trained, tmp_path, "snn", "data/06_models/snn.npz", "data/06_models/pca.npz",
             "kedro run --namespaces snn")


def test_a_restandardised_scaler_is_refused(copy_of_trained, tmp_path):
    run_kedro(copy_of_trained, "feature_engineering",
              {"feature_engineering": {"pca": {"standardize": True}}})
    _refused(copy_of_trained, tmp_path, "adam", "data/06_models/adam.npz", "refitted since")


def test_thresholds_of_an_earlier_model_are_refused(copy_of_trained, tmp_path):
    """Retraining one model without reporting leaves its thresholds stale: refused."""
    run_kedro(copy_of_trained, None, {"snn": {"model": {"seeds": [7, 42]}}}, namespaces=["snn"])
    _refused(copy_of_trained, tmp_path, "snn", "data/06_models/snn_thresholds.json",
             "data/06_models/snn.npz", "kedro run --pipelines reporting")
    run_kedro(copy_of_trained, "reporting")
    table = _predict(copy_of_trained, _test_images(copy_of_trained, tmp_path / "new"), "snn")
    assert (table["error"] == "").all()


def test_a_tampered_model_is_refused_naming_the_file(copy_of_trained, tmp_path):
    (meta,) = (copy_of_trained / "data/06_models/bnn.npz").rglob("bnn.json")
    record = json.loads(meta.read_text())
    record["genres"] = list(reversed(record["genres"]))
    meta.write_text(json.dumps(record))
    _refused(copy_of_trained, tmp_path, "bnn", str(meta.relative_to(copy_of_trained)),
             "recorded hash", "kedro run --namespaces bnn")


def test_a_truncated_model_is_one_line(copy_of_trained, tmp_path):
    (weights,) = (copy_of_trained / "data/06_models/adam.npz").rglob("adam.npz")
    weights.write_bytes(weights.read_bytes()[:100])
    message = _refused(copy_of_trained, tmp_path, "adam", str(weights.relative_to(copy_of_trained)),
                       "kedro run --namespaces adam")
    assert "\n" not in message


def test_a_broken_model_does_not_stop_predict_with_another(copy_of_trained, tmp_path):
    """predict loads only the model it uses."""
    (weights,) = (copy_of_trained / "data/06_models/snn.npz").rglob("snn.npz")
    weights.write_bytes(weights.read_bytes()[:100])
    table = _predict(copy_of_trained, _test_images(copy_of_trained, tmp_path / "new"), "adam")
    assert (table["error"] == "").all() and set(table["model"]) == {"adam"}


def test_a_failed_predict_marks_the_previous_table_stale(copy_of_trained, tmp_path):
    table = copy_of_trained / "data/07_model_output/predictions.csv"
    _predict(copy_of_trained, _test_images(copy_of_trained, tmp_path / "new"), "adam")
    previous = table.read_bytes()
    (weights,) = (copy_of_trained / "data/06_models/adam.npz").rglob("adam.npz")
    weights.write_bytes(weights.read_bytes()[:100])
    _refused(copy_of_trained, tmp_path, "adam", "adam.npz")
    assert not table.exists()
    assert table.with_name("predictions.stale.csv").read_bytes() == previous
    for current, stale in (("predictions_rule.json", "predictions_rule.stale.json"),
                           ("predictions.html", "predictions.stale.html")):
        assert not table.with_name(current).exists() and table.with_name(stale).exists()


def test_older_pickled_artefacts_name_what_to_rerun(copy_of_trained, tmp_path):
    models = copy_of_trained / "data/06_models"
    for name in ("pca", "feature_scaler"):
        (models / f"{name}.npz").rename(models / f"{name}.pkl")
        (models / f"{name}.json").unlink()
    message = _refused(copy_of_trained, tmp_path, "snn", "older version",
                       "kedro run --pipelines feature_engineering")
    assert "data/06_models/feature_scaler.pkl" in message or "data/06_models/pca.pkl" in message


def test_kedro_run_ends_with_one_line_for_a_truncated_model(copy_of_trained, tmp_path):
    """On the command line: the message alone, no page of traceback; exit status 1."""
    import os
    import subprocess
    import sys

    (weights,) = (copy_of_trained / "data/06_models/snn.npz").rglob("snn.npz")
    weights.write_bytes(weights.read_bytes()[:300])
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "kedro", "run", "--env", "test", "--pipelines", "predict",
         "--params", f"predict_dir={tmp_path},predict_model=snn"],
        cwd=copy_of_trained, env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if ln.startswith("Error: ")]
    assert "snn.npz" in line and "kedro run --namespaces snn" in line and "truncated" in line


def test_the_run_manifest_is_written_without_mlflow(in_project):
    """conf/test has no MLflow; the hook still writes the manifest of the training run."""
    manifest = json.loads((in_project / "data/08_reporting/run_manifest.json").read_text())
    assert manifest["env"] == "test" and "predict" not in manifest["pipelines"]
    assert manifest["cpu"]["cores"] >= 1 and "model" in manifest["cpu"]  # the machine
    fingerprints = manifest["fingerprints"]
    pca = json.loads((in_project / "data/06_models/pca.json").read_text())
    assert fingerprints["pca"] == pca["sha256"]
    for model in ("snn", "bnn", "bnn_study", "adam"):
        assert fingerprints["thresholds"][model] == fingerprints["models"][model]
    assert not (in_project / "mlflow.db").exists()


def test_explain_writes_one_overlay_per_painting_named_in_the_table(in_project, tmp_path):
    """predict.explain: an overlay PNG per readable painting; predictions unchanged."""
    from PIL import Image

    index = pd.read_csv(in_project / "data/03_primary/painting_index.csv", keep_default_na=False)
    folder = tmp_path / "new"
    for n, image_id in enumerate(index["image_id"][:3]):
        target = folder / ("nested" if n else "") / image_id.split("/")[-1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(in_project / "data/01_raw/sample" / image_id, target)
    (folder / "broken.jpg").write_bytes(b"not an image")
    plain = _predict(in_project, folder)
    assert "explanation" not in plain
    explain = {"predict": {"explain": True, "overlay_height": 128}}
    table = _predict(in_project, folder, **explain)
    columns = [c for c in plain.columns if c != "error"]  # (errors name an object address)
    pd.testing.assert_frame_equal(table[columns], plain[columns])  # maps change no prediction
    out = in_project / "data/07_model_output"
    readable = table[table["error"] == ""]
    assert len(readable) == 3
    assert table.loc[table["error"] != "", "explanation"].tolist() == [""]
    for row in readable.itertuples():
        assert row.explanation == f"explanations/{row.file}.png"
        with Image.open(out / row.explanation) as overlay:
            # title, panel, colour bar, caption (and a note row if the top genre is out)
            assert overlay.format == "PNG" and overlay.height in (26 + 128 + 36, 26 + 128 + 52)
            assert overlay.width > 2 * 64  # the painting and at least one map side by side
    assert len(list((out / "explanations").rglob("*.png"))) == 3
    _predict(in_project, folder)  # explain off again: no stale overlays are left
    assert not list((out / "explanations").rglob("*.png"))


def test_jpeg_overlays_are_named_with_their_suffix_and_replace_the_pngs(in_project, tmp_path):
    """overlay_format=jpeg: one runtime value sets the catalog's suffix and the table's."""
    from PIL import Image

    folder = tmp_path / "new"
    folder.mkdir()
    for name in ("Rembrandt_1.jpg", "Rembrandt_2.jpg"):
        shutil.copy(in_project / "data/01_raw/sample/resized" / name, folder / name)
    explain = {"predict": {"explain": True, "overlay_height": 96}}
    _predict(in_project, folder, **explain)
    out = in_project / "data/07_model_output/explanations"
    assert sorted(p.name for p in out.iterdir()) == ["Rembrandt_1.jpg.png", "Rembrandt_2.jpg.png"]
    table = _predict(in_project, folder, overlay_format="jpeg", **explain)
    assert table["explanation"].tolist() == [
        "explanations/Rembrandt_1.jpg.jpeg", "explanations/Rembrandt_2.jpg.jpeg"]
    assert sorted(p.name for p in out.iterdir()) == ["Rembrandt_1.jpg.jpeg", "Rembrandt_2.jpg.jpeg"]
    with Image.open(out / "Rembrandt_1.jpg.jpeg") as overlay:
        assert overlay.format == "JPEG" and overlay.mode == "RGB"
        assert overlay.height in (26 + 96 + 36, 26 + 96 + 52)


def test_an_unknown_overlay_format_is_refused(in_project, tmp_path):
    with pytest.raises(Exception, match="overlay_format"):
        _predict(in_project, tmp_path, overlay_format="gif",
                 predict={"explain": True})
