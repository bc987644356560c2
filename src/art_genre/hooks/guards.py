"""Hooks that guard a ``kedro run``: one writer per data folder, checks before the first
node, and one line (no traceback) for every mistake a user can make.

* :class:`RunGuardHook` takes the data folder's :class:`~art_genre.run_lock.RunLock`
  before the run and gives it back after it (or after its failure), and makes the
  cross-checks of :mod:`art_genre.preflight` before the first node. A failed
  ``predict`` moves the previous ``predictions.csv`` aside to ``predictions.stale.csv``
  (its sidecar and page likewise), so that no table from an earlier run looks current.
* :class:`ClearErrorsHook` prints such an error as its one line and exits 1; every other
  error keeps its traceback.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io.core import DatasetError

from art_genre.params import RunLockParams
from art_genre.preflight import (
    ParameterError,
    check_folder,
    image_files,
    training_images_at_most,
)
from art_genre.run_lock import RunLock, RunLockedError

logger = logging.getLogger(__name__)

PREDICTIONS = "predictions"
"""predict's table: moved aside when a predict run fails."""
PREDICT_OUTPUTS = (PREDICTIONS, "prediction_rule", "predictions_page")
"""What a failed predict moves aside: the table, its sidecar, its page."""


def _plain(value: Any) -> dict[str, Any]:
    """A parameter group as a dict, whether Kedro handed it validated or raw."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return dict(value or {})


def _namespaces(pipeline: Any) -> set[str]:
    return {n.namespace.split(".")[0] for n in pipeline.nodes if n.namespace}


def _local_path(dataset: Any) -> str | None:
    """The local path of a file or partitioned dataset, or ``None``."""
    path = getattr(dataset, "_path", None) or getattr(dataset, "_filepath", None)
    if path is None or getattr(dataset, "_protocol", "file") not in ("file", None):
        return None
    return str(path)


def check_pca_fits(catalog: Any, run: set[str]) -> None:
    """``feature_engineering.pca.n_components`` against the training images.

    With ``data_processing`` in the run the count comes from the data folder's files
    and the split sizes (:func:`~art_genre.preflight.training_images_at_most`); else from
    the saved index.

    Raises:
        ParameterError: Naming the parameter and the most it can be.
    """
    from art_genre.features import feature_width
    from art_genre.features.params import FeatureEngineeringParams
    from art_genre.features.reduction import check_n_components

    fe = FeatureEngineeringParams.model_validate(
        _plain(catalog.load("params:feature_engineering"))
    )
    if "data_processing" in run:
        dp = _plain(catalog.load("params:data_processing"))
        split = dp.get("split", {})
        try:
            files = catalog.load("painting_images")
        except DatasetError:
            return  # no images: the folder check names it
        n_images = image_files(files, dp.get("image_suffixes") or [".jpg", ".jpeg", ".png"])
        n_fit = n_images if fe.pca.fit_on == "all" else training_images_at_most(
            n_images, split.get("strategy", "random"), split.get("test_size", 0.2),
            split.get("val_size", 0.1),
        )
    elif catalog.exists("painting_index"):
        index = catalog.load("painting_index")
        n_fit = len(index) if fe.pca.fit_on == "all" else int((index["split"] == "train").sum())
    else:
        return
    try:
        check_n_components(fe.pca, n_fit, feature_width(fe.backbone.settings()))
    except ValueError as error:
        raise ParameterError(str(error)) from None


def _leaf_keys(tree: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        keys += _leaf_keys(value, f"{path}.") if isinstance(value, dict) and value else [path]
    return keys


def _has_key(tree: Any, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


def check_runtime_keys(run_params: dict[str, Any], conf_source: str | None = None) -> None:
    """Refuse a ``--params`` key that no parameter and no ``${runtime_params:...}`` of
    the configuration reads (Kedro would add it to the parameters unread, silently).

    Args:
        run_params: Kedro's run parameters (``runtime_params``, ``env``, ...).
        conf_source: The configuration folder (``--conf-source``); ``None``: the
            project's ``conf/``.

    Raises:
        ParameterError: One line naming the key and the closest known ones.
    """
    runtime = run_params.get("runtime_params") or {}
    if not runtime:
        return
    from kedro.config import OmegaConfigLoader

    from art_genre.config_loader import CONFIG_LOADER_ARGS

    conf = Path(conf_source or Path(run_params.get("project_path") or ".") / "conf")
    if not conf.is_dir():  # a packaged or remote configuration: nothing to compare with
        return
    env = run_params.get("env") or CONFIG_LOADER_ARGS["default_run_env"]
    known = OmegaConfigLoader(str(conf), **{**CONFIG_LOADER_ARGS, "default_run_env": env})[
        "parameters"]
    resolved = {key for path in conf.rglob("*.yml")
                for key in re.findall(r"runtime_params:\s*([\w.]+)", path.read_text())}
    for key in _leaf_keys(runtime):
        if key.split(".")[0] in resolved or _has_key(known, key):
            continue
        close = difflib.get_close_matches(key, _leaf_keys(known), n=2, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ParameterError(
            f"unknown parameter {key!r} in --params: nothing reads it{hint} Every "
            "parameter is listed in docs/configuration.md."
        )


def preflight(catalog: Any, pipeline: Any) -> None:
    """Every cross-check for the pipelines about to run (see the module doc)."""
    run = _namespaces(pipeline)
    if "data_processing" in run:
        path = _local_path(catalog.get("painting_images"))
        if path is not None:
            check_folder(path, "paintings", "data_dir")
    if "predict" in run:
        path = _local_path(catalog.get("predict_images"))
        if path is not None:
            check_folder(path, "paintings to predict", "predict_dir")
    if "feature_engineering" in run:
        check_pca_fits(catalog, run)


def mark_predictions_stale(catalog: Any) -> None:
    """Move ``predictions.csv`` aside to ``predictions.stale.csv`` (kept, not current),
    and its sidecar and page likewise (``predictions_rule.stale.json``,
    ``predictions.stale.html``)."""
    for name in PREDICT_OUTPUTS:
        dataset = catalog.get(name)
        path = _local_path(dataset) if dataset is not None else None
        if path is None or not os.path.isfile(path):
            continue
        stale = Path(path).with_name(Path(path).stem + ".stale" + Path(path).suffix)
        os.replace(path, stale)
        logger.warning("predict failed: the previous %s is now %s (not current).", path, stale)


def run_lock_settings(catalog: Any) -> RunLockParams:
    """``params:run_lock`` (defaults when absent).

    Raises:
        ParameterError: One line naming the invalid setting.
    """
    from pydantic import ValidationError

    if "params:run_lock" not in catalog:
        return RunLockParams()
    try:
        return RunLockParams.model_validate(_plain(catalog.load("params:run_lock")))
    except ValidationError as error:
        problems = "; ".join(
            f"run_lock.{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
            for e in error.errors()
        )
        raise ParameterError(f"invalid parameters: {problems}; fix them in conf/ or --params.") from None


class RunGuardHook:
    """The run lock around each run and the checks before its first node."""

    def __init__(self) -> None:
        self._lock: RunLock | None = None
        self._conf_source: str | None = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Note where the configuration is read from (``--conf-source`` or ``conf/``)."""
        self._conf_source = getattr(context.config_loader, "conf_source", None)

    @hook_impl(tryfirst=True)  # before the manifest and MLflow start anything
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Take the lock (or refuse, naming its holder), then make the cross-checks."""
        self._release()  # a lock a failed hook of an earlier run in this process kept
        settings = run_lock_settings(catalog)
        project = Path(run_params.get("project_path") or ".")
        self._lock = RunLock(project / "data", settings.wait_seconds)
        self._lock.acquire()
        try:
            check_runtime_keys(run_params, self._conf_source)
            preflight(catalog, pipeline)
        except ParameterError:
            if "predict" in _namespaces(pipeline):
                mark_predictions_stale(catalog)
            self._release()
            raise

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @hook_impl(trylast=True)  # after the manifest is written
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Give the lock back."""
        self._release()

    @hook_impl(trylast=True)
    def on_pipeline_error(
        self, error: Exception, run_params: dict[str, Any], pipeline: Any, catalog: Any
    ) -> None:
        """Mark a failed predict's old table stale, then give the lock back."""
        try:
            if "predict" in _namespaces(pipeline):
                mark_predictions_stale(catalog)
        finally:
            self._release()


# ------------------------------------------------------------------ one-line errors


def _one_line_types() -> tuple[type[BaseException], ...]:
    from kedro.validation import ParameterValidationError

    from art_genre.artefacts import ArtefactFormatError
    from art_genre.modelling.classifier import IncompatibleArtefactsError
    from art_genre.quality import BadInputError

    return (ArtefactFormatError, IncompatibleArtefactsError, RunLockedError,
            ParameterError, ParameterValidationError, BadInputError)


def user_error(error: BaseException | None) -> BaseException | None:
    """The user's mistake in an exception chain (see :func:`_one_line_types`), if any."""
    kinds = _one_line_types()
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kinds):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


_PARAMETER = re.compile(r"^- Parameter '([^']+)': (.*)$")
_PYDANTIC = re.compile(r"^\s+(.*?) \[type=[^,\]]+(?:, input_value=(.*?))?(?:, input_type=\w+)?\]$")


def parameter_problems(message: str) -> list[str]:
    """Kedro's parameter-validation message as ``"<key>: <problem> (got <value>)"`` items.

    Kedro lists one parameter per line, each with pydantic's multi-line report (the
    field's location, then its message); this names each field by its full key
    (``data_processing.split.test_size``).
    """
    problems: list[str] = []
    group, location = "", ""
    for line in message.splitlines():
        if match := _PARAMETER.match(line):
            group, rest = match.groups()
            if "validation error" not in rest:
                problems.append(f"{group}: {rest}")
        elif match := _PYDANTIC.match(line):
            problem, value = match.groups()
            key = f"{group}.{location}" if location else group
            problems.append(f"{key}: {problem}" + (f" (got {value})" if value else ""))
        elif line.strip() and not line.startswith((" ", "Parameter validation failed")):
            location = line.strip()
    return problems


def one_line(error: BaseException) -> str:
    """The error's message on one line (Kedro's parameter errors span several)."""
    from kedro.validation import ParameterValidationError

    if isinstance(error, ParameterValidationError):
        problems = parameter_problems(str(error))
        if problems:
            return "invalid parameters: " + "; ".join(problems) + "; fix them in conf/ or --params."
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


class ClearErrorsHook:
    """A user's mistake ends ``kedro run`` with one line (and exit code 1).

    Such an error says everything (the file or setting and the command that fixes it);
    the page of Kedro's traceback around it only hides it. This hook installs an
    exception hook that prints the message alone; every other error keeps its traceback.
    """

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Install the exception hook (once; it defers to the one it replaces)."""
        # Kedro logs each invalid parameter over many lines before raising; the
        # exception hook prints them on one line instead.
        logging.getLogger("kedro.validation.parameter_validator").setLevel(logging.CRITICAL)
        current = sys.excepthook
        if getattr(current, "_art_genre", False):
            return

        def excepthook(kind: type, error: BaseException, traceback: Any) -> None:
            found = user_error(error)
            if found is None:
                current(kind, error, traceback)
                return
            print(f"Error: {one_line(found)}", file=sys.stderr)  # noqa: T201 - the CLI's last word

        excepthook._art_genre = True  # type: ignore[attr-defined]
        sys.excepthook = excepthook
