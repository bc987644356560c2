"""What a folder's last, smaller batch costs: Keras' ``predict_on_batch`` against
``run_backbone`` (one traced graph for every batch size).

Each run builds the backbone afresh (as every ``kedro run`` does) and feeds it
``--images`` preprocessed images in batches of 32, the last one smaller. A
(``predict_on_batch``) traces a graph for the batch of 32 and again for the last batch;
B (``run_backbone``) traces once. A and B alternate ``--repeats`` times in this process;
the medians, their ratio and the largest difference between the two outputs are printed.
Pixels are random (tracing does not depend on them): no data is needed. MobileNet 0.25
uses ImageNet weights where ``$KERAS_HOME`` has them (random otherwise); ResNet50 random.

Run from the project root, e.g.::

    KERAS_HOME=../shared/keras python benchmarks/batch_tracing.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_line  # noqa: E402

from art_genre.features import (  # noqa: E402
    BackboneSettings,
    WeightsUnavailableError,
    build_backbone,
    preprocess,
    run_backbone,
)

BATCH = 32


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--images", type=int, nargs=2, default=(420, 68), metavar=("MOBILENET", "RESNET50"),
                        help="images per run for each backbone (not a multiple of 32)")
    return parser.parse_args(argv)


def _settings() -> list[BackboneSettings]:
    mobilenet = BackboneSettings(name="mobilenet", alpha=0.25, weights="imagenet")
    try:
        build_backbone(mobilenet)
    except WeightsUnavailableError:
        mobilenet = BackboneSettings(name="mobilenet", alpha=0.25, weights=None)
    return [mobilenet, BackboneSettings(name="resnet50", weights=None)]


def _run(settings: BackboneSettings, x: np.ndarray, forward: str) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    model = build_backbone(settings)
    outputs = []
    for i in range(0, len(x), BATCH):
        batch = preprocess(settings, x[i : i + BATCH])
        out = model.predict_on_batch(batch) if forward == "A" else run_backbone(model, batch)
        outputs.append(np.asarray(out))
    return time.perf_counter() - start, np.concatenate(outputs)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rng = np.random.default_rng(0)
    print(machine_line())
    for settings, n in zip(_settings(), args.images, strict=True):
        size = settings.input_size
        x = rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8)
        _run(settings, x[:BATCH], "B")  # warm-up: imports, first graph construction
        times: dict[str, list[float]] = {"A": [], "B": []}
        outputs: dict[str, np.ndarray] = {}
        for _ in range(args.repeats):
            for forward in ("A", "B"):
                seconds, outputs[forward] = _run(settings, x, forward)
                times[forward].append(seconds)
        a, b = statistics.median(times["A"]), statistics.median(times["B"])
        print(f"{settings.name} (weights {settings.weights}), {n} images = "
              f"{n // BATCH} x {BATCH} + {n % BATCH}, {args.repeats} runs each, model built per run:")
        print("  A predict_on_batch: " + " ".join(f"{t:.2f}" for t in times["A"])
              + f" s (median {a:.2f})")
        print("  B run_backbone:     " + " ".join(f"{t:.2f}" for t in times["B"])
              + f" s (median {b:.2f})")
        print(f"  ratio A/B: {a / b:.2f}; max |A - B| over the features: "
              f"{np.abs(outputs['A'] - outputs['B']).max():.3g}")


if __name__ == "__main__":
    main()
