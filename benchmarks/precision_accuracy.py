"""Lower-precision backbones against float32: test macro-F1 over the seeds, and speed.

The question (docs/extraction.md): is a faster, lower-precision backbone's accuracy cost
within the seed sd, on both subsets? ``--variant`` picks what is compared with float32:

- ``bfloat16``: ``backbone.precision: bfloat16`` with ``engine: auto``, the run as a
  user gets it on this CPU (OpenVINO bf16 where the CPU has AVX512-BF16 or AMX; Keras'
  ``mixed_bfloat16`` elsewhere; the engine chosen is printed);
- ``int8``: an int8 OpenVINO backbone from NNCF's post-training quantization, which the
  project does not offer; measured here to decide whether it should (needs
  ``pip install nncf``).

(a) ``accuracy``, per subset (``--data-dir``, repeatable), in a scratch copy of the
    project (``conf/``, ``src/``, ``pyproject.toml``; its own ``data/`` and ``mlruns``,
    removed afterwards):

    1. ``kedro run --env improved`` with ImageNet MobileNet 0.25 on OpenVINO f32 (the
       same features as TensorFlow float32, cosine >= 0.9999998): the float32 metrics,
       five seeds (``conf/base/globals.yml``);
    2. ``bfloat16``: the same command with ``precision=bfloat16,engine=auto``.
       ``int8``: the converted float32 model from the engine cache quantized by
       ``nncf.quantize`` (``performance`` preset), calibrated on up to ``--calibration``
       training images (``split == train`` in ``painting_index.csv``, in file order)
       decoded and preprocessed as the extraction does; int8 features of every image
       written over the float32 ones in the feature cache's shards (their content hashes
       written again); then the same command: every image is found in the cache, and
       the int8 features go through the PCA, the networks (same seeds, same split) and
       the report.

    Printed: test macro-F1 (tuned thresholds, the shipped rule; and the 0.5 cut) of adam
    and snn, mean ± seed sd for each precision, the difference, whether it is within the
    seed sd (the rule of the question), and the seed-paired difference (same seeds, same
    split) with its 95 % t interval, Bonferroni-adjusted over every comparison printed;
    for int8 also the cosine of each image's int8 features to its float32 ones.
(b) ``speed`` (``int8``): images/s of the model alone and end to end (decoding
    included), float32 and int8 on OpenVINO, alternating rounds in this process, for
    MobileNet 0.25 (ImageNet) and ResNet50 (random weights), each quantized on the same
    calibration images. bfloat16's speed is ``benchmarks/extraction_speed.py``'s.

The machine line names the CPU's flags: int8 is fast with VNNI or AMX-INT8, bfloat16
only with AVX512-BF16 or AMX.

Run from the project root::

    KERAS_HOME=../shared/keras python benchmarks/precision_accuracy.py --variant int8 \\
        --data-dir ../shared/data/best-artworks --data-dir ../shared/data/wikiart-styles
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import machine_line  # noqa: E402

from art_genre.modelling import ADAM, SNN  # noqa: E402

BACKBONE = {"name": "mobilenet", "alpha": 0.25, "weights": "imagenet", "engine": "openvino"}
CUTS = ("tuned", "threshold_0.5")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=["bfloat16", "int8"], required=True)
    parser.add_argument("--data-dir", type=Path, action="append", required=True)
    parser.add_argument("--part", action="append", choices=["accuracy", "speed"])
    parser.add_argument("--calibration", type=int, default=300, help="training images")
    parser.add_argument("--n", type=int, default=128, help="images per end-to-end pass")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--keep", type=Path, help="copy each run's metrics.json here")
    return parser.parse_args(argv)


# ------------------------------------------------------------------ quantization


def settings_for(name: str) -> Any:
    from art_genre.features import BackboneSettings

    if name == "mobilenet":
        return BackboneSettings(**BACKBONE)
    return BackboneSettings(name=name, weights=None, engine="openvino")


def calibration_pixels(data_dir: Path, image_ids: list[str], settings: Any) -> np.ndarray:
    """The images decoded to the backbone's input size, as the extraction decodes them."""
    from art_genre.features import open_image, to_model_input

    size = (settings.input_size, settings.input_size)
    return np.stack([
        to_model_input(open_image(data_dir / i, lazy=True), size, settings.resample)
        for i in image_ids
    ])


def float_and_int8(settings: Any, pixels: np.ndarray) -> dict[str, Any]:
    """The OpenVINO backbone compiled as float32 and as int8 (calibrated on ``pixels``)."""
    import nncf

    from art_genre.features import preprocess
    from art_genre.features.backbones import keras_float32_explaining
    from art_genre.features.openvino_engine import (
        OpenVinoBackbone,
        compile_backbone,
        converted_backbone,
    )

    model = converted_backbone(settings, keras_float32_explaining(settings))
    inputs = [preprocess(settings, pixels[i : i + 1]) for i in range(len(pixels))]
    quantized = nncf.quantize(
        model, nncf.Dataset(inputs), preset=nncf.QuantizationPreset.PERFORMANCE,
        subset_size=len(inputs),
    )
    return {
        "f32": OpenVinoBackbone(compile_backbone(model, "float32"), False, "float32"),
        "int8": OpenVinoBackbone(compile_backbone(quantized, "float32"), False, "float32"),
    }


def features_of(model: Any, settings: Any, data_dir: Path, ids: list[str], batch: int):
    """Features of ``ids`` (paths relative to ``data_dir``), in that order."""
    from art_genre.features import iter_feature_batches, open_image

    items = [(i, lambda p=data_dir / i: open_image(p, lazy=True)) for i in ids]
    out = {}
    for fb in iter_feature_batches(items, model, settings, batch_size=batch, progress=False):
        out.update(zip(fb.ids, fb.features, strict=True))
        if fb.failures:
            raise SystemExit(f"images failed: {fb.failures}")
    return np.stack([out[i] for i in ids])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)


# ---------------------------------------------------------------------- (a) accuracy


def scratch_project(parent: Path) -> Path:
    """A copy of the project to run in: conf, src, pyproject.toml and an empty data/."""
    project = parent / "project"
    project.mkdir()
    for name in ("conf", "src"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    shutil.copy2(ROOT / "pyproject.toml", project)
    (project / "data").mkdir()
    return project


def kedro_run(
    project: Path, data_dir: Path, backbone: dict[str, Any], *extra: str
) -> dict[str, Any]:
    """``kedro run --env improved`` in ``project`` on ``data_dir``: its metrics.json."""
    params = ",".join(
        [f"data_dir={data_dir.resolve()}"]
        + [f"feature_engineering.backbone.{k}={v}" for k, v in backbone.items()]
    )
    command = ["kedro", "run", "--env", "improved", "--params", params, *extra]
    start = time.perf_counter()
    done = subprocess.run(command, check=False, cwd=project, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{log[-6000:]}")
    used = json.loads((project / "data" / "06_models" / "backbone_settings.json").read_text())
    print(f"    kedro run {' '.join(extra)}({', '.join(f'{k}={v}' for k, v in backbone.items())})"
          f": {time.perf_counter() - start:.0f} s; ran engine {used['engine']}, precision "
          f"{used['precision']}")
    return json.loads((project / "data" / "08_reporting" / "metrics.json").read_text())


def replace_features(project: Path, data_dir: Path, calibration: int, batch: int) -> None:
    """Quantize on training images; write int8 features over the float32 ones in every
    shard of the feature cache (each shard's content hash written again), so that the
    next ``kedro run`` finds every image cached and assembles the int8 features."""
    from art_genre.datasets import ArrayBundleDataset

    index = pd.read_csv(project / "data" / "03_primary" / "painting_index.csv")
    train = index.loc[index["split"] == "train", "image_id"].tolist()[:calibration]
    settings = settings_for("mobilenet")
    models = float_and_int8(settings, calibration_pixels(data_dir, train, settings))
    cache = project / "data" / "04_feature" / "feature_cache" / settings.fingerprint()
    shards = [ArrayBundleDataset(filepath=str(p)) for p in sorted(cache.glob("*.npz"))]
    n_images, cos = 0, []
    for dataset in shards:
        shard = dataset.load()
        ids = list(shard["image_ids"])
        if not ids:
            continue
        int8 = features_of(models["int8"], settings, data_dir, ids, batch)
        cos.append(cosines(int8, np.asarray(shard["features"])))
        n_images += len(ids)
        dataset.save({**shard, "features": int8.astype(np.float32)})
    cos_all = np.concatenate(cos)
    print(
        f"    {len(train)} calibration images (train split); {n_images} images in "
        f"{len(shards)} shards: cosine int8 to float32 min {cos_all.min():.4f}, median "
        f"{np.median(cos_all):.4f}"
    )


def paired_interval(a: list[float], b: list[float], m: int) -> tuple[float, float, float]:
    """Mean of b - a over seeds and its t interval at 95 % Bonferroni-adjusted over m."""
    from scipy import stats

    d = np.asarray(b) - np.asarray(a)
    half = stats.t.ppf(1 - 0.05 / (2 * m), len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def report(runs: dict[str, dict[str, dict[str, Any]]], variant: str) -> None:
    rows = [(s, model, cut) for s in runs for model in (ADAM, SNN) for cut in CUTS]
    print(
        f"\n  test macro-F1, mean ± seed sd; diff = {variant} - float32; paired = mean of the "
        f"per-seed differences with its 95 % t interval, Bonferroni-adjusted over "
        f"{len(rows)} comparisons"
    )
    for subset, model, cut in rows:
        a = runs[subset]["float32"][model]["test"][cut]["macro_f1"]
        b = runs[subset][variant][model]["test"][cut]["macro_f1"]
        if runs[subset]["float32"][model]["seeds"] != runs[subset][variant][model]["seeds"]:
            raise SystemExit("the two runs trained different seeds")
        delta, lo, hi = paired_interval(a["values"], b["values"], len(rows))
        sd = max(a["sd"], b["sd"])
        verdict = "within" if abs(b["mean"] - a["mean"]) <= sd else "OUTSIDE"
        print(
            f"  {subset:15s} {model:4s} {cut:13s} float32 {a['mean']:.3f} ± {a['sd']:.3f}"
            f"  {variant} {b['mean']:.3f} ± {b['sd']:.3f}  diff {b['mean'] - a['mean']:+.3f} "
            f"({verdict} the seed sd)  paired {delta:+.3f} [{lo:+.3f}, {hi:+.3f}] "
            f"n={len(a['values'])}"
        )


def lower_precision_run(
    args: argparse.Namespace, project: Path, data_dir: Path
) -> dict[str, Any]:
    """The ``--variant`` run, in ``project`` after its float32 run."""
    if args.variant == "bfloat16":
        backbone = {**BACKBONE, "precision": "bfloat16", "engine": "auto"}
        return kedro_run(project, data_dir, backbone)
    replace_features(project, data_dir, args.calibration, args.batch_size)
    return kedro_run(project, data_dir, BACKBONE)


def accuracy(args: argparse.Namespace) -> None:
    print(f"\n(a) accuracy: ImageNet MobileNet 0.25, float32 vs {args.variant}, kedro run "
          "--env improved")
    runs: dict[str, dict[str, dict[str, Any]]] = {}
    for data_dir in args.data_dir:
        subset = data_dir.resolve().name
        print(f"  {subset}:")
        with tempfile.TemporaryDirectory(prefix="precision-") as tmp:
            project = scratch_project(Path(tmp))
            runs[subset] = {"float32": kedro_run(project, data_dir, BACKBONE)}
            runs[subset][args.variant] = lower_precision_run(args, project, data_dir)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for precision, metrics in runs[subset].items():
                path = args.keep / f"{subset}-{precision}.json"
                path.write_text(json.dumps(metrics, indent=1))
    report(runs, args.variant)


# ------------------------------------------------------------------------ (b) speed


def speed(args: argparse.Namespace) -> None:
    from art_genre.features import (
        iter_feature_batches,
        open_image,
        preprocess,
        run_backbone,
    )

    data_dir = args.data_dir[0]
    index = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg"})
    files = (index * (args.n // len(index) + 1))[: args.n]
    calibration = [str(p.relative_to(data_dir)) for p in index[: args.calibration]]
    print(f"\n(b) speed: {len(files)} images from {data_dir}, batch {args.batch_size}, "
          f"{args.rounds} alternated rounds, medians; calibration on {len(calibration)}")
    for name in ("mobilenet", "resnet50"):
        settings = settings_for(name)
        pixels = calibration_pixels(data_dir, calibration, settings)
        models = float_and_int8(settings, pixels)
        x = preprocess(settings, pixels[: args.batch_size])
        items = [(str(p), lambda p=p: open_image(p, lazy=True)) for p in files]
        rates: dict[str, dict[str, list[float]]] = {k: {"model": [], "e2e": []} for k in models}
        for model in models.values():  # warm-up
            run_backbone(model, x)
        for _ in range(args.rounds):
            for key, model in models.items():
                start = time.perf_counter()
                for _ in range(max(1, len(files) // args.batch_size)):
                    run_backbone(model, x)
                n = max(1, len(files) // args.batch_size) * len(x)
                rates[key]["model"].append(n / (time.perf_counter() - start))
                start = time.perf_counter()
                for _ in iter_feature_batches(items, model, settings,
                                              batch_size=args.batch_size, progress=False):
                    pass
                rates[key]["e2e"].append(len(files) / (time.perf_counter() - start))
        med = {k: {m: statistics.median(v) for m, v in r.items()} for k, r in rates.items()}
        for key in models:
            print(
                f"  {name:9s} {key:4s}: model only {med[key]['model']:7.1f} img/s "
                f"({med[key]['model'] / med['f32']['model']:.2f}x f32), end to end "
                f"{med[key]['e2e']:7.1f} img/s ({med[key]['e2e'] / med['f32']['e2e']:.2f}x f32)"
            )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("ART_GENRE_ENGINE_CACHE", tempfile.mkdtemp(prefix="engines-"))
    print(machine_line())
    print(f"(load average at start: {os.getloadavg()[0]:.1f}; the machine may be shared)")
    parts = args.part or (["accuracy", "speed"] if args.variant == "int8" else ["accuracy"])
    for part in parts:
        if part == "speed" and args.variant != "int8":
            raise SystemExit("--part speed is for --variant int8 (bfloat16: extraction_speed.py)")
        {"accuracy": accuracy, "speed": speed}[part](args)


if __name__ == "__main__":
    main()
