"""What verifying the feature cache costs: loading ``cached_feature_shards`` with and
without ``verify`` (every shard read in full and checked against its recorded hash).

Alternates the two in one process and prints the median of each and their ratio.

Usage::

    python benchmarks/cache_verify.py data/04_feature/feature_cache
"""

from __future__ import annotations

import argparse
import statistics
import time

from machine import machine_line

from art_genre.datasets import PartitionedCacheDataset


def load_seconds(path: str, verify: bool) -> tuple[float, int]:
    """Seconds to load the cache's loaders (and verify them), and how many shards."""
    cache = PartitionedCacheDataset(path=path, dataset="art_genre.datasets.ArrayBundleDataset",
                                    filename_suffix=".npz", verify=verify)
    start = time.perf_counter()
    shards = cache.load()
    return time.perf_counter() - start, len(shards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cache", help="the feature cache folder")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(machine_line())
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.repeats):
        for verify in (False, True):
            seconds, n = load_seconds(args.cache, verify)
            times[verify].append(seconds)
    plain, checked = statistics.median(times[False]), statistics.median(times[True])
    print(f"{n} shards: list only {plain * 1000:.0f} ms, verify {checked * 1000:.0f} ms "
          f"({checked / plain:.1f}x, {1000 * (checked - plain) / max(n, 1):.1f} ms per shard)")


if __name__ == "__main__":
    main()
