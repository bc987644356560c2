"""One hash chain: the model bundle and ``predict`` refuse the same broken links."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sklearn.decomposition import PCA

from art_genre.modelling.bundle import check_chain
from art_genre.modelling.chain import LINKS, broken_link, check_pca_fingerprint
from art_genre.modelling.classifier import IncompatibleArtefactsError
from art_genre.pipelines.predict.nodes import check_hash_chain
from tests.test_serving import tiny_bundle


def _predict_check(bundle):
    check_hash_chain("adam", bundle.classifier, bundle.feature_scaler, bundle.pca,
                     {"model_hash": bundle.thresholds_model_hash}, bundle.fingerprint)


def test_a_whole_chain_passes_both_checks():
    bundle, _ = tiny_bundle()
    assert broken_link(bundle.hashes()) is None
    check_chain(bundle.hashes())
    _predict_check(bundle)


def _refitted_pca(bundle, features):
    return replace(bundle, pca=PCA(n_components=5).fit(features[:20]))


def _stale_thresholds(bundle, _features):
    return replace(bundle, thresholds_model_hash="0" * 64)


@pytest.mark.parametrize(("broken", "link", "in_the_bundle", "in_predict"), [
    (_refitted_pca, LINKS[0], "bundle does not fit together: the head was trained on another PCA",
     r"adam.npz was trained on the PCA .* data/06_models/pca.npz .* \(refitted since\)"),
    (_stale_thresholds, LINKS[2], "bundle does not fit together: the thresholds were tuned for",
     r"adam_thresholds.json was tuned for the model with hash 000000000000, .*retrained since"),
])
def test_one_broken_link_is_refused_by_both_in_each_readers_words(
    broken, link, in_the_bundle, in_predict
):
    bundle, features = tiny_bundle()
    parts = broken(bundle, features)
    assert broken_link(parts.hashes()) == link
    with pytest.raises(IncompatibleArtefactsError, match=in_the_bundle):
        check_chain(parts.hashes())
    with pytest.raises(IncompatibleArtefactsError, match=in_predict):
        _predict_check(parts)


def test_a_pca_of_another_backbone_names_what_to_rerun():
    check_pca_fingerprint({"fingerprint": "a"}, "a", "rerun x")
    with pytest.raises(IncompatibleArtefactsError, match=r"fingerprint b, .* have a; rerun x\.$"):
        check_pca_fingerprint({"fingerprint": "b"}, "a", "rerun x")
