"""ConcurrentPartitionedDataset: PartitionedDataset's files, written on a few threads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from kedro.io.core import DatasetError
from kedro_datasets.partitions import PartitionedDataset
from PIL import Image

from art_genre.datasets import ConcurrentPartitionedDataset

IMAGES = {"type": "pillow.ImageDataset", "save_args": {"compress_level": 1}}


def _image(seed: int) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (24, 31, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _data(n: int, lazy: bool) -> dict:
    # nested ids, as predict's partitions are (a folder layout of paintings)
    keys = [f"{'ab'[i % 2]}/painting {i}.jpg" for i in range(n)]
    if lazy:
        return {k: (lambda i=i: _image(i)) for i, k in enumerate(keys)}
    return {k: _image(i) for i, k in enumerate(keys)}


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("lazy", [True, False])
def test_writes_the_files_partitioned_dataset_writes(tmp_path, workers, lazy):
    PartitionedDataset(path=str(tmp_path / "plain"), dataset=IMAGES,
                       filename_suffix=".png").save(_data(13, lazy))
    concurrent = ConcurrentPartitionedDataset(
        path=str(tmp_path / "threads"), dataset=IMAGES, filename_suffix=".png",
        save_workers=workers,
    )
    concurrent.save(_data(13, lazy))
    expected = _files(tmp_path / "plain")
    assert len(expected) == 13
    assert _files(tmp_path / "threads") == expected
    loaded = concurrent.load()  # loading is PartitionedDataset's own
    assert sorted(loaded) == sorted(_data(13, lazy))
    np.testing.assert_array_equal(np.asarray(loaded["b/painting 7.jpg"]()),
                                  np.asarray(_image(7)))


def test_overwrite_removes_the_partitions_of_the_previous_save(tmp_path):
    dataset = ConcurrentPartitionedDataset(
        path=str(tmp_path), dataset=IMAGES, filename_suffix=".png", overwrite=True,
        save_workers=2,
    )
    dataset.save(_data(6, lazy=True))
    dataset.save({"only.jpg": _image(99)})
    assert list(_files(tmp_path)) == ["only.jpg.png"]
    dataset.save({})
    assert _files(tmp_path) == {}


def test_at_most_two_partitions_per_worker_are_made_ahead_of_the_slowest(tmp_path):
    released = threading.Event()
    started: list[int] = []

    def make(i: int) -> Image.Image:
        started.append(i)
        if i == 0:
            released.wait(10)
        return _image(i)

    data = {f"{i:03d}": (lambda i=i: make(i)) for i in range(40)}
    dataset = ConcurrentPartitionedDataset(path=str(tmp_path), dataset=IMAGES,
                                           filename_suffix=".png", save_workers=3)
    saving = threading.Thread(target=dataset.save, args=(data,))
    saving.start()
    deadline = time.monotonic() + 10
    while len(started) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # had it not waited for the first partition, it would be far ahead
    assert sorted(started) == list(range(6))
    released.set()
    saving.join(10)
    assert len(_files(tmp_path)) == 40


def test_the_first_failing_partition_stops_the_save_with_its_error(tmp_path):
    started: list[int] = []

    def make(i: int) -> Image.Image:
        started.append(i)
        if i == 3:
            raise ValueError("painting 3 cannot be drawn")
        return _image(i)

    data = {f"{i:03d}": (lambda i=i: make(i)) for i in range(200)}
    dataset = ConcurrentPartitionedDataset(path=str(tmp_path), dataset=IMAGES,
                                           filename_suffix=".png", save_workers=2)
    with pytest.raises(DatasetError, match="painting 3 cannot be drawn"):
        dataset.save(data)
    assert len(started) < 20  # the rest were never started


def test_save_workers_below_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="save_workers must be at least 1, got 0"):
        ConcurrentPartitionedDataset(path=str(tmp_path), dataset=IMAGES, save_workers=0)
