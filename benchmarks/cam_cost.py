"""What ``predict.explain`` costs: predict's time on a folder with explain off and on.

Two measures, each alternating off / on and printing the ratio of the medians (goal:
at most 1.5):

- in one process (``--repeats`` pairs): a fresh Kedro session per run, the backbone
  rebuilt each time, after one warm-up run that pays Python's and TensorFlow's imports
  and the first graph tracing. The marginal cost: the strictest ratio;
- the whole command (``--command-repeats`` pairs, 0 to skip): ``kedro run --pipelines
  predict ...`` in a new process, as a user runs it, start-up included.

``--format`` picks the overlays' file format (``overlay_format``: png or jpeg).

Run from the project root after a training run, e.g.::

    export KERAS_HOME=../shared/keras
    python benchmarks/cam_cost.py --folder /path/to/paintings \\
        --params "data_dir=../shared/data/best-artworks,feature_engineering.backbone.name=mobilenet,feature_engineering.backbone.alpha=0.25"
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_line  # noqa: E402

from art_genre.modelling import ADAM, MODEL_NAMES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", required=True, help="the folder of paintings (predict_dir)")
    parser.add_argument("--model", default=ADAM, choices=list(MODEL_NAMES))
    parser.add_argument("--params", default="", help="a=b,c.d=e: the run's other parameters")
    parser.add_argument("--max-maps", type=int, default=4, help="predict.explain_max_maps")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--command-repeats", type=int, default=3,
                        help="pairs of whole `kedro run` commands (0: skip)")
    parser.add_argument("--format", default="png", choices=["png", "jpeg"],
                        help="overlay_format of the overlays")
    return parser.parse_args(argv)


def _nested(dotted: str) -> dict:
    out: dict = {}
    for item in filter(None, dotted.split(",")):
        key, value = item.split("=", 1)
        *parents, last = key.split(".")
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return out


def run_predict(runtime_params: dict) -> float:
    """Seconds of one ``kedro run --pipelines predict`` (session creation included)."""
    from kedro.framework.session import KedroSession

    start = time.perf_counter()
    with KedroSession.create(project_path=ROOT, runtime_params=runtime_params) as session:
        session.run(pipeline_names=["predict"])
    return time.perf_counter() - start


def run_command(params: str) -> float:
    """Seconds of one whole ``kedro run --pipelines predict`` in a new process."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipelines", "predict", "--params", params],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _report(label: str, times: dict[str, list[float]]) -> None:
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    pairs = [b / a for a, b in zip(times["off"], times["on"], strict=True)]
    print(f"{label}:")
    print("  explain off: " + " ".join(f"{t:.2f}" for t in times["off"]) + f" s (median {off:.2f})")
    print("  explain on:  " + " ".join(f"{t:.2f}" for t in times["on"]) + f" s (median {on:.2f})")
    print("  on/off per pair: " + " ".join(f"{r:.2f}" for r in pairs)
          + f" (median {statistics.median(pairs):.2f})")
    print(f"  ratio on/off: {on / off:.2f}  (goal <= 1.5)")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(ROOT)
    base = {
        **_nested(args.params), "predict_dir": args.folder, "predict_model": args.model,
        "overlay_format": args.format,
    }
    modes = {
        "off": {**base, "predict": {"explain": False}},
        "on": {**base, "predict": {"explain": True, "explain_max_maps": args.max_maps}},
    }
    n_files = sum(1 for p in Path(args.folder).rglob("*") if p.is_file())
    load_before = os.getloadavg()[0]
    run_predict(modes["off"])  # warm-up: TensorFlow import and tracing
    logging.disable(logging.INFO)
    in_process: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.repeats):
        for mode, params in modes.items():
            in_process[mode].append(run_predict(params))
    logging.disable(logging.NOTSET)
    command: dict[str, list[float]] = {"off": [], "on": []}
    given = f"{args.params}," if args.params else ""
    for _ in range(args.command_repeats):
        for mode, explain in (("off", "false"), ("on", "true")):
            command[mode].append(run_command(
                f"{given}predict_dir={args.folder},predict_model={args.model},"
                f"overlay_format={args.format},predict.explain={explain},"
                f"predict.explain_max_maps={args.max_maps}"
            ))
    print(machine_line())
    print(f"load average (1 min): {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} "
          "at the end (the machine may be shared)")
    print(f"folder: {args.folder} ({n_files} files), model {args.model}, "
          f"explain_max_maps {args.max_maps}, overlays {args.format}")
    _report(f"in one process ({args.repeats} pairs)", in_process)
    if args.command_repeats:
        _report(f"whole `kedro run` command ({args.command_repeats} pairs)", command)


if __name__ == "__main__":
    main()
