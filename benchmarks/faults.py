"""Fault injection: runs that collide and files that lie, on a throw-away copy of the project.

Copies the project (conf and the bundled sample) to a temporary folder, trains it once
(``kedro run --env test``), then injects each fault, runs the command a user would run
and, where the command refuses with a one-line error, follows the fix the line names
(the command between backticks) and runs the first command again. Prints one row per
fault: the fault, what happened, and the data lost (files under ``data/`` that were
there before the fault and are gone afterwards, neither kept in place nor moved aside).

Usage::

    python benchmarks/faults.py            # about 6 minutes on 2 cores
    python benchmarks/faults.py --keep DIR # keep the project copy in DIR

Exits 1 when a fault's outcome is not the expected one or any data is lost.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import copy_project  # noqa: E402 - after the path

ENV = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1",
       "TF_CPP_MIN_LOG_LEVEL": "2"}
LATIN1_DURER = b"Albrecht_D\xfcrer_99.jpg".decode("utf-8", "surrogateescape")


class FaultFailed(AssertionError):
    """A fault's outcome is not the expected one."""


def kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    """``kedro run --env test ARGS`` in ``project`` (stdout and stderr captured)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "kedro", "run", "--env", "test", *args], cwd=project,
        env=ENV, capture_output=True, text=True, check=False, timeout=900,
    )


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one-line error of a refused run (checks: exit code, one line, no traceback)."""
    lines = done.stderr.strip().splitlines()
    if done.returncode == 0 or len(lines) != 1 or "Traceback" in done.stdout + done.stderr:
        raise FaultFailed(f"expected one error line, got exit {done.returncode}: "
                          f"{done.stderr[-400:]!r}")
    return lines[0]


def follow_fix(project: Path, line: str) -> str:
    """Run the command(s) the error line names between backticks; return them."""
    match = re.search(r"`(kedro run[^`]*)`", line)
    if match is None:
        raise FaultFailed(f"no command to follow in {line!r}")
    for command in match.group(1).split(" && "):
        args = command.split()[2:]
        done = kedro(project, *args)
        if done.returncode != 0:
            raise FaultFailed(f"the suggested `{command}` failed: {done.stderr[-300:]}")
    return match.group(1)


def succeeded(done: subprocess.CompletedProcess) -> None:
    if done.returncode != 0:
        raise FaultFailed(f"exit {done.returncode}: {done.stderr[-400:]}")


def snapshot(project: Path) -> dict[str, str]:
    """``{path under data/: sha256}`` of every file (the run lock left out)."""
    out = {}
    for path in (project / "data").rglob("*"):
        if path.is_file() and path.name != ".run.lock":
            out[str(path.relative_to(project))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def data_lost(before: dict[str, str], after: dict[str, str]) -> str:
    """Files of ``before`` neither at their path nor (same bytes) anywhere in ``after``."""
    kept = set(after.values())
    lost = [p for p, digest in before.items() if p not in after and digest not in kept]
    return "none" if not lost else ", ".join(sorted(lost))


# ------------------------------------------------------------------ the faults


def runs_that_collide(project: Path) -> str:
    """Three default runs with different split seeds, started at once."""
    runs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kedro", "run", "--env", "test", "--params",
             f"data_processing.split.random_state={seed}"],
            cwd=project, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for seed in (1, 2, 3)
    ]
    results = [(run, *run.communicate(timeout=900)) for run in runs]
    refused = [e for run, _, e in results if run.returncode != 0]
    for stderr in refused:
        if len(stderr.strip().splitlines()) != 1 or "is being written by pid" not in stderr:
            raise FaultFailed(f"refusal is not one line naming the holder: {stderr[-300:]!r}")
    manifest = json.loads((project / "data/08_reporting/run_manifest.json").read_text())
    summary = json.loads((project / "data/03_primary/split_summary.json").read_text())
    seed = manifest["runtime_params"]["data_processing"]["split"]["random_state"]
    index = hashlib.sha256((project / "data/03_primary/painting_index.csv").read_bytes())
    if summary["random_state"] != seed or manifest["fingerprints"]["data"] != index.hexdigest():
        raise FaultFailed("outputs of different runs are mixed")
    return (f"{3 - len(refused)} ran, {len(refused)} refused with one line naming the "
            f"holder's pid, command and start time; outputs all from seed {seed}")


def same_parameters_same_fingerprint(project: Path) -> str:
    """Train snn twice with the same parameters: one model fingerprint."""
    hashes = []
    for _ in range(2):
        succeeded(kedro(project, "--namespaces", "snn"))
        manifest = json.loads((project / "data/08_reporting/run_manifest.json").read_text())
        hashes.append(manifest["fingerprints"]["models"]["snn"])
    if hashes[0] != hashes[1]:
        raise FaultFailed(f"two fingerprints for one training: {hashes}")
    succeeded(kedro(project, "--pipelines", "reporting"))  # bind the thresholds again
    return f"both runs record model fingerprint {hashes[0][:12]}"


def latin1_name_in_data_processing(project: Path) -> str:
    folder = project / "data/01_raw/sample/resized"
    shutil.copy(next(folder.glob("*.jpg")), folder / LATIN1_DURER)
    try:
        succeeded(kedro(project, "--pipelines", "data_processing"))
        report = (project / "data/08_reporting/data_quality_report.csv").read_text()
        if "Albrecht_D\\xfcrer_99.jpg" not in report:
            raise FaultFailed("the name is not listed in the data-quality report")
    finally:
        (folder / LATIN1_DURER).unlink()
        succeeded(kedro(project, "--pipelines", "data_processing"))
    return "listed as Albrecht_D\\xfcrer_99.jpg (not valid UTF-8); the 160 others indexed"


def latin1_name_in_predict(project: Path) -> str:
    folder = project / "new"
    folder.mkdir(exist_ok=True)
    for n, image in enumerate(sorted((project / "data/01_raw/sample/resized").glob("*.jpg"))[:3]):
        shutil.copy(image, folder / f"good_{n}.jpg")
    shutil.copy(folder / "good_0.jpg", folder / LATIN1_DURER)
    succeeded(kedro(project, "--pipelines", "predict", "--params", f"predict_dir={folder}"))
    table = (project / "data/07_model_output/predictions.csv").read_text().splitlines()
    bad = [row for row in table if "\\xfc" in row]
    if len(table) != 5 or len(bad) != 1 or "not valid UTF-8" not in bad[0]:
        raise FaultFailed(f"unexpected predictions: {table}")
    return "3 paintings predicted; the fourth listed as Albrecht_D\\xfcrer_99.jpg, not valid UTF-8"


def _flip_feature_bit(path: Path) -> None:
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    arrays["features"].view(np.uint32).flat[5] ^= 1 << 7
    with path.open("wb") as file:
        np.savez(file, **arrays)


def corrupt_cache_shard(project: Path) -> str:
    """One bit of one shard's feature array flipped (the archive itself still valid)."""
    shard = sorted((project / "data/04_feature/feature_cache").rglob("*.npz"))[0]
    _flip_feature_bit(shard)
    first = kedro(project, "--pipelines", "feature_engineering")
    succeeded(first)
    log = " ".join(first.stdout.split())
    if "moved it to" not in log or not list((project / "data/04_feature").glob("*.corrupt")):
        raise FaultFailed("the shard was not moved aside")
    again = " ".join(kedro(project, "--pipelines", "feature_engineering").stdout.split())
    if "0 to extract" not in again:
        raise FaultFailed("a second run extracts again")
    return ("moved to feature_cache.corrupt/, named in the log, re-extracted in the same "
            "run; the next run extracts nothing")


def _latest(project: Path, pattern: str) -> Path:
    return sorted((project / "data/06_models").glob(pattern))[-1]


def _predict(project: Path, *params: str) -> subprocess.CompletedProcess:
    folder = project / "data/01_raw/sample/resized"
    joined = ",".join([f"predict_dir={folder}", *params])
    return kedro(project, "--pipelines", "predict", "--params", joined)


def _refused_then_fixed(project: Path, command: Callable[[], subprocess.CompletedProcess],
                        says: str) -> str:
    line = error_line(command())
    if says not in line:
        raise FaultFailed(f"{says!r} not in {line!r}")
    fix = follow_fix(project, line)
    succeeded(command())
    return f"one line ({says}); its fix `{fix}` followed: predict works again"


def _edit_thresholds(project: Path, edit: Callable[[str], str]) -> None:
    path = _latest(project, "snn_thresholds.json/*/snn_thresholds.json")
    path.write_text(edit(path.read_text()))


def _set_logit(text: str) -> str:
    record = json.loads(text)
    genre = next(iter(record["thresholds"]))
    record["thresholds"][genre]["logit"] = 50.0
    return json.dumps(record, indent=2)


def _drop_genre(text: str) -> str:
    record = json.loads(text)
    record["thresholds"].pop(next(iter(record["thresholds"])))
    return json.dumps(record, indent=2)


def thresholds_fault(edit: Callable[[str], str]) -> Callable[[Path], str]:
    def fault(project: Path) -> str:
        _edit_thresholds(project, edit)
        return _refused_then_fixed(project, lambda: _predict(project, "predict_model=snn"),
                                   "snn_thresholds.json")
    return fault


def corrupt_model(project: Path) -> str:
    """Half of snn's weights file cut off: adam still predicts, snn's fix works."""
    weights = _latest(project, "snn.npz/*/snn.npz")
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    succeeded(_predict(project, "predict_model=adam"))
    outcome = _refused_then_fixed(project, lambda: _predict(project, "predict_model=snn"),
                                  "snn.npz is corrupt")
    return "predict_model=adam unaffected; snn: " + outcome


def bad_parameter(project: Path) -> str:
    before = snapshot(project)
    line = error_line(kedro(project, "--params", "feature_engineering.pca.n_components=500"))
    if "n_components=500" not in line or snapshot(project) != before:
        raise FaultFailed(f"not refused before any work: {line!r}")
    return f"one line before any node ran, nothing written: {line[7:80]}..."


def failed_predict(project: Path) -> str:
    """An empty and a missing folder: two messages; the old table is marked stale."""
    empty = project / "empty"
    empty.mkdir(exist_ok=True)
    table = project / "data/07_model_output/predictions.csv"
    succeeded(_predict(project))
    for folder, says in ((empty, "is an empty folder"), (project / "nowhere", "does not exist")):
        line = error_line(kedro(project, "--pipelines", "predict", "--params",
                                f"predict_dir={folder}"))
        if says not in line:
            raise FaultFailed(f"{says!r} not in {line!r}")
    if table.exists() or not table.with_name("predictions.stale.csv").exists():
        raise FaultFailed("the previous predictions.csv still looks current")
    return ("'is an empty folder' / 'does not exist'; the previous table is now "
            "predictions.stale.csv")


FAULTS: dict[str, Callable[[Path], str]] = {
    "non-UTF-8 name, data_processing": latin1_name_in_data_processing,
    "non-UTF-8 name, predict": latin1_name_in_predict,
    "thresholds: a logit edited to 50": thresholds_fault(_set_logit),
    "thresholds: file truncated": thresholds_fault(lambda text: text[: len(text) // 2]),
    "thresholds: a genre removed": thresholds_fault(_drop_genre),
    "snn.npz truncated": corrupt_model,
    "pca.n_components=500": bad_parameter,
    "predict: empty / missing folder": failed_predict,
    "same parameters trained twice": same_parameters_same_fingerprint,
    "one bit flipped in a cache shard": corrupt_cache_shard,
    "3 runs at once, different seeds": runs_that_collide,
}


def run_fault(project: Path, name: str) -> tuple[str, str, str]:
    """Fault ``name`` of :data:`FAULTS` on the trained ``project``:
    ``(fault, outcome, data lost)``."""
    before = snapshot(project)
    try:
        outcome = FAULTS[name](project)
    except FaultFailed as error:
        outcome = f"FAILED: {error}"
    print(f"{name}: {outcome}", file=sys.stderr, flush=True)
    return name, outcome, data_lost(before, snapshot(project))


def run_faults(project: Path) -> list[tuple[str, str, str]]:
    """Each fault in turn on the trained ``project``: ``(fault, outcome, data lost)``."""
    return [run_fault(project, name) for name in FAULTS]


def table(rows: list[tuple[str, str, str]]) -> str:
    """The rows as a Markdown table."""
    lines = ["| fault | outcome | data lost |", "|---|---|---|"]
    lines += [f"| {f} | {o} | {lost} |" for f, o, lost in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="make the project copy here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="faults-"))
    project = copy_project(work / "project")
    succeeded(kedro(project))  # the trained project every fault starts from
    rows = run_faults(project)
    print(table(rows))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    ok = all(not o.startswith("FAILED") and lost == "none" for _, o, lost in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
