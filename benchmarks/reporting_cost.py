"""What the two-level bootstrap costs: in process, and as the whole reporting command.

1. **In process** (always): the bootstrap of the reporting pipeline on the models'
   saved predictions (``data/07_model_output``), images only with B = 2,000 (the former
   default) against two levels with B = 10,000 (the default), alternating, in one
   process; prints the medians and their ratio.
2. **Whole command** (``--base``): ``kedro run --pipelines reporting`` in this checkout
   and in another one (e.g. ``git worktree add /tmp/base-stats main``, with the same
   models trained there), alternating; prints the medians and the ratio (goal: at most
   1.5x). Features and models are cached in both.

Usage::

    python benchmarks/reporting_cost.py ../shared/data/best-artworks --base /tmp/base-stats
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from machine import machine_line

from art_genre.datasets import ArrayBundleDataset
from art_genre.evaluation.results import HEADLINE, evaluate_runs
from art_genre.evaluation.runs import model_runs
from art_genre.evaluation.statistics import bootstrap_comparison

ROOT = Path(__file__).resolve().parents[1]
BACKBONE = "feature_engineering.backbone.name=mobilenet,feature_engineering.backbone.alpha=0.25"
MODELS = ("snn", "bnn", "bnn_study", "adam", "prior", "logreg", "mlp")


def load_runs(project: Path) -> tuple[dict, dict]:
    """Every model's runs and per-seed tuned cuts from a project's saved predictions."""
    runs, cuts = {}, {}
    for model in MODELS:
        path = project / "data/07_model_output" / f"{model}_predictions.npz"
        runs[model] = model_runs(ArrayBundleDataset(filepath=str(path)).load())
        _, thresholds, _ = evaluate_runs(runs[model])
        cuts[model] = [np.array([t[g] for g in runs[model].genres]) for t in thresholds]
    return runs, cuts


def in_process(repeats: int) -> None:
    """Images-only B=2,000 against two-level B=10,000, alternating."""
    runs, cuts = load_runs(ROOT)
    times: dict[str, list[float]] = {"images, B=2,000": [], "two levels, B=10,000": []}
    for _ in range(repeats):
        for label, n_boot, two_level in (("images, B=2,000", 2000, False),
                                         ("two levels, B=10,000", 10_000, True)):
            start = time.perf_counter()
            bootstrap_comparison(runs, cuts, HEADLINE, n_boot=n_boot, two_level=two_level)
            times[label].append(time.perf_counter() - start)
    old, new = (statistics.median(t) for t in times.values())
    print(f"bootstrap in process ({len(runs)} models, {runs['snn'].test.n_images} test "
          f"images): images B=2,000 {old:.2f} s, two levels B=10,000 {new:.2f} s, "
          f"ratio {new / old:.2f}x")


def kedro_reporting(project: Path, data_dir: Path) -> float:
    """Seconds of one whole ``kedro run --pipelines reporting`` in ``project``."""
    command = [sys.executable, "-m", "kedro", "run", "--env", "improved", "--pipelines",
               "reporting", "--params", f"data_dir={data_dir},{BACKBONE}"]
    start = time.perf_counter()
    subprocess.run(command, cwd=project, check=True, capture_output=True,
                   env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
                        "PYTHONPATH": str(project / "src")})
    return time.perf_counter() - start


def whole_command(base: Path, data_dir: Path, repeats: int) -> None:
    """The reporting command here against ``base``, alternating."""
    before, after = [], []
    for _ in range(repeats):
        before.append(kedro_reporting(base, data_dir))
        after.append(kedro_reporting(ROOT, data_dir))
        print(f"  base {before[-1]:.1f} s, this checkout {after[-1]:.1f} s")
    ratios = [b / a for a, b in zip(before, after, strict=True)]
    print(f"reporting command: base {statistics.median(before):.1f} s, this checkout "
          f"{statistics.median(after):.1f} s, ratio {statistics.median(ratios):.2f}x "
          "(goal <= 1.5x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--base", type=Path, help="another checkout, for the whole command")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    in_process(args.repeats)
    if args.base:
        whole_command(args.base.resolve(), args.data_dir.resolve(), args.repeats)


if __name__ == "__main__":
    main()
