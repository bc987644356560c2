"""Node tests of ``feature_engineering``: the cache (hit, miss, resume, invalidation), PCA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from art_genre.datasets import ArrayBundleDataset, PartitionedCacheDataset
from art_genre.features.params import FeatureEngineeringParams
from art_genre.features.reduction import build_model_input, fit_pca
from art_genre.pipelines.data_processing.params import DataProcessingParams
from art_genre.pipelines.feature_engineering import nodes
from art_genre.pipelines.feature_engineering.nodes import (
    assemble_features,
    cached_image_ids,
    extract_features,
)
from tests.pipelines.data_processing.test_nodes import _index, _partitions

pytestmark = pytest.mark.slow  # builds Keras backbones and extracts features

TINY = {"name": "mobilenet", "weights": None, "alpha": 0.25, "input_size": 64, "batch_size": 8}


def _params(**backbone) -> FeatureEngineeringParams:
    return FeatureEngineeringParams.model_validate(
        {"backbone": {**TINY, **backbone}, "pca": {"n_components": 8}}
    )


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_generator):
    """A small Kaggle-layout folder, its partitions and its index."""
    root = tmp_path_factory.mktemp("paintings")
    sample_generator.make_sample(root, images_per_artist=4)
    index, _, _, vocabulary = _index(root, DataProcessingParams())
    return root, _partitions(root), index, vocabulary


SHARD = {"type": "art_genre.datasets.ArrayBundleDataset"}  # as in the catalog


@pytest.fixture
def cache(tmp_path):
    return PartitionedCacheDataset(
        path=str(tmp_path / "cache"),
        dataset=SHARD,
        filename_suffix=".npz",
        save_lazily=True,
    )


@pytest.fixture
def backbone_builds(monkeypatch):
    """Counts how often the extraction builds a backbone."""
    calls = []
    real = nodes.build_backbone

    def counting(settings):
        calls.append(settings)
        return real(settings)

    monkeypatch.setattr(nodes, "build_backbone", counting)
    return calls


def test_empty_cache_loads_as_nothing(cache):
    assert cache.load() == {}


def test_first_run_extracts_every_image_then_the_cache_hits(sample, cache, backbone_builds):
    _, parts, index, _ = sample
    params = _params()
    shards = extract_features(parts, index, cache.load(), params)
    assert len(shards) == int(np.ceil(len(index) / 8))
    cache.save(shards)
    assert cached_image_ids(cache.load(), params.backbone.settings().fingerprint()) == set(
        index["image_id"]
    )
    assert extract_features(parts, index, cache.load(), params) == {}
    assert len(backbone_builds) == 1
    features, issues = assemble_features(cache.load(), index, params)
    assert features["image_ids"] == list(index["image_id"])
    assert features["features"].shape == (len(index), 256)
    assert issues.empty


def test_added_images_alone_are_extracted(sample, cache):
    _, parts, index, _ = sample
    params = _params()
    first = index.iloc[:10]
    cache.save(extract_features(parts, first, cache.load(), params))
    shards = extract_features(parts, index, cache.load(), params)
    planned = [i for key, make in shards.items() for i in make()["image_ids"]]
    assert sorted(planned) == sorted(index["image_id"].iloc[10:])


def test_an_interrupted_run_resumes_without_redoing_finished_batches(sample, cache):
    _, parts, index, _ = sample
    params = _params()
    shards = extract_features(parts, index, cache.load(), params)
    keys = sorted(shards)
    done_before_kill = 2

    def killed():
        raise KeyboardInterrupt

    interrupted = {k: (shards[k] if n < done_before_kill else killed) for n, k in enumerate(keys)}
    with pytest.raises(KeyboardInterrupt):
        cache.save(interrupted)
    assert len(cache.load()) == done_before_kill
    rerun = extract_features(parts, index, cache.load(), params)
    assert len(rerun) == len(keys) - done_before_kill
    assert set(rerun) == set(keys[done_before_kill:])


def test_a_half_written_shard_is_redone(sample, cache, tmp_path):
    _, parts, index, _ = sample
    params = _params()
    cache.save(extract_features(parts, index, cache.load(), params))
    victim = sorted((tmp_path / "cache").rglob("*.npz"))[0]
    lost = set(ArrayBundleDataset(filepath=str(victim)).load()["image_ids"])
    victim.write_bytes(victim.read_bytes()[:100])
    rerun = extract_features(parts, index, cache.load(), params)
    assert {i for make in rerun.values() for i in make()["image_ids"]} == lost


def test_other_backbone_settings_never_reuse_stale_features(sample, cache):
    _, parts, index, _ = sample
    cache.save(extract_features(parts, index, cache.load(), _params()))
    for changed in ({"seed": 1}, {"pooling": "max"}, {"input_size": 96}):
        shards = extract_features(parts, index, cache.load(), _params(**changed))
        assert sum(len(make()["image_ids"]) for make in shards.values()) == len(index)


def test_cached_features_equal_a_fresh_extraction(sample, cache, tmp_path):
    _, parts, index, _ = sample
    params = _params()
    cache.save(extract_features(parts, index.iloc[:12], cache.load(), params))
    cache.save(extract_features(parts, index, cache.load(), params))
    resumed, _ = assemble_features(cache.load(), index, params)
    fresh_cache = PartitionedCacheDataset(
        path=str(tmp_path / "fresh"), dataset=SHARD, filename_suffix=".npz"
    )
    fresh_cache.save({k: f() for k, f in extract_features(parts, index, {}, params).items()})
    fresh, _ = assemble_features(fresh_cache.load(), index, params)
    # The resumed run extracted its first 12 images as one batch of 12, the fresh run in
    # batches of 16: oneDNN picks kernels by batch shape, so float32 sums may differ in
    # the last bits (seen: 3 of 10,240 values by 2e-6).
    np.testing.assert_allclose(resumed["features"], fresh["features"], rtol=1e-4, atol=1e-5)


def test_images_that_fail_in_extraction_are_listed(sample, cache):
    _, parts, index, _ = sample
    params = _params()
    broken = dict(parts)
    victim = index["image_id"].iloc[3]

    def unreadable():
        raise OSError("image file is truncated")

    broken[victim] = unreadable
    cache.save(extract_features(broken, index, cache.load(), params))
    features, issues = assemble_features(cache.load(), index, params)
    assert victim not in features["image_ids"]
    assert issues["file"].tolist() == [victim]
    assert "truncated" in issues["reason"].iloc[0]


def test_missing_features_are_one_clear_error(sample):
    _, _, index, _ = sample
    with pytest.raises(ValueError, match="no cached features.*run the feature_engineering"):
        assemble_features({}, index, _params())


def _features(index: pd.DataFrame, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "image_ids": list(index["image_id"]),
        "features": rng.normal(size=(len(index), 40)).astype(np.float32),
        "fingerprint": "f" * 16,
        "backbone": {},
    }


def test_pca_is_fitted_on_the_training_split_only(sample):
    _, _, index, _ = sample
    params = _params()
    features = _features(index)
    _, pca, summary = fit_pca(features, index, params)
    changed = _features(index)
    not_train = (index["split"] != "train").to_numpy()
    changed["features"][not_train] += 100.0
    _, pca_changed, _ = fit_pca(changed, index, params)
    np.testing.assert_array_equal(pca.components_, pca_changed.components_)
    assert summary["n_train"] == int((index["split"] == "train").sum())
    assert summary["fitted_on"] == "train split only"
    assert summary["fit_on"] == "train" and summary["n_fit"] == summary["n_train"]
    changed["features"][~not_train] += 1.0
    _, moved, _ = fit_pca(changed, index, params)
    assert not np.array_equal(pca.mean_, moved.mean_)


def test_pca_fit_on_all_reproduces_the_study_leak(sample):
    """With ``fit_on: all`` the test rows alone move the components; with ``train`` not."""
    _, _, index, _ = sample
    test = (index["split"] == "test").to_numpy()
    features = _features(index)
    changed = _features(index)
    changed["features"][test] = np.random.default_rng(5).normal(
        scale=10.0, size=(int(test.sum()), changed["features"].shape[1])
    )
    fitted = {}
    for fit_on in ("train", "all"):
        params = FeatureEngineeringParams.model_validate(
            {"backbone": TINY, "pca": {"n_components": 5, "fit_on": fit_on}}
        )
        _, before, summary = fit_pca(features, index, params)
        _, after, _ = fit_pca(changed, index, params)
        fitted[fit_on] = (before, after, summary)
    before, after, summary = fitted["train"]
    np.testing.assert_array_equal(before.components_, after.components_)
    assert summary["fit_on"] == "train" and summary["n_fit"] == summary["n_train"]
    before, after, summary = fitted["all"]
    assert not np.allclose(np.abs(before.components_), np.abs(after.components_), atol=1e-3)
    assert not np.array_equal(before.mean_, after.mean_)
    assert summary["fit_on"] == "all" and summary["n_fit"] == len(index)
    assert summary["n_train"] == int((index["split"] == "train").sum())
    assert "the study's leak" in summary["fitted_on"]


@pytest.mark.parametrize("solver", ["full", "randomized", "incremental"])
def test_pca_solvers_and_standardisation(sample, solver):
    _, _, index, vocabulary = sample
    params = FeatureEngineeringParams.model_validate(
        {"backbone": TINY, "pca": {"n_components": 5, "solver": solver, "standardize": True}}
    )
    features = _features(index)
    scaler, pca, summary = fit_pca(features, index, params)
    assert len(summary["explained_variance_ratio"]) == 5
    model_input = build_model_input(features, index, vocabulary, scaler, pca)
    for split in ("train", "val", "test"):
        part = model_input[split]
        assert part["X"].shape == (len(part["image_ids"]), 5)
        assert part["Y"].shape == (len(part["image_ids"]), len(vocabulary.classes_))
        expected = index.set_index("image_id").loc[part["image_ids"], "split"]
        assert (expected == split).all()
    train_x = model_input["train"]["X"]
    np.testing.assert_allclose(train_x.mean(axis=0), 0, atol=1e-4)


def test_too_many_components_names_the_parameter(sample):
    _, _, index, _ = sample
    params = FeatureEngineeringParams.model_validate(
        {"backbone": TINY, "pca": {"n_components": 500}}
    )
    with pytest.raises(ValueError, match=r"feature_engineering\.pca\.n_components=500"):
        fit_pca(_features(index), index, params)


def test_too_many_components_are_refused_before_any_extraction(sample, cache, backbone_builds):
    _, parts, index, _ = sample
    params = FeatureEngineeringParams.model_validate(
        {"backbone": TINY, "pca": {"n_components": 300}}
    )
    with pytest.raises(ValueError, match=r"n_components=300 .* feature width 256"):
        extract_features(parts, index, cache.load(), params)
    assert backbone_builds == []


@pytest.mark.parametrize(
    ("backbone", "match"),
    [
        ({"name": "alexnet"}, "Unknown backbone"),
        ({"pooling": "mean"}, "avg"),
        ({"batch_size": 0}, "greater than or equal to 1"),
        ({"name": "resnet50", "alpha": 0.25}, "alpha"),
    ],
)
def test_bad_backbone_parameters_fail_validation(backbone, match):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=match):
        FeatureEngineeringParams.model_validate({"backbone": {**TINY, **backbone}})


# ------------------------------------------------------------ content-aware cache


def test_an_image_replaced_under_the_same_name_is_extracted_again(tmp_path, sample_generator,
                                                                  cache):
    from PIL import Image

    from art_genre.datasets import FileDigestDataset
    from art_genre.pipelines.feature_engineering.nodes import digest_images

    root = tmp_path / "paintings"
    sample_generator.make_sample(root, images_per_artist=2)
    index, _, _, _ = _index(root, DataProcessingParams())
    params = _params()

    def digests():
        parts = PartitionedCacheDataset(path=str(root), dataset=FileDigestDataset).load()
        return digest_images(parts, index)

    parts = _partitions(root)
    cache.save(extract_features(parts, index, cache.load(), params, digests()))
    assert extract_features(parts, index, cache.load(), params, digests()) == {}
    before, _ = assemble_features(cache.load(), index, params, digests())
    victim = index["image_id"].iloc[3]
    Image.new("RGB", (50, 40), (250, 10, 10)).save(root / victim)  # same name, new content
    parts = _partitions(root)
    rerun = extract_features(parts, index, cache.load(), params, digests())
    assert [i for make in rerun.values() for i in make()["image_ids"]] == [victim]
    cache.save(extract_features(parts, index, cache.load(), params, digests()))
    after, _ = assemble_features(cache.load(), index, params, digests())
    changed = np.abs(after["features"] - before["features"]).max(axis=1) > 0
    assert changed.tolist() == [i == victim for i in index["image_id"]]
    # By name only (no digests), the stale features would have been kept.
    stale, _ = assemble_features(cache.load(), index, params)
    assert stale["image_ids"] == before["image_ids"]


def test_a_vanished_indexed_image_names_the_command(sample):
    from art_genre.pipelines.feature_engineering.nodes import digest_images

    _, _, index, _ = sample
    with pytest.raises(FileNotFoundError, match="kedro run --pipelines data_processing"):
        digest_images({}, index)
