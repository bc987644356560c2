"""What training every model over five seeds costs against one seed, whole `kedro run`.

Runs the default flow (``--env improved``, MobileNet 0.25 ImageNet features from
``$KERAS_HOME``) on a data folder, first once to fill the feature cache, then alternately
with ``--params seeds=[42]`` and with the default five seeds (``conf/base/globals.yml``),
and prints the median wall time of each and their ratio (goal: at most 2.5x). Features
are cached in both, as in any rerun; extraction itself is measured in
``feature_extraction.py``.

Usage::

    KERAS_HOME=../shared/keras python benchmarks/seeds_cost.py ../shared/data/best-artworks
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import machine_line

ROOT = Path(__file__).resolve().parents[1]
BACKBONE = "feature_engineering.backbone.name=mobilenet,feature_engineering.backbone.alpha=0.25"


def kedro_run(
    data_dir: Path, extra: str = "", env: str = "improved", pipeline: str | None = None
) -> float:
    """Seconds of one whole ``kedro run`` (the default pipeline unless ``pipeline``)."""
    params = f"data_dir={data_dir},{BACKBONE}" + (f",{extra}" if extra else "")
    command = [sys.executable, "-m", "kedro", "run", "--env", env, "--params", params]
    if pipeline:
        command += ["--pipelines", pipeline]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"})
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    print(machine_line())
    print(f"warm-up (fills the feature cache): {kedro_run(data_dir):.1f} s")
    one, five = [], []
    for _ in range(args.repeats):
        one.append(kedro_run(data_dir, "seeds=[42]"))
        five.append(kedro_run(data_dir))
        print(f"  1 seed {one[-1]:.1f} s, 5 seeds {five[-1]:.1f} s")
    ratios = [b / a for a, b in zip(one, five, strict=True)]
    print(f"median: 1 seed {statistics.median(one):.1f} s, 5 seeds {statistics.median(five):.1f} s, "
          f"ratio {statistics.median(ratios):.2f}x (goal <= 2.5x)")


if __name__ == "__main__":
    main()
