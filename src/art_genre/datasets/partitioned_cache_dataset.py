"""A partitioned dataset that may still be empty: a cache before its first run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kedro_datasets.partitions import PartitionedDataset


class PartitionedCacheDataset(PartitionedDataset):
    """``PartitionedDataset`` that loads ``{}`` when its folder holds no partition yet.

    kedro-datasets' ``PartitionedDataset`` raises on an empty or missing folder, which is
    right for input data but not for a cache that a pipeline fills itself: on the first run
    nothing is cached, and that is no error. Everything else is ``PartitionedDataset``'s.
    """

    def load(self) -> dict[str, Callable[[], Any]]:
        """Lazy loaders of the partitions, or ``{}`` when there are none yet."""
        self._invalidate_caches()
        if not self._filesystem.exists(self._normalized_path) or not self._list_partitions():
            return {}
        return super().load()
