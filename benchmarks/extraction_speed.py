"""Benchmark feature extraction: engines, precisions, decoding and jpeg_draft.

Four parts, each measured in one process (ratios against a baseline run in the same
process; the variants alternate round by round and medians are reported, so that a
machine shared with other work biases none of them):

(a) ``throughput``: ResNet50 (random weights: no download) and MobileNet 0.25 (ImageNet
    weights from ``$KERAS_HOME``, random if absent) on each engine and precision
    (``--engines``: TensorFlow float32 and bfloat16, OpenVINO f32 and bf16): images/s
    of the model alone (:func:`~art_genre.features.run_backbone` on an in-memory
    preprocessed batch) and end to end (``iter_feature_batches`` over image files:
    decoding, resizing, preprocessing and the model), end to end as a share of model
    only, the features' minimum cosine to the first engine's, each OpenVINO row against
    TensorFlow float32, the goals, and what ``engine: auto`` picks on this CPU;
(b) ``draft``: JPEGs of 2,000 px and more, made in a temporary folder by upscaling real
    images (never kept), decoded to 224 px with and without ``jpeg_draft``: the decode
    speed ratio, and how much the MobileNet 0.25 features move (max/mean absolute
    difference, relative to the features' mean magnitude, cosine similarity); also on
    the real images as they are (``--images``), where only those at least 448 px on both
    sides are drafted;
(c) ``decoding``: JPEG to 224x224 RGB with Pillow, Pillow's draft, and simplejpeg
    (libjpeg-turbo; full size and scaled), inline and on a pool of 2 threads.

The machine line printed first names the CPU and its vector flags (AVX2, AVX512-BF16,
AMX): the bfloat16 goals only apply where the CPU computes bfloat16 natively.

Run from the project root, e.g.::

    KERAS_HOME=../shared/keras python benchmarks/extraction_speed.py \\
        --images ../shared/data/best-artworks --part throughput --part decoding
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine_line  # noqa: E402

SUFFIXES = {".jpg", ".jpeg"}
ENGINES = {  # label: (engine, precision)
    "tf-f32": ("tensorflow", "float32"),
    "tf-bf16": ("tensorflow", "bfloat16"),
    "ov-f32": ("openvino", "float32"),
    "ov-bf16": ("openvino", "bfloat16"),
}




def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=Path, default=ROOT / "data" / "01_raw" / "sample")
    parser.add_argument(
        "--part",
        action="append",
        choices=["throughput", "draft", "decoding"],
        help="what to measure (repeatable; default: throughput and draft)",
    )
    parser.add_argument("--n", type=int, default=96, help="images per end-to-end pass")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternated A/B rounds")
    parser.add_argument(
        "--backbones", default="mobilenet,resnet50", help="comma-separated: mobilenet,resnet50"
    )
    parser.add_argument(
        "--engines", default=",".join(ENGINES),
        help=f"comma-separated, the first is the reference: {','.join(ENGINES)}",
    )
    parser.add_argument("--decode-workers", type=int, default=1)
    parser.add_argument("--draft", action="store_true", help="jpeg_draft in (a)")
    parser.add_argument("--n-big", type=int, default=24, help="upscaled JPEGs for (b)")
    parser.add_argument("--big-side", type=int, default=2400, help="their longer side")
    return parser.parse_args(argv)


def image_files(folder: Path, n: int | None = None) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no JPEG under {folder}")
    return files if n is None else (files * (n // len(files) + 1))[:n]


def median_rate(samples: list[float]) -> float:
    return statistics.median(samples)


def settings_for(name: str, precision: str, jpeg_draft: bool = False) -> Any:
    from art_genre.features import BackboneSettings, keras_models_dir

    if name == "mobilenet":
        weights = "imagenet"
        if not (keras_models_dir() / "mobilenet_2_5_224_tf_no_top.h5").is_file():
            weights = None
        return BackboneSettings(
            name="mobilenet", alpha=0.25, weights=weights, precision=precision,
            jpeg_draft=jpeg_draft,
        )
    return BackboneSettings(
        name=name, weights=None, precision=precision, jpeg_draft=jpeg_draft
    )


# ---------------------------------------------------------------- (a) throughput

def _prepare(name: str, engines: list[str], args: argparse.Namespace, files: list[Path]):
    """Each engine's settings, model and an in-memory preprocessed batch (warmed up)."""
    from dataclasses import replace

    from art_genre.features import build_backbone, preprocess, run_backbone

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (args.batch_size, 224, 224, 3), dtype=np.uint8)
    prepared = {}
    for key in engines:
        engine, precision = ENGINES[key]
        settings = replace(
            settings_for(name, precision, jpeg_draft=args.draft), engine=engine
        )
        model = build_backbone(settings)
        x = preprocess(settings, pixels)
        run_backbone(model, x)  # trace / first inference
        _end_to_end(model, settings, files[: args.batch_size], args)
        prepared[key] = (settings, model, x)
    return prepared


def _end_to_end(model: Any, settings: Any, files: list[Path], args: argparse.Namespace):
    from art_genre.features import iter_feature_batches, path_items

    batches = iter_feature_batches(
        path_items(files, lazy=True), model, settings, batch_size=args.batch_size,
        progress=False, decode_workers=args.decode_workers,
    )
    return np.concatenate([batch.features for batch in batches])


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30
    return float(((a * b).sum(1) / norms).min())


def _rounds(prepared: dict, files: list[Path], args: argparse.Namespace):
    """Alternate the engines round by round: model-only and end-to-end rates, features."""
    from art_genre.features import run_backbone

    model_only: dict[str, list[float]] = {key: [] for key in prepared}
    end_to_end: dict[str, list[float]] = {key: [] for key in prepared}
    features: dict[str, np.ndarray] = {}
    n_calls = max(1, len(files) // args.batch_size)
    for _ in range(args.rounds):
        for key, (settings, model, x) in prepared.items():
            start = time.perf_counter()
            for _ in range(n_calls):
                run_backbone(model, x)
            model_only[key].append(n_calls * len(x) / (time.perf_counter() - start))
            start = time.perf_counter()
            features[key] = _end_to_end(model, settings, files, args)
            end_to_end[key].append(len(files) / (time.perf_counter() - start))
    return model_only, end_to_end, features


def _goal_lines(label: str, rows: dict[str, tuple[float, float]]) -> None:
    base = rows.get("tf-f32")
    if base is None:
        return
    from art_genre.features.engine_choice import choose_engine

    for key in ("ov-f32", "ov-bf16"):
        if key in rows:
            print(f"  {label}: {key} / tf-f32 end to end {rows[key][1] / base[1]:.2f}x")
    print(
        "  goals: AVX2 CPU: an OpenVINO row >= 1.00x end to end; AMX/AVX512-BF16 CPU: "
        "resnet50 ov-bf16 >= 3x end to end; end to end >= 90 % of model only"
    )
    for precision in ("float32", "bfloat16"):
        engine, why = choose_engine(precision)
        print(f"  engine: auto with {precision} picks {engine} here ({why})")


def throughput(args: argparse.Namespace) -> None:
    files = image_files(args.images, args.n)
    engines = args.engines.split(",")
    print(f"\n(a) throughput: {len(files)} images from {args.images}, batch {args.batch_size}, "
          f"decode_workers {args.decode_workers}, jpeg_draft {args.draft}, "
          f"{args.rounds} alternated rounds of {', '.join(engines)}, medians")
    for name in args.backbones.split(","):
        prepared = _prepare(name, engines, args, files)
        model_only, end_to_end, features = _rounds(prepared, files, args)
        weights = next(iter(prepared.values()))[0].weights or "random weights"
        label = f"mobilenet 0.25 {weights}" if name == "mobilenet" else f"{name} {weights}"
        rows = {}
        for key in prepared:
            mo, e2e = median_rate(model_only[key]), median_rate(end_to_end[key])
            rows[key] = (mo, e2e)
            cos = _cosine(features[engines[0]], features[key])
            print(
                f"  {label:26s} {key:7s}: model only {mo:7.1f} img/s, end to end "
                f"{e2e:7.1f} img/s = {100 * e2e / mo:5.1f} % of model only; min cosine "
                f"to {engines[0]} {cos:.7f} (end-to-end rounds: "
                f"{', '.join(f'{v:.1f}' for v in end_to_end[key])})"
            )
        _goal_lines(label, rows)


# -------------------------------------------------------------------- decoding

def _decoders(draft: bool) -> dict[str, Callable[[Path], np.ndarray]]:
    from art_genre.features import open_image, to_model_input

    def pillow(path: Path) -> np.ndarray:
        return to_model_input(open_image(path, lazy=True), (224, 224), "bilinear", draft=draft)

    decoders = {"pillow" + (" + draft" if draft else ""): pillow}
    try:
        import simplejpeg
        from PIL import Image
    except ImportError:
        return decoders

    def turbo(path: Path) -> np.ndarray:  # libjpeg-turbo's scaled decoding, then Pillow
        data = path.read_bytes()
        kwargs = {"min_width": 224, "min_height": 224} if draft else {}
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", **kwargs)
        img = Image.fromarray(pixels).resize((224, 224), Image.Resampling.BILINEAR)
        return np.asarray(img)

    decoders["simplejpeg" + (" + scaled" if draft else "")] = turbo
    return decoders


def _decode_pool_rate(decode: Callable, files: list[Path], workers: int) -> float:
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    if workers == 0:
        for path in files:
            decode(path)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(decode, files))
    return len(files) / (time.perf_counter() - start)


DECODE_CONFIGS = {  # label: (decode_workers, jpeg_draft)
    "inline": (0, False),
    "1 thread ahead": (1, False),
    "1 thread ahead + draft": (1, True),
    "2 threads ahead + draft": (2, True),
}


def _decoding_end_to_end(args: argparse.Namespace, files: list[Path]) -> None:
    """End to end on MobileNet 0.25 OpenVINO f32, one decoding set-up after the other."""
    from dataclasses import replace

    from art_genre.features import build_backbone, preprocess, run_backbone

    settings = replace(settings_for("mobilenet", "float32"), engine="openvino")
    model = build_backbone(settings)
    x = preprocess(settings, np.zeros((args.batch_size, 224, 224, 3), dtype=np.uint8))
    run_backbone(model, x)
    rates: dict[str, list[float]] = {label: [] for label in ["model only", *DECODE_CONFIGS]}
    n_calls = max(1, len(files) // args.batch_size)
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in range(n_calls):
            run_backbone(model, x)
        rates["model only"].append(n_calls * len(x) / (time.perf_counter() - start))
        for label, (workers, draft) in DECODE_CONFIGS.items():
            args.decode_workers = workers
            start = time.perf_counter()
            _end_to_end(model, replace(settings, jpeg_draft=draft), files, args)
            rates[label].append(len(files) / (time.perf_counter() - start))
    model_only = median_rate(rates["model only"])
    print(f"  end to end, mobilenet 0.25 {settings.weights or 'random'} on OpenVINO f32:")
    for label, values in rates.items():
        rate = median_rate(values)
        print(f"    {label:24s}: {rate:7.1f} img/s = {100 * rate / model_only:5.1f} % of model only")


def decoding(args: argparse.Namespace) -> None:
    files = image_files(args.images, args.n)
    decoders = {**_decoders(False), **_decoders(True)}
    print(f"\n(d) decoding {len(files)} JPEGs of {args.images} to 224x224 RGB, "
          f"{args.rounds} alternated rounds, medians (threads 0 = inline)")
    rates: dict[tuple[str, int], list[float]] = {}
    for decode in decoders.values():
        decode(files[0])  # warm up
    for _ in range(args.rounds):
        for name, decode in decoders.items():
            for workers in (0, 2):
                rates.setdefault((name, workers), []).append(
                    _decode_pool_rate(decode, files, workers)
                )
    base = median_rate(rates[("pillow", 0)])
    for (name, workers), values in rates.items():
        rate = median_rate(values)
        print(f"  {name:20s} threads {workers}: {rate:7.1f} img/s ({rate / base:.2f}x pillow inline)")
    _decoding_end_to_end(args, files)


# --------------------------------------------------------------------- (b) draft


def _make_big_jpegs(files: list[Path], folder: Path, side: int) -> list[Path]:
    from PIL import Image

    out = []
    for i, path in enumerate(files):
        with Image.open(path) as opened:
            img = opened.convert("RGB")
        scale = side / max(img.size)
        big = img.resize(
            (round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC
        )
        target = folder / f"big_{i}.jpg"
        big.save(target, quality=90)
        out.append(target)
    return out


def _decode_rate(paths: list[Path], draft: bool) -> float:
    from art_genre.features import open_image, to_model_input

    start = time.perf_counter()
    for path in paths:
        to_model_input(open_image(path, lazy=True), (224, 224), "bilinear", draft=draft)
    return len(paths) / (time.perf_counter() - start)


def _feature_change(paths: list[Path], model: Any, name: str) -> str:
    from art_genre.features import iter_feature_batches, path_items

    feats = {}
    for draft in (False, True):
        settings = settings_for(name, "float32", jpeg_draft=draft)
        batches = iter_feature_batches(
            path_items(paths, lazy=True), model, settings, progress=False
        )
        feats[draft] = np.concatenate([batch.features for batch in batches])
    a, b = feats[False], feats[True]
    diff = np.abs(a - b)
    scale = float(np.abs(a).mean())
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    return (
        f"max |diff| {diff.max():.4f}, mean |diff| {diff.mean():.4f} "
        f"({100 * diff.mean() / scale:.1f} % of mean |feature| {scale:.4f}), "
        f"cosine similarity min {cos.min():.4f} / median {np.median(cos):.4f}"
    )


def draft(args: argparse.Namespace) -> None:
    from PIL import Image

    from art_genre.features import build_backbone

    sources = image_files(args.images)[: args.n_big]
    settings = settings_for("mobilenet", "float32")
    model = build_backbone(settings)
    weights = settings.weights or "random"
    with tempfile.TemporaryDirectory() as tmp:
        big = _make_big_jpegs(sources, Path(tmp), args.big_side)
        sizes = [Image.open(p).size for p in big]
        print(
            f"\n(b) jpeg_draft: {len(big)} JPEGs upscaled to {args.big_side} px on the longer "
            f"side (shorter {min(min(s) for s in sizes)}-{max(min(s) for s in sizes)} px), "
            f"decoded to 224x224, {args.rounds} alternated rounds"
        )
        _decode_rate(big[:2], False)
        rates: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for flag in (False, True):
                rates[flag].append(_decode_rate(big, flag))
        off, on = median_rate(rates[False]), median_rate(rates[True])
        print(f"  decode + resize, full size : {off:7.1f} img/s")
        print(f"  decode + resize, jpeg_draft: {on:7.1f} img/s  ({on / off:.1f}x)")
        print(f"  features (mobilenet 0.25 {weights}), draft vs full: "
              + _feature_change(big, model, "mobilenet"))
    real = image_files(args.images)
    drafted = [p for p in real if min(Image.open(p).size) >= 448]
    print(
        f"  on {args.images.name} as it is: {len(drafted)} of {len(real)} JPEGs are >= 448 px "
        "on both sides (drafted at 1/2)"
        + (": " + _feature_change(drafted[:64], model, "mobilenet") if drafted else "")
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    parts = args.part or ["throughput", "draft"]
    # converted OpenVINO models go to a temporary folder, not the project's cache
    os.environ.setdefault("ART_GENRE_ENGINE_CACHE", tempfile.mkdtemp(prefix="engines-"))
    print(machine_line())
    print(f"(load average at start: {os.getloadavg()[0]:.1f}; the machine may be shared)")
    steps: dict[str, Callable[[argparse.Namespace], None]] = {
        "throughput": throughput,
        "draft": draft,
        "decoding": decoding,
    }
    for part in parts:
        steps[part](args)


if __name__ == "__main__":
    main()
