"""A partitioned dataset that writes its partitions on a few threads at once."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from copy import deepcopy
from typing import Any

from kedro_datasets.partitions import PartitionedDataset

from art_genre.machine import usable_cores

MAX_DEFAULT_WORKERS = 4


class ConcurrentPartitionedDataset(PartitionedDataset):
    """``PartitionedDataset`` whose ``save`` makes and writes partitions on threads.

    kedro-datasets' ``PartitionedDataset`` saves one partition after the other: with lazy
    partitions (callables) each is computed, encoded and written in turn on one core.
    This one hands them to ``save_workers`` threads. It pays where the work releases
    Python's lock, as Pillow does while it composites, quantises and deflates an image
    (``predict``'s overlays: 1.9 ms per PNG on one thread, 1.0 ms on two).

    Partitions are submitted in key order and at most ``2 * save_workers`` are in flight,
    so only that many computed partitions wait in memory. The first partition that
    fails stops the save: no further partition is started and its error is raised.
    The files written are those ``PartitionedDataset`` writes; loading is its own.

    Args:
        save_workers: Threads that save partitions; ``None``: one per processor this
            process may use, at most 4. ``1`` saves exactly as ``PartitionedDataset``.
        **kwargs: ``PartitionedDataset``'s arguments.

    Raises:
        ValueError: If ``save_workers`` is below 1.
    """

    def __init__(self, *, save_workers: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if save_workers is not None and save_workers < 1:
            raise ValueError(f"save_workers must be at least 1, got {save_workers}.")
        self._save_workers = save_workers or min(MAX_DEFAULT_WORKERS, usable_cores())

    def save(self, data: dict[str, Any]) -> None:
        """Write every partition of ``data`` (computing lazy ones) on the worker threads."""
        if self._save_workers == 1:
            super().save(data)
            return
        if self._overwrite and self._filesystem.exists(self._normalized_path):
            self._filesystem.rm(self._normalized_path, recursive=True)
        pool = ThreadPoolExecutor(self._save_workers, thread_name_prefix="partition")
        pending: deque[Future[None]] = deque()
        try:
            for partition_id, partition_data in sorted(data.items()):
                if len(pending) >= 2 * self._save_workers:
                    pending.popleft().result()
                pending.append(pool.submit(self._save_partition, partition_id, partition_data))
            while pending:
                pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._invalidate_caches()

    def _save_partition(self, partition_id: str, partition_data: Any) -> None:
        """One partition, as ``PartitionedDataset.save`` writes each (its loop body)."""
        kwargs = deepcopy(self._dataset_config)
        kwargs[self._filepath_arg] = self._join_protocol(self._partition_to_path(partition_id))
        dataset = self._dataset_type(**kwargs)  # type: ignore[operator]
        if callable(partition_data) and self._save_lazily:
            partition_data = partition_data()
        dataset.save(partition_data)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "save_workers": self._save_workers}


__all__ = ["ConcurrentPartitionedDataset"]
