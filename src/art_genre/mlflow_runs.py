"""What makes an MLflow run findable, repeatable and safe (used by ``art_genre.hooks``).

* :func:`run_name`: the pipelines, the env and a short digest of the parameters;
* :func:`kedro_command`: the exact ``kedro run`` command, with ``--env`` and ``--params``;
* :func:`headline_metrics`: at most 100 metrics, the mean over seeds per model and metric;
* :func:`store_lock`: one process at a time creates or migrates a SQLite store;
* :func:`end_dead_runs`: runs left RUNNING by a killed process are marked KILLED.

MLflow is imported only inside the functions that need it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shlex
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

HEADLINE = {
    "none": ("any_match_accuracy", "macro_roc_auc"),
    "tuned": ("macro_f1", "micro_f1", "samples_f1", "subset_accuracy", "hamming_loss"),
}
"""The headline metrics on the test split, by thresholds (``none``: threshold-free)."""
MAX_METRICS = 100
HOST_TAG, PID_TAG = "art_genre.host", "art_genre.pid"
"""Tags naming the process that runs an MLflow run (to find runs of killed processes)."""
COMMAND_TAG = "kedro_command"
"""kedro-mlflow's tag for the command, overwritten with the exact one."""


def parameters_digest(parameters: dict[str, Any]) -> str:
    """First 8 hex digits of the SHA-256 of the resolved parameters (canonical JSON)."""
    text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def run_name(run_params: dict[str, Any], parameters: dict[str, Any]) -> str:
    """``<pipelines> @<env> #<digest>``, e.g. ``__default__ @improved #3fa2b1c8``."""
    pipelines = "+".join(run_params.get("pipeline_names") or ["__default__"])
    return f"{pipelines} @{run_params.get('env') or 'local'} #{parameters_digest(parameters)}"


def _dotted(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_dotted(value, f"{name}."))
        else:
            out[name] = value
    return out


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def kedro_command(run_params: dict[str, Any]) -> str:
    """The ``kedro run`` command that repeats a run: env, pipelines, params, filters."""
    parts = ["kedro", "run"]
    if run_params.get("env"):
        parts += ["--env", run_params["env"]]
    options = (
        ("pipeline_names", "--pipelines"), ("namespaces", "--namespaces"),
        ("tags", "--tags"), ("node_names", "--nodes"), ("from_nodes", "--from-nodes"),
        ("to_nodes", "--to-nodes"), ("from_inputs", "--from-inputs"),
        ("to_outputs", "--to-outputs"),
    )
    for key, flag in options:
        if run_params.get(key):
            parts += [flag, ",".join(run_params[key])]
    versions = run_params.get("load_versions") or {}
    if versions:
        parts += ["--load-versions", ",".join(f"{k}:{v}" for k, v in versions.items())]
    params = _dotted(run_params.get("runtime_params") or {})
    if params:
        parts += ["--params", ",".join(f"{k}={_value(v)}" for k, v in params.items())]
    return shlex.join(parts)


def headline_metrics(results: pd.DataFrame) -> dict[str, float]:
    """``{"<model>.<metric>" or "<model>.tuned.<metric>": mean over seeds}`` on test
    (the catalog's ``headline_metrics`` logs them with the prefix ``test.``).

    Threshold-free metrics keep their name; those at the tuned thresholds are named
    ``.tuned.``. At most :data:`MAX_METRICS` (the first models' first).
    """
    test = results[results["split"] == "test"]
    metrics: dict[str, float] = {}
    for thresholds, names in HEADLINE.items():
        chosen = test[(test["thresholds"] == thresholds) & test["metric"].isin(names)]
        means = chosen.groupby(["model", "metric"], sort=False)["value"].mean()
        infix = "" if thresholds == "none" else f"{thresholds}."
        for (model, metric), value in means.items():
            if pd.notna(value):
                metrics[f"{model}.{infix}{metric}"] = float(value)
    return dict(sorted(metrics.items())[:MAX_METRICS])


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, or ``None`` for another store."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix):]) if uri.startswith(prefix) else None


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Within: no other process on this machine creates or migrates the same SQLite store.

    Two runs started at once on a new store would both create MLflow's tables (one dies
    with "table alembic_version already exists"). An exclusive ``flock`` on
    ``<database>.lock`` makes the second wait until the first has made them. Other
    stores (a tracking server) need no lock.
    """
    path = sqlite_path(uri)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def process_tags() -> dict[str, str]:
    """The tags naming this process (host and pid)."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def end_dead_runs(client: Any, experiment_id: str) -> list[str]:
    """Mark KILLED the RUNNING runs whose process (on this host) no longer exists.

    A killed ``kedro run`` cannot end its MLflow run, which would stay RUNNING forever;
    the next run on the same machine ends it. Runs of other hosts are left alone.

    Returns:
        The ids of the runs marked KILLED.
    """
    host = socket.gethostname()
    running = client.search_runs(
        [experiment_id], filter_string=f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'",
    )
    ended = []
    for run in running:
        pid = run.data.tags.get(PID_TAG, "")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            client.set_terminated(run.info.run_id, status="KILLED")
            ended.append(run.info.run_id)
    return ended
