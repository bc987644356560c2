"""Pickle-free artefacts: round trips, content hashes, clear errors, file modes."""

from __future__ import annotations

import io
import json
import os
import pickle
import stat

import numpy as np
import pytest
from kedro.io.core import Version
from sklearn.decomposition import PCA, IncrementalPCA
from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

from art_genre.artefacts import ArtefactFormatError, data_hash, to_parts, transform_hash
from art_genre.datasets import (
    ArrayBundleDataset,
    AtomicCSVDataset,
    AtomicJSONDataset,
    GenreClassifierDataset,
    GenreVocabularyDataset,
    TransformDataset,
)
from art_genre.modelling.artefacts import classifier_hash
from art_genre.modelling.params import ModelParams
from art_genre.pipelines.networks.nodes import train_model
from tests.synthetic import synthetic_model_input

GENRES = ["Baroque", "Cubism", "Impressionism"]
RERUN = "kedro run --namespaces snn"


@pytest.fixture
def no_pickle(monkeypatch):
    """Make every pickle load fail: what passes loaded no pickle."""

    def refuse(*args, **kwargs):
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)


@pytest.fixture(scope="module")
def model_input():
    return synthetic_model_input((40, 10, 10), width=6, genres=GENRES, fingerprint="abc",
                                 pca_hash="p" * 64, scaler_hash="s" * 64)


MODELS = {
    "mlp": {"optimizer": {"name": "adam", "learning_rate": 0.01}},
    "gradient": {"boosting": {"variant": "gradient", "n_stages": 2}},
    "study": {"boosting": {"variant": "study", "n_stages": 2}},
}


def _train(model_input, kind):
    params = ModelParams.model_validate(
        {"hidden_sizes": [8], "epochs": 3, "batch_size": 8, "init": "he", **MODELS[kind]}
    )
    return train_model(model_input, params, "snn")[0]


@pytest.mark.parametrize("kind", list(MODELS))
def test_every_model_kind_round_trips_without_pickle(tmp_path, model_input, kind, no_pickle):
    model = _train(model_input, kind)
    dataset = GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                                     version=Version(None, None))
    dataset.save(model)
    clone = GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                                   version=Version(None, None)).load()
    X = model_input["test"]["X"]
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
    assert clone.genres == GENRES and clone.pca_hash == "p" * 64
    assert classifier_hash(clone) == classifier_hash(model)
    (version,) = (tmp_path / "snn.npz").iterdir()
    meta = json.loads((version / "snn.json").read_text())
    assert meta["sha256"] == classifier_hash(model)
    assert meta["estimator"]["kind"] == ("mlp" if kind == "mlp" else "boosted")
    assert meta["genres"] == GENRES and meta["params"]["hidden_sizes"] == [8]


@pytest.mark.parametrize(
    "transform",
    [PCA(n_components=3, random_state=0), IncrementalPCA(n_components=3, batch_size=10),
     StandardScaler(), StandardScaler(with_mean=False, with_std=False)],
    ids=["pca", "incremental", "scaler", "identity"],
)
def test_transforms_round_trip_with_the_same_hash(tmp_path, transform, no_pickle):
    X = np.random.default_rng(1).normal(size=(30, 5)).astype(np.float32)
    transform.fit(X)
    dataset = TransformDataset(filepath=str(tmp_path / "t.npz"))
    dataset.save(transform)
    clone = dataset.load()
    assert type(clone) is type(transform)
    # Equal up to BLAS summation order (a saved array is contiguous, a fitted one may be a view).
    np.testing.assert_allclose(clone.transform(X), transform.transform(X), rtol=0, atol=1e-12)
    assert transform_hash(clone) == transform_hash(transform) == dataset.fingerprint()
    assert json.loads((tmp_path / "t.json").read_text())["class"] == type(transform).__name__


def test_a_refitted_pca_has_another_hash():
    X = np.random.default_rng(1).normal(size=(30, 5))
    a = PCA(n_components=3, svd_solver="full").fit(X)
    b = PCA(n_components=3, svd_solver="randomized", random_state=0).fit(X)
    c = PCA(n_components=3, svd_solver="full").fit(X[:20])
    assert len({transform_hash(a), transform_hash(b), transform_hash(c)}) == 3


def test_bundles_round_trip_nested_data_without_pickle(tmp_path, no_pickle):
    data = {
        "image_ids": ["a.jpg", "b/ü.jpg"],
        "features": np.arange(6, dtype=np.float32).reshape(2, 3),
        "failures": [["c.jpg", "truncated"]],
        "backbone": {"name": "mobilenet", "alpha": 0.25, "weights": None},
        "ids": np.array(["x", "y"], dtype=object),
        "test": {"Y": np.eye(2, dtype=np.float32), "n": np.int64(3)},
    }
    dataset = ArrayBundleDataset(filepath=str(tmp_path / "b.npz"))
    dataset.save(data)
    back = dataset.load()
    np.testing.assert_array_equal(back["features"], data["features"])
    assert back["features"].dtype == np.float32
    assert back["image_ids"] == data["image_ids"] and back["failures"] == data["failures"]
    assert back["backbone"] == data["backbone"] and back["test"]["n"] == 3
    assert back["ids"].tolist() == ["x", "y"]
    assert dataset.fingerprint() == data_hash(data)
    assert "features" in json.loads(dataset.preview())


def test_array_bundles_written_before_their_own_format_still_load(tmp_path):
    from art_genre.artefacts import content_hash, write_npz

    tree, arrays = to_parts({"features": np.ones((2, 3), dtype=np.float32), "n": 2})
    meta = {"format": "art_genre.modelling.bundle/1", "sha256": content_hash(tree, arrays),
            "data": tree}
    path = tmp_path / "old.npz"
    with path.open("wb") as file:
        write_npz(file, meta, arrays)
    back = ArrayBundleDataset(filepath=str(path)).load()
    assert back["n"] == 2 and back["features"].shape == (2, 3)
    # the same format string as a model bundle, yet never taken for one
    from art_genre.modelling.bundle import read_bundle

    with path.open("rb") as file, pytest.raises(
        ArtefactFormatError, match="old.npz is not an art_genre model bundle"
    ):
        read_bundle(file, "old.npz")


def test_an_array_bundle_is_not_taken_for_a_model_bundle_nor_the_reverse(tmp_path):
    from art_genre.modelling.bundle import read_bundle

    array_file = tmp_path / "model_input.npz"
    ArrayBundleDataset(filepath=str(array_file)).save({"X": np.ones((2, 2))})
    with array_file.open("rb") as file, pytest.raises(
        ArtefactFormatError, match="model_input.npz is not an art_genre model bundle"
    ):
        read_bundle(file, "model_input.npz")
    # a model bundle's metadata (format of its own, no "data" tree) read as an array bundle
    from art_genre.artefacts import write_npz

    model_file = tmp_path / "model_bundle.npz"
    with model_file.open("wb") as file:
        write_npz(file, {"format": "art_genre.modelling.bundle/1", "parts": {}}, {})
    with pytest.raises(ArtefactFormatError, match="is not an art_genre array bundle"):
        ArrayBundleDataset(filepath=str(model_file)).load()


def test_what_cannot_be_saved_without_pickle_is_refused():
    with pytest.raises(TypeError, match="/x: an object array"):
        to_parts({"x": np.array([1, "a"], dtype=object)})
    with pytest.raises(TypeError, match="/m: MultiLabelBinarizer cannot be saved"):
        to_parts({"m": MultiLabelBinarizer()})


def test_the_genre_vocabulary_is_json(tmp_path, no_pickle):
    dataset = GenreVocabularyDataset(filepath=str(tmp_path / "genres.json"))
    dataset.save(MultiLabelBinarizer().fit([["Cubism"], ["Baroque", "Pop Art"]]))
    assert json.loads((tmp_path / "genres.json").read_text()) == {
        "genres": ["Baroque", "Cubism", "Pop Art"]
    }
    loaded = dataset.load()
    assert list(loaded.classes_) == ["Baroque", "Cubism", "Pop Art"]
    np.testing.assert_array_equal(loaded.transform([["Pop Art"]]), [[0, 0, 1]])


# ------------------------------------------------------------------ bad files


def _saved_model(tmp_path, model_input):
    dataset = GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                                     version=Version(None, None))
    dataset.save(_train(model_input, "mlp"))
    (version,) = (tmp_path / "snn.npz").iterdir()
    return dataset, version


def _one_line_naming(error, *parts):
    message = str(error.value)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, (part, message)


def test_a_truncated_model_file_is_one_line_naming_it_and_the_retrain_command(
    tmp_path, model_input
):
    dataset, version = _saved_model(tmp_path, model_input)
    weights = version / "snn.npz"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ArtefactFormatError) as error:
        GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                               version=Version(None, None)).load()
    _one_line_naming(error, str(weights), RERUN, "truncated")


def test_a_corrupt_metadata_file_is_one_line(tmp_path, model_input):
    _, version = _saved_model(tmp_path, model_input)
    (version / "snn.json").write_text('{"format": "art_genre.mo')
    with pytest.raises(ArtefactFormatError) as error:
        GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                               version=Version(None, None)).load()
    _one_line_naming(error, str(version / "snn.json"), RERUN)


def test_a_tampered_model_is_refused(tmp_path, model_input):
    _, version = _saved_model(tmp_path, model_input)
    with np.load(version / "snn.npz", allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["estimator/params/0"] += 1.0  # another first-layer weight matrix
    with open(version / "snn.npz", "wb") as file:
        np.savez(file, **arrays)
    with pytest.raises(ArtefactFormatError) as error:
        GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN,
                               version=Version(None, None)).load()
    _one_line_naming(error, str(version / "snn.npz"), "recorded hash", RERUN)


def test_a_pickle_renamed_to_npz_is_refused_without_being_loaded(tmp_path, no_pickle):
    (tmp_path / "b.npz").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ArtefactFormatError) as error:
        ArrayBundleDataset(filepath=str(tmp_path / "b.npz"), rerun="kedro run").load()
    _one_line_naming(error, "b.npz", "kedro run")


@pytest.mark.parametrize(
    ("dataset_class", "name", "versioned"),
    [(TransformDataset, "pca", False), (ArrayBundleDataset, "model_input", False),
     (GenreClassifierDataset, "snn", True)],
)
def test_older_pickled_artefacts_get_one_clear_message(tmp_path, dataset_class, name, versioned):
    legacy = tmp_path / f"{name}.pkl"
    if versioned:  # the older layout: <name>.pkl/<version>/<name>.pkl
        (legacy / "2025-01-01T00.00.00.000Z").mkdir(parents=True)
        (legacy / "2025-01-01T00.00.00.000Z" / f"{name}.pkl").write_bytes(pickle.dumps(1))
    else:
        legacy.write_bytes(pickle.dumps(1))
    dataset = dataset_class(filepath=str(tmp_path / f"{name}.npz"), rerun="kedro run",
                            version=Version(None, None) if versioned else None)
    with pytest.raises(ArtefactFormatError) as error:
        dataset.load()
    _one_line_naming(error, str(legacy), "older version", "`kedro run`")


def test_missing_bound_thresholds_name_the_command(tmp_path):
    from art_genre.datasets import BoundThresholdsDataset

    dataset = BoundThresholdsDataset(filepath=str(tmp_path / "snn_thresholds.json"),
                                     version=Version(None, None))
    with pytest.raises(ArtefactFormatError, match="kedro run --pipelines reporting"):
        dataset.load()
    dataset.save({"model_hash": "h", "thresholds": {"Baroque": 0.4}})
    assert BoundThresholdsDataset(filepath=str(tmp_path / "snn_thresholds.json"),
                                  version=Version(None, None)).load()["model_hash"] == "h"


def test_a_missing_artefact_names_the_command(tmp_path):
    with pytest.raises(ArtefactFormatError, match="does not exist yet; write it with `kedro run"):
        TransformDataset(filepath=str(tmp_path / "pca.npz"),
                         rerun="kedro run --pipelines feature_engineering").load()


# ------------------------------------------------------------------ file modes


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_follow_the_umask(tmp_path, model_input, umask, mask, mode):
    umask(mask)
    AtomicJSONDataset(filepath=str(tmp_path / "metrics.json")).save({"a": 1})
    AtomicCSVDataset(filepath=str(tmp_path / "index.csv")).save(
        __import__("pandas").DataFrame({"a": [1]})
    )
    ArrayBundleDataset(filepath=str(tmp_path / "b.npz")).save({"x": np.ones(2)})
    TransformDataset(filepath=str(tmp_path / "pca.npz")).save(
        PCA(n_components=1).fit(np.random.default_rng(0).normal(size=(5, 2)))
    )
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 5
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


def test_a_model_fingerprint_leaves_the_training_time_out(tmp_path, model_input):
    from dataclasses import replace

    model = _train(model_input, "mlp")
    slower = replace(model, train_seconds=model.train_seconds + 100.0)
    assert classifier_hash(slower) == classifier_hash(model)
    dataset = GenreClassifierDataset(filepath=str(tmp_path / "snn.npz"), rerun=RERUN)
    dataset.save(slower)
    assert dataset.fingerprint() == classifier_hash(model)  # the hash of what was saved
    assert dataset.load().train_seconds == slower.train_seconds  # still saved, not hashed


def test_the_library_error_is_plain_and_the_dataset_error_is_kedros(tmp_path):
    from kedro.io.core import DatasetError

    from art_genre.artefacts import read_npz

    assert not issubclass(ArtefactFormatError, DatasetError)
    with pytest.raises(ArtefactFormatError) as error:
        read_npz(io.BytesIO(b"not an npz"), "x.npz", "kedro run")
    assert not isinstance(error.value, DatasetError)
    (tmp_path / "b.npz").write_bytes(b"not an npz")
    with pytest.raises(DatasetError) as error:  # Kedro shows its one line as it is
        ArrayBundleDataset(filepath=str(tmp_path / "b.npz"), rerun="kedro run").load()
    assert isinstance(error.value, ArtefactFormatError)
    _one_line_naming(error, "b.npz", "kedro run")


def test_the_artefacts_package_does_not_import_kedro():
    import subprocess
    import sys

    code = ("import sys, art_genre.artefacts, art_genre.run_lock, art_genre.preflight, "
            "art_genre.quality; print('kedro' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


THRESHOLDS = {"model": "snn", "model_hash": "h" * 64, "seed": 42, "genres": GENRES,
              "thresholds": {g: {"logit": -0.5 + i, "probability": 0.4}
                             for i, g in enumerate(GENRES)}}


def _edit_logit(text: str) -> str:
    record = json.loads(text)
    record["thresholds"]["Cubism"]["logit"] = 50.0
    return json.dumps(record)


def _drop_genre(text: str) -> str:
    record = json.loads(text)
    del record["thresholds"]["Cubism"]
    return json.dumps(record)


def _drop_hash(text: str) -> str:
    record = json.loads(text)
    del record["sha256"]
    return json.dumps(record)


@pytest.mark.parametrize(
    ("tamper", "says"),
    [
        (_edit_logit, "does not match its recorded hash"),
        (_drop_genre, "does not match its recorded hash"),
        (_drop_hash, "has no content hash"),
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: "", "truncated"),
    ],
    ids=["edited logit", "missing genre", "no hash", "truncated", "empty"],
)
def test_tampered_thresholds_are_one_line_naming_the_file_and_the_fix(tmp_path, tamper, says):
    from art_genre.datasets import BoundThresholdsDataset

    path = tmp_path / "snn_thresholds.json"
    BoundThresholdsDataset(filepath=str(path)).save(THRESHOLDS)
    assert BoundThresholdsDataset(filepath=str(path)).load() == THRESHOLDS  # round trip
    path.write_text(tamper(path.read_text()))
    with pytest.raises(ArtefactFormatError) as error:
        BoundThresholdsDataset(filepath=str(path)).load()
    _one_line_naming(error, str(path), says, "kedro run --pipelines reporting")
