"""Fixtures shared by the whole suite: the sample generator and isolated Kedro runs."""

from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The reporting fakes (six models' predictions, histories, parameters) are fixtures for
# the reporting and the evaluation tests alike.
pytest_plugins = ("tests.reporting_fakes",)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "01_raw" / "sample"
SHARED_DATA = ROOT.parent / "shared" / "data"
BEST_ARTWORKS = SHARED_DATA / "best-artworks"
WIKIART_STYLES = SHARED_DATA / "wikiart-styles"
SHARED_KERAS = ROOT.parent / "shared" / "keras"


def load_sample_generator():
    """Import ``scripts/make_sample.py`` by path (``scripts`` is no package)."""
    spec = importlib.util.spec_from_file_location(
        "make_sample", ROOT / "scripts" / "make_sample.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sample_generator():
    """The bundled sample's generator module."""
    return load_sample_generator()


def copy_project(project: Path) -> Path:
    """Copy the project's conf, pyproject and bundled sample into ``project``.

    Runs in the copy write their outputs under it, never into the working tree.
    """
    project.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", project)
    shutil.copy(ROOT / ".telemetry", project)
    shutil.copytree(ROOT / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # the package itself is installed (pip install -e .)
    shutil.copytree(SAMPLE, project / "data" / "01_raw" / "sample")
    return project


@contextmanager
def pickles_refused() -> Iterator[None]:
    """Within: any pickle load raises. What runs through loaded no pickle.

    joblib's process pool (seeds trained side by side) moves arrays between processes as
    ``(pickle.loads, bytes)``, with the ``loads`` its modules bind at import: imported
    first here, they keep the real one, so inter-process transfer is not taken for
    loading an artefact (imported under the patch they would ship the refusal to the
    workers, and a test module run alone would fail).
    """
    import joblib._memmapping_reducer  # noqa: F401, PLC0415 - bind the real pickle.loads
    import joblib.externals.loky.backend.reduction  # noqa: F401, PLC0415

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a pickle was loaded")

    with pytest.MonkeyPatch.context() as mp:
        for name in ("load", "loads"):
            mp.setattr(pickle, name, refuse)
        yield


@pytest.fixture(scope="session")
def trained_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy after one full default run (env ``test``), made once per session.

    Never used directly: :func:`copy_trained` gives each module its own copy, so the
    six test modules that need a trained project share one training run. The run loads
    no pickle (any pickle load raises): the default flow is pickle-free.
    """
    project = copy_project(tmp_path_factory.mktemp("trained_sample") / "project")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        with pickles_refused():
            run_kedro(project)
    return project


def copy_trained(trained_sample: Path, project: Path) -> Path:
    """A private copy of the trained sample project at ``project`` (which must not exist)."""
    shutil.copytree(trained_sample, project, symlinks=True)
    return project


@pytest.fixture
def kedro_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away copy of the project (conf, pyproject, bundled sample) as cwd."""
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    return project


def run_kedro(
    project: Path,
    pipeline: str | None = None,
    params: dict[str, Any] | None = None,
    env: str = "test",
    **run_args: Any,
) -> dict[str, Any]:
    """Run a registered pipeline of ``project`` in a fresh session; return its outputs.

    ``run_args`` go to ``KedroSession.run`` (e.g. ``namespaces=["snn"]``).
    """
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(
        project_path=project, env=env, runtime_params=params or {}
    ) as session:
        names = run_args.pop("pipeline_names", None) or ([pipeline] if pipeline else None)
        return session.run(pipeline_names=names, **run_args)


@pytest.fixture
def run_pipeline(kedro_project: Path) -> Callable[..., dict[str, Any]]:
    """``run_pipeline(name, params)`` runs a pipeline of the throw-away project."""

    def _run(pipeline: str | None = None, params: dict[str, Any] | None = None, **kw):
        return run_kedro(kedro_project, pipeline, params, **kw)

    return _run


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n`` (pytest-xdist): a module-fixture module's tests stay on one worker."""
    from tests.xdist_scheduling import ModuleFixtureScheduling  # noqa: PLC0415 - needs xdist

    return ModuleFixtureScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the slow tests first (a plain ``pytest -n 0`` keeps the order)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.xdist_scheduling import slow_first  # noqa: PLC0415 - needs xdist

        slow_first(items)


def needs(path: Path) -> pytest.MarkDecorator:
    """Skip a test where the real data beside the project is absent."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not present")
