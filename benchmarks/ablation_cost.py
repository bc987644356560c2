"""How long the ablations take on a real subset (goal: at most 15 minutes on 2 cores).

Runs the default flow once on the data folder (``--env improved``, MobileNet 0.25
ImageNet from ``$KERAS_HOME``) so that the features exist, then times
``kedro run --pipelines ablations`` and, in the same process, one default training run
with cached features as the baseline it is compared with. Prints both, their ratio,
the number of configurations and distinct trainings, and each fix's effect.

Usage::

    KERAS_HOME=../shared/keras python benchmarks/ablation_cost.py ../shared/data/best-artworks
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from machine import machine_line
from seeds_cost import ROOT, kedro_run

GOAL_SECONDS = 15 * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    print(machine_line())
    print(f"default run (features, models, report): {kedro_run(data_dir):.0f} s")
    baseline = kedro_run(data_dir)
    print(f"default run again, features cached: {baseline:.0f} s")
    ablations = kedro_run(data_dir, env="improved", pipeline="ablations")
    print(f"ablations: {ablations:.0f} s ({ablations / baseline:.1f}x the cached default run; "
          f"goal <= {GOAL_SECONDS} s: {'met' if ablations <= GOAL_SECONDS else 'NOT met'})")
    with (ROOT / "data/08_reporting/ablation_effects.csv").open() as f:
        for row in csv.DictReader(f):
            print(f"  {row['configuration']:18s} {row['model']:5s} {row['metric']:18s} "
                  f"{float(row['difference']):+.3f} [{float(row['low']):+.3f}, "
                  f"{float(row['high']):+.3f}]{' *' if row['distinguishable'] == 'True' else ''}")


if __name__ == "__main__":
    main()
