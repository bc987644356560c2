"""The registered model and ``predict`` assign the same genres to the same features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from art_genre.features.reduction import reduce_features
from art_genre.modelling.bundle import ModelBundle
from art_genre.modelling.chain import chain_hashes
from art_genre.pipelines.predict.nodes import (
    _bundle_selection,
    decide_genres,
    predict_genres,
)
from art_genre.pipelines.predict.params import PredictParams
from art_genre.serving import output_columns, prediction_table
from tests.explain.helpers import head


def tiny_bundle(seed: int = 0, temperature: float = 1.7) -> tuple[ModelBundle, np.ndarray]:
    """A consistent bundle of a tiny head, and 40 raw feature rows it was fitted on."""
    features = np.random.default_rng(seed).normal(size=(40, 12))
    scaler, pca, classifier = head(features, seed=seed)
    hashes = chain_hashes(scaler, pca, classifier, "", "tiny")
    classifier.scaler_hash, classifier.pca_hash = hashes["feature_scaler"], hashes["pca"]
    model_hash = chain_hashes(scaler, pca, classifier, "", "tiny")["model"]  # recorded both
    logits = classifier.decision_function(reduce_features(features, scaler, pca))
    bundle = ModelBundle(
        model="adam", backbone={}, batch_size=8, fingerprint="tiny",
        feature_scaler=scaler, pca=pca, classifier=classifier,
        thresholds=np.quantile(logits, 0.6, axis=0),  # some genres assigned, some not
        thresholds_model_hash=model_hash,
        calibration={"temperature": temperature},
    )
    return bundle, features


def test_the_registered_model_assigns_what_predict_assigns():
    bundle, features = tiny_bundle()
    ids = [f"p{i:02d}.jpg" for i in range(len(features))]
    failures = {"broken.jpg": "cannot identify image file"}
    served = prediction_table(bundle, ["broken.jpg", *ids], ids, features, failures, top_k=2)

    selection = _bundle_selection(bundle)  # predict --params model_uri=models:/...
    new_features = {"image_ids": ids, "features": features, "sizes": {}}
    issues = pd.DataFrame({"file": list(failures), "reason": list(failures.values())})
    table, _ = predict_genres(new_features, issues, selection,
                              decide_genres(new_features, selection), {},
                              PredictParams(model="adam", top_k=2))

    assert set(output_columns(2)) < set(table.columns)
    expected = table[output_columns(2)].set_index("file").loc[served["file"]].reset_index()
    assert served.to_csv(index=False) == expected.to_csv(index=False)  # as both are written
    assert (served["genres"] != "").any() and (served["genres"] == "").any()
    assert served["genres"].str.contains("|", regex=False).any()
