"""Peak memory of assembling cached feature shards, against the size of the feature matrix.

Writes ``--rows`` synthetic feature rows of ``--width`` float32 numbers as shards of
``--batch`` rows (ArrayBundle ``.npz`` files, as the pipeline writes them) in a temporary
folder, then, in one process, measures with ``tracemalloc`` (NumPy reports its buffers
to it) the peak of Python/NumPy allocations of:

(a) the previous way: every shard loaded, a dict of rows, ``np.stack``, then the float32
    cast (as before this change), for reference;
(b) ``assemble_features``: manifests first, then one preallocated array filled shard by
    shard;
(c) ``cached_image_ids`` (planning a rerun): what it reads, manifests only.

and prints each peak as a multiple of the final matrix. Run from the project root::

    python benchmarks/assembly_memory.py --rows 10240 --width 8192
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine_line  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_240)
    parser.add_argument("--width", type=int, default=8_192, help="features per row")
    parser.add_argument("--batch", type=int, default=32, help="rows per shard")
    return parser.parse_args(argv)


def _old_assembly(loaders: dict, fingerprint: str, ids: list[str]) -> np.ndarray:
    rows: dict[str, np.ndarray] = {}
    for key in sorted(k for k in loaders if k.split("/", 1)[0] == fingerprint):
        shard = loaders[key]()
        for image_id, row in zip(shard["image_ids"], shard["features"], strict=True):
            rows.setdefault(image_id, row)
    return np.stack([rows[i] for i in ids]).astype(np.float32, copy=False)


def _peak(label: str, fn, matrix_bytes: int) -> object:
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {label:52s} peak {peak / 2**20:8.1f} MiB = {peak / matrix_bytes:5.2f}x the "
        f"matrix ({seconds:.1f} s)"
    )
    return result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from art_genre.datasets import PartitionedCacheDataset
    from art_genre.features.params import FeatureEngineeringParams
    from art_genre.pipelines.feature_engineering.nodes import (
        assemble_features,
        cached_image_ids,
        shard_key,
    )

    print(machine_line())
    params = FeatureEngineeringParams.model_validate(
        {"backbone": {"name": "resnet50", "weights": None, "pooling": "avg"}}
    )
    settings = params.backbone.settings()
    fingerprint = settings.fingerprint()
    ids = [f"painting_{i:06d}.jpg" for i in range(args.rows)]
    matrix_bytes = args.rows * args.width * 4
    with tempfile.TemporaryDirectory() as tmp:

        def dataset() -> PartitionedCacheDataset:
            return PartitionedCacheDataset(
                path=tmp,
                dataset={"type": "art_genre.datasets.ArrayBundleDataset"},
                filename_suffix=".npz",
            )

        rng = np.random.default_rng(0)
        shards = {}
        for start in range(0, args.rows, args.batch):
            chunk = ids[start : start + args.batch]
            shards[shard_key(fingerprint, chunk)] = {
                "image_ids": chunk,
                "features": rng.standard_normal((len(chunk), args.width), np.float32),
                "failures": [],
                "fingerprint": fingerprint,
                "backbone": settings.to_dict(),
                "digests": {},
            }
        dataset().save(shards)
        del shards
        print(
            f"{args.rows} rows x {args.width} float32 in {len(dataset().load())} shards of "
            f"{args.batch}: feature matrix {matrix_bytes / 2**20:.1f} MiB"
        )
        index = pd.DataFrame({"image_id": ids[::-1]})  # index order != shard order
        # feature_width(settings) is 2048 for resnet50 avg: widen it for the synthetic rows
        from art_genre.pipelines.feature_engineering import nodes

        nodes.feature_width = lambda _settings: args.width  # type: ignore[assignment]
        old = _peak(
            "(a) previous: load all, dict of rows, np.stack",
            lambda: _old_assembly(dataset().load(), fingerprint, list(index["image_id"])),
            matrix_bytes,
        )
        new, _ = _peak(
            "(b) assemble_features: manifests, preallocated fill",
            lambda: assemble_features(dataset().load(), index, params),
            matrix_bytes,
        )
        assert np.array_equal(old, new["features"])
        del old, new
        _peak(
            "(c) cached_image_ids (planning a rerun): manifests",
            lambda: cached_image_ids(dataset().load(), fingerprint),
            matrix_bytes,
        )
        print("  wall time without tracemalloc, alternated, median of 3:")
        times: dict[str, list[float]] = {"full": [], "manifest": []}
        for _ in range(3):
            for way in ("full", "manifest"):
                loaders = dataset().load()
                start = time.perf_counter()
                for load in loaders.values():
                    load() if way == "full" else load.__self__.load_manifest()
                times[way].append(time.perf_counter() - start)
        full, manifest = (sorted(times[w])[1] for w in ("full", "manifest"))
        print(
            f"  reading every shard in full (previous planning) {full:.2f} s, its manifest "
            f"only {manifest:.2f} s ({full / manifest:.1f}x)"
        )


if __name__ == "__main__":
    main()
