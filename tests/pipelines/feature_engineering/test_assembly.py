"""Planning reads shard manifests only; assembly fills one preallocated array.

Synthetic shards (no images, no backbone): what matters is which files are read and how.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from art_genre.datasets import ArrayBundleDataset, PartitionedCacheDataset
from art_genre.features import feature_width
from art_genre.features.params import FeatureEngineeringParams
from art_genre.pipelines.feature_engineering.nodes import (
    assemble_features,
    cached_image_ids,
    shard_key,
)

PARAMS = FeatureEngineeringParams.model_validate(
    {"backbone": {"name": "mobilenet", "weights": None, "alpha": 0.25, "input_size": 64}}
)
SETTINGS = PARAMS.backbone.settings()
FP = SETTINGS.fingerprint()
WIDTH = feature_width(SETTINGS)


def _shard(ids: list[str], seed: int, failures=()) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "image_ids": ids,
        "features": rng.normal(size=(len(ids), WIDTH)).astype(np.float32),
        "failures": [list(f) for f in failures],
        "fingerprint": FP,
        "backbone": SETTINGS.to_dict(),
        "digests": {},
    }


@pytest.fixture
def cache(tmp_path):
    def dataset():
        return PartitionedCacheDataset(
            path=str(tmp_path / "cache"),
            dataset={"type": "art_genre.datasets.ArrayBundleDataset"},
            filename_suffix=".npz",
        )

    ids = [f"img{i:03d}.jpg" for i in range(40)]
    shards = {}
    for n, start in enumerate(range(0, 40, 8)):
        chunk = ids[start : start + 8]
        shards[shard_key(FP, chunk)] = _shard(chunk, n)
    dataset().save(shards)
    return dataset, ids, shards


@pytest.fixture
def array_reads(monkeypatch):
    """Counts full shard loads (the feature arrays); manifests are not counted."""
    reads: list[str] = []
    real = ArrayBundleDataset.load

    def counting(self):
        reads.append(str(self._filepath))
        return real(self)

    monkeypatch.setattr(ArrayBundleDataset, "load", counting)
    return reads


def test_planning_reads_no_feature_array(cache, array_reads):
    dataset, ids, _ = cache
    assert cached_image_ids(dataset().load(), FP) == set(ids)
    assert array_reads == []


def test_manifest_is_the_shard_without_arrays(cache):
    dataset, _, shards = cache
    loaders = dataset().load()
    key = sorted(loaders)[0]
    manifest = loaders[key].__self__.load_manifest()
    assert manifest["image_ids"] == shards[key]["image_ids"]
    assert set(manifest["features"]) == {"__array__"}


def test_assembly_fills_index_order_and_reads_each_needed_shard_once(cache, array_reads):
    dataset, ids, shards = cache
    wanted = ids[::-1][:20]  # index order differs from shard order; 3 of 5 shards needed
    index = pd.DataFrame({"image_id": wanted})
    features, issues = assemble_features(dataset().load(), index, PARAMS)
    rows = {
        i: f for s in shards.values() for i, f in zip(s["image_ids"], s["features"], strict=True)
    }
    assert features["image_ids"] == wanted
    assert features["features"].dtype == np.float32
    assert features["features"].flags.c_contiguous
    np.testing.assert_array_equal(features["features"], np.stack([rows[i] for i in wanted]))
    assert len(array_reads) == 3  # shards holding none of the wanted images are not read
    assert issues.empty


def test_a_shard_with_unreadable_features_names_the_remedy(cache, monkeypatch):
    dataset, ids, _ = cache

    def broken(self):
        raise OSError("bad CRC")

    monkeypatch.setattr(ArrayBundleDataset, "load", broken)
    with pytest.raises(ValueError, match="delete it and run the feature_engineering"):
        assemble_features(dataset().load(), pd.DataFrame({"image_id": ids}), PARAMS)
