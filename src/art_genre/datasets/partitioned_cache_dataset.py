"""A partitioned dataset that may still be empty (a cache before its first run) and that
heals: a partition that cannot be read is moved aside, so the pipeline makes it again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from kedro.io.core import DatasetError
from kedro_datasets.partitions import PartitionedDataset

logger = logging.getLogger(__name__)


class PartitionedCacheDataset(PartitionedDataset):
    """``PartitionedDataset`` that loads ``{}`` when its folder holds no partition yet.

    kedro-datasets' ``PartitionedDataset`` raises on an empty or missing folder, which is
    right for input data but not for a cache that a pipeline fills itself: on the first run
    nothing is cached, and that is no error.

    With ``verify: true`` loading also reads every partition in full (for an
    :class:`~art_genre.datasets.ArrayBundleDataset`: its arrays against the content hash
    its manifest records). A partition that fails is moved aside to the ``quarantine``
    folder (kept, not deleted), named in the log and left out of what is loaded: the
    pipeline sees its items as not cached and makes them again in the same run. Without
    it a flipped bit in a shard's features would pass every manifest check and fail
    every run. Everything else is ``PartitionedDataset``'s.

    Example (catalog)::

        cached_feature_shards:
          type: art_genre.datasets.PartitionedCacheDataset
          path: data/04_feature/feature_cache
          dataset: art_genre.datasets.ArrayBundleDataset
          filename_suffix: .npz
          verify: true   # quarantine: data/04_feature/feature_cache.corrupt
    """

    def __init__(self, *, verify: bool = False, quarantine: str | None = None,
                 **kwargs: Any) -> None:
        """Args:
        verify: Read every partition when loading; move aside those that fail.
        quarantine: Where failed partitions go (local paths only); default: the
            folder's path with ``.corrupt`` appended.
        **kwargs: ``PartitionedDataset``'s arguments.
        """
        super().__init__(**kwargs)
        self._verify = verify
        self._quarantine = quarantine or self._path.rstrip("/") + ".corrupt"

    def load(self) -> dict[str, Callable[[], Any]]:
        """Lazy loaders of the (healthy) partitions, or ``{}`` when there are none yet."""
        self._invalidate_caches()
        if not self._filesystem.exists(self._normalized_path) or not self._list_partitions():
            return {}
        partitions = super().load()
        if not self._verify:
            return partitions
        healthy = {}
        for partition, load in partitions.items():
            try:
                load()
            except DatasetError as error:
                self._set_aside(partition, str(error))
            else:
                healthy[partition] = load
        self._invalidate_caches()
        return healthy

    def _set_aside(self, partition: str, reason: str) -> None:
        """Move one unreadable partition to the quarantine folder (a fresh name there)."""
        fs = self._filesystem
        source = self._partition_to_path(partition)
        target = PurePosixPath(self._quarantine) / (partition + self._filename_suffix)
        n = 1
        while fs.exists(str(target)):
            target = target.with_name(f"{target.stem}.{n}{target.suffix}")
            n += 1
        fs.makedirs(str(target.parent), exist_ok=True)
        fs.mv(source, str(target))
        logger.warning(
            "Cache partition %s cannot be read (%s); moved it to %s, it is made again in "
            "this run.", source, reason, target,
        )
