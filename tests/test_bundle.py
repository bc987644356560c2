"""The model bundle: one pickle-free file with everything predict needs, checked on load."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from kedro.io.core import Version

from art_genre.artefacts import ArtefactFormatError, read_npz, write_npz
from art_genre.datasets import ModelBundleDataset
from art_genre.modelling.bundle import (
    ModelBundle,
    bundle_hash,
    read_bundle,
    write_bundle,
)
from art_genre.modelling.classifier import IncompatibleArtefactsError
from tests.conftest import copy_trained, pickles_refused

pytestmark = pytest.mark.slow  # needs the trained sample (one full run per session)


@pytest.fixture(scope="module")
def project(trained_sample, tmp_path_factory):
    return copy_trained(trained_sample, tmp_path_factory.mktemp("bundle") / "project")


@pytest.fixture(scope="module")
def bundle(project) -> ModelBundle:
    dataset = ModelBundleDataset(filepath=str(project / "data/06_models/model_bundle.npz"),
                                 version=Version(None, None))
    with pickles_refused():
        return dataset.load()


def test_the_bundle_holds_adam_and_the_hash_chain_of_the_saved_files(project, bundle):
    models = project / "data/06_models"
    (model_json,) = sorted(models.glob("adam.npz/*/adam.json"))[-1:]
    (thresholds,) = sorted(models.glob("adam_thresholds.json/*/adam_thresholds.json"))[-1:]
    bound = json.loads(thresholds.read_text())
    hashes = bundle.hashes()
    assert bundle.model == "adam"
    # the temperature the reporting pipeline fitted on validation (its primary seed's)
    fitted = json.loads((models / "adam_calibration.json").read_text())["temperature"]
    assert bundle.calibration == {"temperature": fitted} and bundle.temperature == fitted
    assert hashes["model"] == json.loads(model_json.read_text())["sha256"]
    assert hashes["thresholds.model_hash"] == bound["model_hash"] == hashes["model"]
    assert hashes["pca"] == json.loads((models / "pca.json").read_text())["sha256"]
    assert hashes["feature_scaler"] == hashes["model.scaler_hash"]
    assert list(bundle.thresholds) == [bound["thresholds"][g]["logit"] for g in bundle.genres]
    settings = json.loads((models / "backbone_settings.json").read_text())
    assert bundle.fingerprint == settings["fingerprint"]
    assert bundle.backbone["name"] == settings["name"]


def test_a_round_trip_keeps_every_hash_and_the_calibration(bundle):
    calibrated = replace(bundle, calibration={"temperature": 2.0})
    buffer = io.BytesIO()
    write_bundle(buffer, calibrated)
    buffer.seek(0)
    back = read_bundle(buffer, "memory")
    assert bundle_hash(back) == bundle_hash(calibrated) != bundle_hash(bundle)
    logits = np.array([[-1.0, 0.0, 2.0]])
    assert back.probabilities(logits) == pytest.approx(1 / (1 + np.exp(-logits / 2)))
    # the saved bundle carries the temperature reporting fitted
    assert bundle.probabilities(logits) == pytest.approx(
        1 / (1 + np.exp(-logits / bundle.temperature)))


def test_a_bundle_changed_after_it_was_written_is_refused(bundle):
    buffer = io.BytesIO()
    write_bundle(buffer, bundle)
    buffer.seek(0)
    meta, arrays = read_npz(buffer, "memory", "rerun")
    arrays["thresholds"] = arrays["thresholds"] + 0.5
    tampered = io.BytesIO()
    write_npz(tampered, meta, arrays)
    tampered.seek(0)
    with pytest.raises(ArtefactFormatError, match="does not match its recorded hash"):
        read_bundle(tampered, "tampered.npz")
    with pytest.raises(ArtefactFormatError, match="corrupt, truncated"):
        read_bundle(io.BytesIO(b"not an npz"), "broken.npz")


def test_parts_that_were_not_made_together_are_refused(bundle):
    with pytest.raises(IncompatibleArtefactsError, match="thresholds were tuned for another"):
        write_bundle(io.BytesIO(), replace(bundle, thresholds_model_hash="0" * 64))
    with pytest.raises(IncompatibleArtefactsError, match="another backbone"):
        write_bundle(io.BytesIO(), replace(bundle, fingerprint="other"))


def test_the_pyfunc_lists_unreadable_files_and_refuses_other_columns(project, bundle):
    from art_genre.serving import GenreModel, predict_paths

    image = next((project / "data/01_raw/sample/resized").glob("*.jpg"))
    missing = str(project / "missing.jpg")
    table = predict_paths(bundle, [missing, str(image)], top_k=2)
    assert list(table["file"]) == [missing, str(image)]
    assert table.loc[0, "error"] and not table.loc[1, "error"]
    assert table.loc[1, "genre_1"] in bundle.genres
    assert list(table.columns) == ["file", "model", "genre_1", "probability_1", "genre_2",
                                   "probability_2", "genres", "error"]
    model = GenreModel()
    model.bundle = bundle
    with pytest.raises(ValueError, match="'path' column"):
        model.predict(None, pd.DataFrame({"file": [str(image)]}))
