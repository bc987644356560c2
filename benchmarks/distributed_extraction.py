"""Benchmark feature extraction: local vs a Dask ``LocalCluster`` of 1 and 2 workers.

All runs happen in one process on the same images (``(image_id, load_fn)`` pairs from a
``PartitionedDataset`` of ``pillow.ImageDataset``, as the pipeline gets them) and the same
backbone settings:

(a) local: one backbone in this process, ``iter_feature_batches`` over every image (the
    ``executor: local`` path);
(b) dask: :class:`~art_genre.features.distributed.DaskBatchExtraction` on a
    ``LocalCluster`` of W worker processes, one task per batch, results taken in key order
    (the ``executor: dask`` path), for each W of ``--workers``.

The backbone build (and for Dask the cluster start and each worker's TensorFlow import and
build) is timed apart and left out of the images/s, which are steady-state figures. It
also measures what a scheduler costs per task (a burst of empty tasks) and what the
Kedro process spends per shard (pickling it to disk), and prints what that predicts for N
machines. Run from the project root, e.g.::

    python benchmarks/distributed_extraction.py --n 256
    python benchmarks/distributed_extraction.py --images ../shared/data/best-artworks \\
        --keras-home ../shared/keras --backbone mobilenet --alpha 0.25 --weights imagenet

Default: random-weight MobileNet 0.25 at 224 px (no download), the bundled sample.
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

from art_genre.labels import IMAGE_SUFFIXES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "01_raw" / "sample"
MACHINES = (1, 2, 4, 8, 16, 32, 64, 128)
WIKIART = 80_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--images", type=Path, default=SAMPLE, help="image folder (default: bundled sample)"
    )
    parser.add_argument("--n", type=int, default=256, help="images (cycled if fewer)")
    parser.add_argument("--backbone", default="mobilenet")
    parser.add_argument("--alpha", type=float, default=0.25)
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--weights", default="none", help="'none' (random) or 'imagenet'")
    parser.add_argument(
        "--keras-home", type=Path, default=None, help="KERAS_HOME (ImageNet weights cache)"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes per setup; the best is kept"
    )
    parser.add_argument("--decode-workers", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="LocalCluster sizes"
    )
    parser.add_argument(
        "--threads-per-worker",
        type=int,
        nargs="+",
        default=[1, 2],
        help="tasks per worker at once (2: one decodes while the other predicts)",
    )
    parser.add_argument(
        "--noop-tasks", type=int, default=500, help="empty tasks for the overhead"
    )
    return parser.parse_args(argv)


def _noop(x: int) -> int:
    return x


def image_items(folder: Path, n: int) -> list[tuple[str, Any]]:
    """``n`` ``(image_id, load_fn)`` pairs from the folder, cycled with new ids if short."""
    from kedro_datasets.partitions import PartitionedDataset

    parts = PartitionedDataset(path=str(folder), dataset="pillow.ImageDataset").load()
    images = sorted(k for k in parts if k.lower().endswith(IMAGE_SUFFIXES))
    if not images:
        sys.exit(f"No .jpg/.jpeg/.png images under {folder}")
    return [
        (f"{images[i % len(images)]}#{i // len(images)}", parts[images[i % len(images)]])
        for i in range(n)
    ]


def batches_of(items: list[tuple[str, Any]], size: int) -> list[tuple[str, list]]:
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    return [(f"bench/{k:06d}", chunk) for k, chunk in enumerate(chunks)]


def run_local(items, settings, args) -> dict[str, float]:
    from art_genre.features import build_backbone, iter_feature_batches

    start = time.perf_counter()
    model = build_backbone(settings)
    build = time.perf_counter() - start
    warm = items[: args.batch_size]
    for _ in iter_feature_batches(warm, model, settings, progress=False):
        pass
    seconds = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in iter_feature_batches(
            items,
            model,
            settings,
            batch_size=args.batch_size,
            progress=False,
            decode_workers=args.decode_workers,
        ):
            pass
        seconds.append(time.perf_counter() - start)
    best = min(seconds)
    return {"build_s": build, "seconds": best, "rate": len(items) / best}


def run_dask(
    items, settings, args, workers: int, threads: int, tf_threads: int | None
) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from art_genre.features import distributed as dist

    fingerprint = settings.fingerprint()
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=threads, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    started = time.perf_counter() - start
    try:
        start = time.perf_counter()
        warm = [
            client.submit(
                dist.warm_up, settings, fingerprint, tf_threads, workers=[w], pure=False
            )
            for w in client.nthreads()
        ]
        client.gather(warm)
        warm_s = time.perf_counter() - start
        # one untimed batch per worker: TensorFlow traces its function on first predict
        first = [
            client.submit(
                dist.extract_batch,
                items[: args.batch_size],
                settings,
                fingerprint,
                args.decode_workers,
                tf_threads,
                workers=[w],
                pure=False,
            )
            for w in client.nthreads()
        ]
        client.gather(first)
        del first
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            extraction = dist.DaskBatchExtraction(
                batches_of(items, args.batch_size),
                settings,
                address=cluster.scheduler_address,
                tf_threads=tf_threads,
                decode_workers=args.decode_workers,
                progress=False,
            )
            n = 0
            for key in extraction.pending:
                batch = extraction.result(key)
                n += len(batch.ids) + len(batch.failures)
            assert n == len(items)
            times.append(time.perf_counter() - start)
        seconds = min(times)
    finally:
        client.close()
        start = time.perf_counter()
        cluster.close()
        closed_s = time.perf_counter() - start
    return {
        "start_s": started,
        "warm_s": warm_s,
        "close_s": closed_s,
        "seconds": seconds,
        "rate": len(items) / seconds,
    }


def task_overhead(k: int) -> dict[str, float]:
    """Seconds per empty task: a burst of ``k`` (throughput) and one at a time (latency)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        client.gather(client.map(_noop, range(10), pure=False))
        start = time.perf_counter()
        client.gather(client.map(_noop, range(k), pure=False))
        burst = (time.perf_counter() - start) / k
        start = time.perf_counter()
        for i in range(50):
            client.submit(_noop, i, pure=False).result()
        latency = (time.perf_counter() - start) / 50
    return {"burst_s": burst, "latency_s": latency}


def shard_write_seconds(items, settings, args) -> tuple[float, int, int]:
    """Seconds the Kedro process spends writing one shard; shard and task sizes."""
    import numpy as np

    from art_genre.features import feature_width

    width = feature_width(settings)
    rows = args.batch_size
    shard = {
        "image_ids": [i for i, _ in items[:rows]],
        "features": np.random.default_rng(0).normal(size=(rows, width)).astype("float32"),
        "failures": [],
        "fingerprint": settings.fingerprint(),
        "backbone": settings.to_dict(),
    }
    task_bytes = len(pickle.dumps(items[:rows]))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for k in range(20):
            with open(Path(tmp) / f"{k}.pkl", "wb") as f:
                pickle.dump(shard, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
        seconds = (time.perf_counter() - start) / 20
    return seconds, len(pickle.dumps(shard)), task_bytes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.keras_home is not None:
        os.environ["KERAS_HOME"] = str(args.keras_home.resolve())  # workers inherit it
    import keras
    import tensorflow as tf

    from art_genre.features import BackboneSettings

    weights = None if args.weights.lower() in {"none", "null"} else args.weights
    settings = BackboneSettings(
        name=args.backbone,
        weights=weights,
        alpha=args.alpha,
        input_size=args.input_size,
    )
    items = image_items(args.images, args.n)
    cores = os.cpu_count() or 1
    print(
        f"python {platform.python_version()}, tensorflow {tf.__version__}, "
        f"keras {keras.__version__}, {cores} cores, load {os.getloadavg()[0]:.2f}"
    )
    print(f"images: {len(items)} from {args.images} (cycled as needed)")
    print(f"backbone: {settings} (fingerprint {settings.fingerprint()})")
    print(
        f"batch (= shard = task): {args.batch_size} images, decode_workers "
        f"{args.decode_workers}; best of {args.repeat} timed passes per setup"
    )
    print()

    local = run_local(items, settings, args)
    print(
        f"{'local':<32}: {local['rate']:7.1f} img/s  ({local['seconds']:.1f} s; "
        f"backbone build {local['build_s']:.1f} s)"
    )
    results: dict[tuple[int, int, int | None], dict[str, float]] = {}
    for workers in args.workers:
        for threads in args.threads_per_worker:
            tf_choices: list[int | None] = [None]
            if workers > 1:
                tf_choices.append(max(1, cores // workers))
            for tf_threads in tf_choices:
                label = f"dask {workers}w x {threads}t, TF threads {tf_threads or 'all'}"
                res = run_dask(items, settings, args, workers, threads, tf_threads)
                results[(workers, threads, tf_threads)] = res
                print(
                    f"{label:<32}: {res['rate']:7.1f} img/s  x{res['rate'] / local['rate']:.2f} "
                    f"of local  ({res['seconds']:.1f} s; cluster start {res['start_s']:.1f} s, "
                    f"TF import + build on the workers {res['warm_s']:.1f} s, "
                    f"close {res['close_s']:.1f} s)"
                )

    again = run_local(items, settings, args)
    print(
        f"{'local again':<32}: {again['rate']:7.1f} img/s  (drift of the machine: "
        f"x{again['rate'] / local['rate']:.2f})"
    )
    overhead = task_overhead(args.noop_tasks)
    write_s, shard_bytes, task_bytes = shard_write_seconds(items, settings, args)
    print()
    print(
        f"scheduler: {overhead['burst_s'] * 1e3:.2f} ms per task in a burst of "
        f"{args.noop_tasks} (the scheduler's ceiling: {1 / overhead['burst_s']:.0f} tasks/s), "
        f"{overhead['latency_s'] * 1e3:.1f} ms round trip for one"
    )
    print(
        f"per task: {task_bytes / 1024:.1f} KiB sent (pickled loaders), "
        f"{shard_bytes / 1024:.1f} KiB back; the Kedro process writes a shard in "
        f"{write_s * 1e3:.1f} ms (pickle + fsync, local disk)"
    )

    singles = [(r["rate"], key) for key, r in results.items() if key[0] == 1]
    best = max(singles)[1] if singles else None
    one = results[best] if best else None
    per_machine = one["rate"] if one else local["rate"]
    batch = args.batch_size
    ceilings = {
        "scheduler": batch / overhead["burst_s"],
        "shard writes": batch / write_s,
    }
    ceiling_name, ceiling = min(ceilings.items(), key=lambda kv: kv[1])
    print()
    print(
        f"Prediction for N machines like this one, one worker each (all cores), "
        f"{per_machine:.1f} img/s per worker (the best 1-worker figure"
        f"{f', {best[1]} threads' if best else ''}),"
    )
    print(
        f"capped by the scheduler at {ceilings['scheduler']:,.0f} img/s "
        f"({batch} images per task) and by the Kedro process writing shards at "
        f"{ceilings['shard writes']:,.0f} img/s; the images must reach the workers "
        "(shared storage bandwidth is not measured here):"
    )
    local_rate = max(local["rate"], again["rate"])
    print(f"{'N':>5} {'img/s':>10} {'x local':>8} {WIKIART:,} images")
    for n in MACHINES:
        rate = min(n * per_machine, ceiling)
        limit = f"  ({ceiling_name}-bound)" if rate == ceiling else ""
        print(
            f"{n:>5} {rate:>10.1f} {rate / local_rate:>8.1f} "
            f"{WIKIART / rate / 60:>8.1f} min{limit}"
        )
    print(
        "plus a one-off start per run: cluster and workers up, then TensorFlow import and "
        "backbone build on every worker at once "
        f"(here {one['start_s'] + one['warm_s']:.0f} s)." if one else ""
    )


if __name__ == "__main__":
    main()
