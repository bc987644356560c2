"""The project's small dataset extensions: atomic saves, an empty cache, an optional CSV."""

from __future__ import annotations

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


def test_optional_csv(tmp_path):
    missing = OptionalCSVDataset(filepath=str(tmp_path / "artists.csv"))
    assert missing.load().empty
    (tmp_path / "artists.csv").write_text("name,genre\nA,B\n")
    assert missing.load()["name"].tolist() == ["A"]
