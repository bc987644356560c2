"""The project's small dataset extensions: atomic saves, an empty cache, an optional CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io.core import DatasetError, Version

from art_genre.datasets import (
    AtomicCSVDataset,
    AtomicJSONDataset,
    OptionalCSVDataset,
    PartitionedCacheDataset,
)


class _Unserialisable:
    """Fails JSON encoding after the values before it were written: a save killed mid-write."""


def test_a_failed_save_leaves_neither_a_partial_file_nor_a_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    with pytest.raises(DatasetError):
        AtomicJSONDataset(filepath=str(target)).save({"w": [1.0] * 1000, "x": _Unserialisable()})
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_keeps_the_previous_file_intact(tmp_path):
    dataset = AtomicJSONDataset(filepath=str(tmp_path / "metrics.json"))
    dataset.save({"version": 1})
    with pytest.raises(DatasetError):
        dataset.save({"version": 2, "x": _Unserialisable()})
    assert dataset.load() == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_atomic_versioned_json_and_csv_round_trip(tmp_path):
    versioned = AtomicJSONDataset(filepath=str(tmp_path / "m.json"), version=Version(None, None))
    versioned.save([1, 2])
    assert versioned.load() == [1, 2]
    json_ds = AtomicJSONDataset(filepath=str(tmp_path / "metrics.json"))
    json_ds.save({"macro_f1": 0.5})
    assert json_ds.load() == {"macro_f1": 0.5}
    csv = AtomicCSVDataset(filepath=str(tmp_path / "t.csv"), save_args={"index": False})
    csv.save(pd.DataFrame({"a": [1, 2]}))
    assert csv.load()["a"].tolist() == [1, 2]
    assert not list(tmp_path.glob(".*.tmp"))


def test_partitioned_cache_is_empty_before_its_first_save(tmp_path):
    cache = PartitionedCacheDataset(
        path=str(tmp_path / "cache"), dataset="pickle.PickleDataset", filename_suffix=".pkl"
    )
    assert cache.load() == {}
    cache.save({"a/b": 1})
    assert {k: f() for k, f in cache.load().items()} == {"a/b": 1}


def _flip_a_feature_bit(path):
    """Flip one bit of the ``features`` array, keeping the archive itself valid."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["features"].view(np.uint32).flat[3] ^= 1 << 4
    with open(path, "wb") as file:
        np.savez(file, **arrays)


@pytest.mark.parametrize("damage", ["flipped bit", "truncated"])
def test_a_verified_cache_moves_an_unreadable_shard_aside(tmp_path, caplog, damage):
    def cache():
        return PartitionedCacheDataset(
            path=str(tmp_path / "cache"), dataset="art_genre.datasets.ArrayBundleDataset",
            filename_suffix=".npz", verify=True,
        )

    shards = {f"fp/{n}": {"image_ids": [f"i{n}"], "features": np.ones((1, 4), np.float32) * n}
              for n in range(3)}
    cache().save(shards)
    broken = tmp_path / "cache/fp/1.npz"
    if damage == "truncated":
        broken.write_bytes(broken.read_bytes()[:100])
    else:
        _flip_a_feature_bit(broken)
    loaded = cache().load()
    assert sorted(loaded) == ["fp/0", "fp/2"]  # the others are still cached
    assert not broken.exists()
    kept = tmp_path / "cache.corrupt/fp/1.npz"
    assert kept.exists()  # moved aside, not deleted
    assert str(broken) in caplog.text and "made again in this run" in caplog.text
    cache().save({"fp/1": shards["fp/1"]})  # the pipeline writes it again
    assert sorted(cache().load()) == ["fp/0", "fp/1", "fp/2"]
    _flip_a_feature_bit(broken)
    cache().load()
    assert (tmp_path / "cache.corrupt/fp/1.1.npz").exists()  # a second one kept beside


def test_optional_csv(tmp_path):
    missing = OptionalCSVDataset(filepath=str(tmp_path / "artists.csv"))
    assert missing.load().empty
    (tmp_path / "artists.csv").write_text("name,genre\nA,B\n")
    assert missing.load()["name"].tolist() == ["A"]
