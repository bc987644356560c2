"""The run manifest and the MLflow run history (hooks registered in settings.py).

* :class:`RunManifestHook` writes ``data/08_reporting/run_manifest.json`` (the catalog's
  ``run_manifest``) after every successful ``kedro run`` (a predict run writes
  ``data/07_model_output/predict_manifest.json`` instead): git commit and dirty flag, Kedro
  env, pipelines and runtime parameters, package versions, and the fingerprints of the
  data (the painting index), the features, the PCA and scaler and each model.
* :class:`MlflowTrackingHook` makes every ``kedro run`` one MLflow run through kedro-mlflow
  (``conf/<env>/mlflow.yml``): kedro-mlflow starts the run (named by
  :func:`art_genre.mlflow_runs.run_name`, tagged with the exact command) and logs the
  parameters; the catalog's kedro-mlflow datasets log the headline metrics and the
  registered model (``headline_metrics``, ``bundle_model``); this hook adds the files the
  run wrote (report, plots, results, intervals, pairwise tests, thresholds, predictions,
  manifest) and the manifest's facts as tags, then lets kedro-mlflow end the run. It
  creates a new SQLite store under a file lock and marks KILLED the runs that killed
  processes left RUNNING. With
  ``tracking.disable_tracking.pipelines: [__all__]`` (``conf/test``) it does nothing and
  does not even import MLflow.
"""

from __future__ import annotations

import json
import logging
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io.core import get_filepath_str

from art_genre import mlflow_runs
from art_genre.machine import cpu_description
from art_genre.tags import PREDICT

logger = logging.getLogger(__name__)

PACKAGES = (
    "art_genre", "kedro", "kedro-datasets", "kedro-mlflow", "mlflow", "numpy", "pandas",
    "scikit-learn", "tensorflow", "tensorflow-cpu", "keras", "pillow", "pydantic",
)
"""Distributions whose versions the manifest records (those installed)."""

MANIFEST = "run_manifest"
"""The catalog entry of the manifest."""

PREDICT_MANIFEST = "predict_manifest"
"""The catalog entry of a predict run's manifest (beside its predictions)."""


def manifest_entry(pipeline: Any) -> str:
    """Where a run's manifest goes: a run of predict nodes only writes
    ``predict_manifest``, so that it never replaces the training run's ``run_manifest``
    (which the report's folder describes and predict reads)."""
    nodes = list(getattr(pipeline, "nodes", []) or [])
    if nodes and all(PREDICT in node.tags for node in nodes):
        return PREDICT_MANIFEST
    return MANIFEST

ARTEFACTS = (
    "report_html", "report_md", "metrics", "results", "intervals", "pairwise",
    "per_genre_metrics", "thresholds", "timings", "data_quality_report", "feature_issues",
    "pca_summary", "split_summary", "predictions",
)
"""Catalog entries logged to MLflow as artefacts when the run wrote them (plus plots)."""

DISABLE_ALL = "__all__"
"""In ``tracking.disable_tracking.pipelines`` of mlflow.yml: no MLflow at all."""


# ------------------------------------------------------------------ the manifest


def git_state(path: Path) -> dict[str, Any]:
    """``{"commit", "dirty"}`` of the git checkout at ``path`` (``None`` outside one)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(  # noqa: S603 - fixed git arguments
                ["git", *args], cwd=path, capture_output=True, text=True, timeout=20,
                check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`PACKAGES` (absent ones left out)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _file_path(dataset: Any) -> str | None:
    """The local or remote path a file dataset loads from, or ``None``."""
    try:
        return get_filepath_str(dataset._get_load_path(), dataset._protocol)
    except Exception:  # noqa: BLE001 - not a file dataset, or no version yet
        return None


def _file_sha256(dataset: Any) -> str | None:
    import hashlib

    path = _file_path(dataset)
    if path is None or not dataset._fs.exists(path):
        return None
    digest = hashlib.sha256()
    with dataset._fs.open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded(catalog: Any, name: str) -> str | None:
    """The content hash an art_genre artefact records, or ``None``."""
    dataset = catalog.get(name)
    fingerprint = getattr(dataset, "fingerprint", None)
    if fingerprint is None:
        return None
    try:
        return fingerprint()
    except Exception as error:  # noqa: BLE001 - a broken file is reported, not fatal here
        logger.warning("No fingerprint for %s: %s", name, error)
        return None


def artefact_fingerprints(catalog: Any) -> dict[str, Any]:
    """Fingerprints of what the run used and made, read from the catalog's files.

    ``data``: SHA-256 of the painting index file; ``backbone``: the backbone settings'
    fingerprint; ``features``: the recorded hash of the assembled features; ``pca`` /
    ``feature_scaler``: their content hashes; ``models``: each model's content hash;
    ``thresholds``: the model hash each model's thresholds were bound to.
    """
    from art_genre.modelling import MODEL_NAMES

    backbone = None
    try:
        if catalog.exists("backbone_settings"):
            backbone = catalog.load("backbone_settings").get("fingerprint")
    except Exception:  # noqa: BLE001
        backbone = None
    thresholds = {}
    for model in MODEL_NAMES:
        try:
            if catalog.exists(f"{model}.thresholds"):
                thresholds[model] = catalog.load(f"{model}.thresholds").get("model_hash")
        except Exception:  # noqa: BLE001
            thresholds[model] = None
    return {
        "data": _file_sha256(catalog.get("painting_index")),
        "backbone": backbone,
        "features": _recorded(catalog, "painting_features"),
        "pca": _recorded(catalog, "pca"),
        "feature_scaler": _recorded(catalog, "feature_scaler"),
        "models": {m: _recorded(catalog, f"{m}.model") for m in MODEL_NAMES},
        "thresholds": thresholds,
    }


def build_manifest(
    run_params: dict[str, Any], catalog: Any, project_path: Path
) -> dict[str, Any]:
    """The run manifest: what ran, where, with what, and the fingerprints it left."""
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "session_id": run_params.get("run_id") or run_params.get("session_id"),
        "git": git_state(project_path),
        "env": run_params.get("env"),
        "pipelines": list(run_params.get("pipeline_names") or ["__default__"]),
        "namespaces": run_params.get("namespaces"),
        "runtime_params": run_params.get("runtime_params") or {},
        "load_versions": run_params.get("load_versions") or {},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_description(),
        "packages": package_versions(),
        "fingerprints": artefact_fingerprints(catalog),
    }


class RunManifestHook:
    """Writes the run manifest (catalog entry ``run_manifest``) after each run."""

    def __init__(self) -> None:
        self.manifest: dict[str, Any] | None = None
        self._run_params: dict[str, Any] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Remember what was asked for (env, runtime parameters) for the report."""
        self._run_params = dict(run_params)

    @hook_impl
    def before_node_run(
        self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool
    ) -> dict[str, Any] | None:
        """Hand the report node this run's manifest so far (under ``run_manifest`` of its
        ``params:reporting``): the report shows the commit, environment, runtime
        parameters, packages and fingerprints of the run that wrote it."""
        if not node.name.endswith("build_report") or "params:reporting" not in inputs:
            return None
        params = inputs["params:reporting"]
        params = params.model_dump() if hasattr(params, "model_dump") else dict(params)
        project_path = Path(self._run_params.get("project_path") or ".")
        manifest = build_manifest(self._run_params, catalog, project_path)
        return {"params:reporting": {**params, "run_manifest": manifest}}

    @hook_impl(tryfirst=True)  # before the MLflow hook, which logs the manifest
    def after_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        """Build the manifest and save it through the catalog (``predict_manifest`` for a
        predict run, else ``run_manifest``: :func:`manifest_entry`)."""
        project_path = Path(run_params.get("project_path") or ".")
        self.manifest = build_manifest(run_params, catalog, project_path)
        entry = manifest_entry(pipeline)
        if entry in catalog.keys() or catalog.get(entry) is not None:
            catalog.save(entry, self.manifest)


# ------------------------------------------------------------------ MLflow


def _flat_strings(tree: Any, prefix: str) -> dict[str, str]:
    if isinstance(tree, dict):
        out: dict[str, str] = {}
        for key, value in tree.items():
            out.update(_flat_strings(value, f"{prefix}.{key}"))
        return out
    return {prefix: json.dumps(tree) if not isinstance(tree, str) else tree}


def manifest_tags(manifest: dict[str, Any]) -> dict[str, str]:
    """The MLflow tags of a run: commit, dirty, env, runtime params, fingerprints, versions."""
    fingerprints = manifest.get("fingerprints", {})
    tags = {
        "git.commit": str(manifest["git"]["commit"]),
        "git.dirty": str(manifest["git"]["dirty"]),
        "kedro.env": str(manifest.get("env")),
        "kedro.pipelines": ",".join(manifest.get("pipelines") or []),
        "runtime_params": json.dumps(manifest.get("runtime_params") or {}, sort_keys=True),
        "fingerprint.data": str(fingerprints.get("data")),
        "fingerprint.features": str(fingerprints.get("features")),
        "fingerprint.backbone": str(fingerprints.get("backbone")),
        "fingerprint.pca": str(fingerprints.get("pca")),
        "fingerprint.feature_scaler": str(fingerprints.get("feature_scaler")),
        "python": str(manifest.get("python")),
    }
    for model, value in (fingerprints.get("models") or {}).items():
        tags[f"fingerprint.model.{model}"] = str(value)
    for name, version in (manifest.get("packages") or {}).items():
        tags[f"package.{name}"] = version
    return tags


class MlflowTrackingHook:
    """kedro-mlflow's hook, switched off entirely by ``disable_tracking: [__all__]``.

    kedro-mlflow's plugin hook is not auto-registered (``DISABLE_HOOKS_FOR_PLUGINS``):
    this class creates it only when tracking is on, so an environment without tracking
    (the tests) never imports MLflow or opens its database. It forwards every hook to
    it and, after a run, logs the metrics, artefacts and tags before the run is ended.
    """

    def __init__(self, manifest_hook: RunManifestHook | None = None) -> None:
        self._manifest_hook = manifest_hook
        self._inner: Any = None
        self._parameters: dict[str, Any] = {}

    @staticmethod
    def _tracking_config(context: Any) -> dict[str, Any]:
        loader = context.config_loader
        if "mlflow" not in loader.config_patterns:
            loader.config_patterns.update({"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]})
        try:
            return loader["mlflow"] or {}
        except Exception:  # noqa: BLE001 - MissingConfigException: kedro-mlflow defaults
            return {}

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Start kedro-mlflow (tracking URI, experiment) unless tracking is off."""
        config = self._tracking_config(context)
        disabled = (
            config.get("tracking", {}).get("disable_tracking", {}).get("pipelines") or []
        )
        if DISABLE_ALL in disabled:
            self._inner = None
            return
        try:
            from kedro_mlflow.framework.hooks import MlflowHook
        except ImportError:
            logger.warning(
                "kedro-mlflow is not installed, so this run is not tracked in MLflow; "
                "install the project as the README says (pip install -e .)."
            )
            self._inner = None
            return
        self._inner = MlflowHook()
        self._parameters = context.params
        uri = str(config.get("server", {}).get("mlflow_tracking_uri") or "")
        if mlflow_runs.sqlite_path(uri) and not mlflow_runs.sqlite_path(uri).is_absolute():
            uri = f"sqlite:///{Path(context.project_path) / mlflow_runs.sqlite_path(uri)}"
        with mlflow_runs.store_lock(uri):  # one process at a time creates the tables
            self._inner.after_context_created(context=context)
        self._end_dead_runs()

    def _end_dead_runs(self) -> None:
        """Mark KILLED the runs of killed processes (see :func:`mlflow_runs.end_dead_runs`)."""
        config = self._inner.mlflow_config
        try:
            ended = mlflow_runs.end_dead_runs(
                config.server._mlflow_client,
                config.tracking.experiment._experiment.experiment_id,
            )
        except Exception as error:  # noqa: BLE001 - never lose the run for a cleanup
            logger.warning("MLflow: could not look for runs of killed processes: %s", error)
            return
        if ended:
            logger.warning("MLflow: marked KILLED %d run(s) of killed processes: %s",
                           len(ended), ", ".join(ended))

    @hook_impl
    def after_catalog_created(
        self,
        catalog: Any,
        conf_catalog: dict[str, Any],
        conf_creds: dict[str, Any],
        parameters: dict[str, Any],
        save_version: str,
        load_versions: dict[str, str],
    ) -> None:
        """Forwarded to kedro-mlflow."""
        if self._inner is not None:
            self._inner.after_catalog_created(
                catalog=catalog, conf_catalog=conf_catalog, conf_creds=conf_creds,
                parameters=parameters, save_version=save_version,
                load_versions=load_versions,
            )

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Forwarded to kedro-mlflow (starts the MLflow run), with a meaningful run name;
        then tags the exact command and this process."""
        if self._inner is None:
            return
        run = self._inner.mlflow_config.tracking.run
        if run.name is None:  # mlflow.yml's own name wins
            run.name = mlflow_runs.run_name(run_params, self._parameters)
        self._inner.before_pipeline_run(run_params=run_params, pipeline=pipeline,
                                        catalog=catalog)
        if getattr(self._inner, "_is_mlflow_enabled", False):
            import mlflow

            mlflow.set_tags({mlflow_runs.COMMAND_TAG: mlflow_runs.kedro_command(run_params),
                             **mlflow_runs.process_tags()})

    @hook_impl
    def before_node_run(self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool) -> None:
        """Forwarded to kedro-mlflow (logs the node's parameters)."""
        if self._inner is not None:
            # Typed (pydantic) parameters as plain dicts, so that kedro-mlflow flattens
            # them into one MLflow parameter per leaf.
            plain = {
                k: v.model_dump(mode="json") if hasattr(v, "model_dump") else v
                for k, v in inputs.items()
            }
            self._inner.before_node_run(node=node, catalog=catalog, inputs=plain,
                                        is_async=is_async)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Log metrics, artefacts and tags, then let kedro-mlflow end the run."""
        if self._inner is None:
            return
        if getattr(self._inner, "_is_mlflow_enabled", False):
            try:
                self._log_run(run_params, pipeline, catalog)
            except Exception as error:  # noqa: BLE001 - never lose the run for its log
                logger.warning("MLflow: could not log the run's results: %s", error)
        self._inner.after_pipeline_run(run_params=run_params, pipeline=pipeline,
                                       catalog=catalog)

    @hook_impl
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        """Forwarded to kedro-mlflow (ends the MLflow run as failed)."""
        if self._inner is not None:
            self._inner.on_pipeline_error(error=error, run_params=run_params,
                                          pipeline=pipeline, catalog=catalog)

    def _log_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        import mlflow

        written = set(pipeline.all_outputs())
        manifest = self._manifest_hook.manifest if self._manifest_hook else None
        if manifest is None:
            manifest = build_manifest(run_params, catalog,
                                      Path(run_params.get("project_path") or "."))
        mlflow.set_tags(manifest_tags(manifest))
        names = [n for n in ARTEFACTS if n in written]
        names += sorted(n for n in written if n.startswith("plot_"))
        names += sorted(n for n in written if n.endswith(".thresholds"))
        names.append(manifest_entry(pipeline))
        for name in names:
            path = _file_path(catalog.get(name)) if catalog.get(name) is not None else None
            if path and Path(path).is_file():
                folder = "plots" if name.startswith("plot_") else (
                    "thresholds" if name.endswith(".thresholds") else None
                )
                mlflow.log_artifact(path, artifact_path=folder)
