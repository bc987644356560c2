"""Benchmark feature extraction: the study's one-predict-per-image loop vs ours.

Both ways run in one process on the same images and the same backbone object:

(a) the study's way: ``keras.utils.load_img(path, target_size=(224, 224))``,
    ``img_to_array``, the backbone's ``preprocess_input`` and one
    ``model.predict`` per image;
(b) ``iter_feature_batches`` end to end (file decoding included);
(c) for reference, the model alone on one in-memory batch (``predict_on_batch``).

It prints images/s, the speed-up of (b) over (a), peak memory (RSS of each phase
and tracemalloc's peak of Python/NumPy allocations) and the fraction of the
machine's FP32 FLOP bound reached. Run from the project root, e.g.::

    python benchmarks/feature_extraction.py --n 64 --backbone resnet50 --weights none

``--weights none`` (default) needs no download; ``--weights imagenet`` uses Keras'
cache (``$KERAS_HOME/models``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402

from art_genre.labels import IMAGE_SUFFIXES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "01_raw" / "sample"
#: The study's figure for ResNet50 at 224 px (multiply-accumulates per image).
RESNET50_NOMINAL_GMACS = 4.1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--images",
        type=Path,
        default=None,
        help=f"image folder, searched recursively (default: {SAMPLE} if present, "
        "else N random JPEGs in a temporary folder)",
    )
    parser.add_argument("--n", type=int, default=64, help="number of images")
    parser.add_argument("--backbone", default="resnet50")
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--pooling", default="avg", choices=["avg", "max", "flatten"])
    parser.add_argument(
        "--weights", default="none", help="'none' (random), 'imagenet' or a file"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--decode-workers",
        type=int,
        default=1,
        help="threads decoding the next batch during the model call (0: inline)",
    )
    parser.add_argument(
        "--intra-op", type=int, default=0, help="TF intra-op threads (0: TF default)"
    )
    parser.add_argument(
        "--inter-op", type=int, default=0, help="TF inter-op threads (0: TF default)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="interleaved timed rounds of every way; the best rate is reported",
    )
    parser.add_argument(
        "--skip-study", action="store_true", help="skip (a), the slow per-image loop"
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------ images


def find_images(folder: Path, n: int) -> list[Path]:
    """The first ``n`` images under ``folder`` (sorted), cycled if there are fewer."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not files:
        sys.exit(f"No .jpg/.jpeg/.png images under {folder}")
    return [files[i % len(files)] for i in range(n)]


def random_jpegs(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` random-noise JPEGs of painting-like sizes into ``folder``."""
    from PIL import Image  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        width, height = int(rng.integers(300, 513)), int(rng.integers(300, 513))
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        path = folder / f"random_{i:04d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


# ------------------------------------------------------------------ machine


def _cpuinfo() -> dict[str, str]:
    info: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        if not line.strip():
            break  # first processor only
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def peak_fp32_flops() -> tuple[float, str]:
    """Estimate the FP32 FLOP/s bound as cores x clock x FLOPs/cycle, with the reasoning."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    cores = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    mhz = float(info.get("cpu MHz", "0") or 0)
    clock_note = (
        "'cpu MHz' of /proc/cpuinfo (in a VM: the nominal/TSC clock, boost unknown)"
    )
    max_freq = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    if max_freq.exists():
        mhz = int(max_freq.read_text()) / 1000
        clock_note = "cpufreq cpuinfo_max_freq"
    vendor = info.get("vendor_id", "")
    family = int(info.get("cpu family", "0") or 0)
    if "avx512f" in flags and vendor == "AuthenticAMD" and family == 0x19:
        per_cycle = 32
        unit_note = (
            "AMD Zen 3/4 (family 25): AVX-512 is executed on 2 x 256-bit FMA pipes "
            "= 2 x 8 lanes x 2 FLOP = 32 FP32 FLOP/cycle"
        )
    elif "avx512f" in flags:
        per_cycle = 64
        unit_note = (
            "AVX-512 FMA, assumed 2 units x 16 lanes x 2 FLOP = 64 FP32 FLOP/cycle"
        )
    elif {"avx2", "fma"} <= flags:
        per_cycle = 32
        unit_note = "AVX2 FMA, 2 units x 8 lanes x 2 FLOP = 32 FP32 FLOP/cycle"
    elif "avx" in flags:
        per_cycle = 16
        unit_note = "AVX without FMA: 8-lane add + 8-lane mul = 16 FP32 FLOP/cycle"
    else:
        per_cycle = 8
        unit_note = "SSE: 4-lane add + 4-lane mul = 8 FP32 FLOP/cycle"
    peak = cores * mhz * 1e6 * per_cycle
    note = (
        f"{cores} cores x {mhz / 1000:.2f} GHz ({clock_note}) x {per_cycle} FLOP/cycle "
        f"[{unit_note}] = {peak / 1e9:.0f} GFLOP/s; model: {info.get('model name', '?')}"
    )
    return peak, note


def measured_matmul_flops(tf: Any, n: int = 2048, repeats: int = 10) -> float:
    """A practical ceiling: FP32 FLOP/s of a large ``tf.matmul`` (oneDNN/Eigen)."""
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def count_macs(model: Any) -> int:
    """Multiply-accumulates of one image through the Conv2D/Depthwise/Dense layers."""
    total = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        out_shape = tuple(layer.output.shape)
        positions = int(np.prod(out_shape[1:-1])) if len(out_shape) > 2 else 1
        # Conv2D: kh*kw*cin*cout, DepthwiseConv2D: kh*kw*cin*multiplier, Dense:
        # in*out multiply-accumulates per output position.
        total += positions * int(np.prod(tuple(kernel.shape)))
    return total


# ------------------------------------------------------------------ memory


def _vm_hwm_kib() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (Linux >= 4.0); False if impossible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Phase:
    """Time a phase; record its peak RSS (when resettable) and traced peak."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.seconds = 0.0
        self.peak_rss_mib: float | None = None
        self.traced_peak_mib: float | None = None

    def __enter__(self) -> Phase:
        self._resettable = _reset_peak_rss()
        if self.trace:
            tracemalloc.start()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        if self.trace:
            self.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        hwm = _vm_hwm_kib()
        if self._resettable and hwm is not None:
            self.peak_rss_mib = hwm / 1024


def timed(run: Callable[[], None]) -> float:
    """Seconds one call of ``run`` takes."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)

    import tensorflow as tf  # noqa: PLC0415

    if args.intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op)
    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)
    import keras  # noqa: PLC0415

    from art_genre.features import (  # noqa: PLC0415
        BackboneSettings,
        build_backbone,
        iter_feature_batches,
        path_items,
        preprocess,
        preprocess_function,
    )

    weights = None if args.weights.lower() in {"none", "null"} else args.weights
    settings = BackboneSettings(
        name=args.backbone, weights=weights, pooling=args.pooling, alpha=args.alpha
    )
    size = settings.image_size

    tmp = None
    if args.images is not None:
        paths, source = find_images(args.images, args.n), str(args.images)
    elif SAMPLE.exists():
        paths, source = find_images(SAMPLE, args.n), f"bundled sample {SAMPLE}"
    else:
        tmp = tempfile.TemporaryDirectory()
        paths, source = random_jpegs(Path(tmp.name), args.n), "random JPEGs"
    n = len(paths)

    print(
        f"python {platform.python_version()}, tensorflow {tf.__version__}, keras {keras.__version__}"
    )
    print(
        f"TF threads: intra-op {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}, "
        f"inter-op {tf.config.threading.get_inter_op_parallelism_threads() or 'default'}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"images: {n} from {source}")
    print(f"backbone: {settings}  (fingerprint {settings.fingerprint()})")

    model = build_backbone(settings)
    prep = preprocess_function(settings)
    macs = count_macs(model)
    print(
        f"model: {model.count_params():,} parameters, output {model.output_shape}, "
        f"{macs / 1e9:.2f} GMACs/image counted in conv/dense layers"
    )

    def study_one(path: Path) -> np.ndarray:
        img = keras.utils.load_img(path, target_size=size)  # interpolation="nearest"
        x = keras.utils.img_to_array(img)
        x = prep(np.expand_dims(x, axis=0))
        return model.predict(x, verbose=0)

    def study_all() -> None:
        for path in paths:
            study_one(path)

    def ours_all() -> None:
        for _batch in iter_feature_batches(
            path_items(paths),
            model,
            settings,
            batch_size=args.batch_size,
            progress=False,
            decode_workers=args.decode_workers,
        ):
            pass

    # Warm up both call paths (graph tracing for batch 1, full and last batch).
    study_one(paths[0])
    for _ in iter_feature_batches(
        path_items(paths[: args.batch_size]), model, settings, progress=False
    ):
        pass
    tail = n % args.batch_size
    if tail:
        for _ in iter_feature_batches(
            path_items(paths[:tail]), model, settings, progress=False
        ):
            pass

    x = preprocess(
        settings,
        np.random.default_rng(0).integers(
            0, 256, (args.batch_size, *size, 3), dtype=np.uint8
        ),
    )
    model.predict_on_batch(x)

    # Interleaved rounds: a load spike from another process hits every way alike.
    rss_before = _rss_kib() / 1024
    rounds: dict[str, list[float]] = {"study": [], "ours": [], "model_only": []}
    if args.skip_study:
        del rounds["study"]
    for _ in range(args.repeat):
        if "study" in rounds:
            rounds["study"].append(n / timed(study_all))
        rounds["ours"].append(n / timed(ours_all))
        rounds["model_only"].append(
            args.batch_size / timed(lambda: model.predict_on_batch(x))
        )
    results = {key: max(rates) for key, rates in rounds.items()}

    # Memory: separate passes with tracemalloc (it slows Python allocations).
    memory: dict[str, Phase] = {}
    if not args.skip_study:
        with Phase(trace=True) as memory["study"]:
            study_all()
    with Phase(trace=True) as memory["ours"]:
        ours_all()
    with Phase(trace=True) as memory["ours_half"]:
        for _ in iter_feature_batches(
            path_items(paths[: n // 2]),
            model,
            settings,
            batch_size=args.batch_size,
            progress=False,
            decode_workers=args.decode_workers,
        ):
            pass

    peak, peak_note = peak_fp32_flops()
    matmul = measured_matmul_flops(tf)
    flops_per_image = 2 * macs

    print()
    print(f"best of {args.repeat} interleaved rounds; rates of every round:")
    for key, rates in rounds.items():
        print(f"  {key:<11} " + " ".join(f"{r:7.2f}" for r in rates))
    print(f"{'way':<44} {'img/s':>8} {'GFLOP/s':>8} {'of peak':>8} {'of matmul':>9}")
    labels = {
        "study": "(a) study: load_img + predict per image",
        "ours": f"(b) iter_feature_batches, batch {args.batch_size}, end to end",
        "model_only": f"(c) model only, in-memory batch {args.batch_size}",
    }
    for key, rate in results.items():
        gflops = rate * flops_per_image / 1e9
        print(
            f"{labels[key]:<44} {rate:8.2f} {gflops:8.1f} {gflops * 1e9 / peak:8.0%} "
            f"{gflops * 1e9 / matmul:9.0%}"
        )
    if "study" in results:
        ratios = [o / a for o, a in zip(rounds["ours"], rounds["study"], strict=True)]
        print(
            f"speed-up (b)/(a): {results['ours'] / results['study']:.2f}x best vs best, "
            f"{np.median(ratios):.2f}x median of {len(ratios)} rounds  (goal >= 5x)"
        )
    print(
        f"(b) end to end / (c) model only: {results['ours'] / results['model_only']:.0%}"
    )
    print()
    print(f"FP32 bound: {peak_note}")
    print(
        f"measured 2048x2048 tf.matmul (best of 10): {matmul / 1e9:.0f} GFLOP/s "
        f"({matmul / peak:.0%} of the bound); over 100% means the cores run above "
        "the clock assumed (boost)"
    )
    if settings.name == "resnet50":
        print(
            f"study's nominal ResNet50 cost: {RESNET50_NOMINAL_GMACS} GMACs = "
            f"{2 * RESNET50_NOMINAL_GMACS:.1f} GFLOP/image (counted here: {2 * macs / 1e9:.2f})"
        )
    print()
    print(
        f"RSS before the timed phases: {rss_before:.0f} MiB; "
        f"process peak RSS (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    for key, phase in memory.items():
        label = {
            "study": "(a)",
            "ours": f"(b) {n} images",
            "ours_half": f"(b) {n // 2} images",
        }[key]
        rss = (
            f"{phase.peak_rss_mib:.0f} MiB" if phase.peak_rss_mib is not None else "n/a"
        )
        print(
            f"{label:<16} peak RSS {rss:>9}, tracemalloc peak {phase.traced_peak_mib:7.1f} MiB"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
