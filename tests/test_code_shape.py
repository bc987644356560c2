"""The code's shape: short functions, and pipelines that talk only through the catalog.

* Every function under ``src/art_genre`` is shorter than :data:`MAX_LINES` lines (its
  ``def`` line to its last line), or says why not in a comment line starting with
  ``# long:`` just above its ``def`` (or above its decorators).
* No module under ``pipelines/<a>/`` imports from ``pipelines/<b>/``: what several
  pipelines need lives in a shared module (``art_genre.labels``, ``art_genre.features``,
  ``art_genre.modelling``, ...), and data passes through the catalog.
* One home for nodes: every node of every registered pipeline is a function defined
  under ``pipelines/<name>/``, and the library (``features/``, ``nn/``, ``modelling/``,
  ``evaluation/``, ``explain/`` and the modules beside them) imports nothing from Kedro.
  Kedro is imported only by the pipelines, the hooks, the settings, the datasets and
  Kedro's own entry points (``pipeline_registry.py``, ``__main__.py``).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from tests.conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "art_genre"
PIPELINES = PACKAGE / "pipelines"
MAX_LINES = 60
"""A function this long or longer needs a ``# long:`` comment saying why."""

NOT_YET: tuple[Path, ...] = ()
"""Places the shape check skips for now: none."""

KEDRO_ALLOWED = (
    PIPELINES,
    PACKAGE / "datasets",
    PACKAGE / "hooks",
    PACKAGE / "settings.py",
    PACKAGE / "pipeline_registry.py",
    PACKAGE / "__main__.py",
)
"""Where ``kedro`` (and ``kedro_datasets``, ``kedro_mlflow``) may be imported."""

NODES_NOT_YET: set[str] = set()
"""Library modules still wired in as nodes, being moved: to be emptied."""


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _checked(path: Path) -> bool:
    return not any(path == skip or skip in path.parents for skip in NOT_YET)


def _says_why(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the line above the function (above its decorators) is a ``# long:``."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    above = lines[first - 2].strip() if first >= 2 else ""
    return above.startswith("# long:")


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line name (n lines)`` of each function of ``path`` that is too long and
    does not say why."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length >= MAX_LINES and not _says_why(lines, node):
            where = path.relative_to(root)
            found.append(f"{where}:{node.lineno} {node.name} ({length} lines)")
    return found


def imported_modules(path: Path, src: Path = SRC) -> set[str]:
    """The absolute names of every module ``path`` (under ``src``) imports, relative
    imports resolved."""
    package = list(path.relative_to(src).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            # `from . import x` / `from art_genre.pipelines import x` import modules too
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _pipeline_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["art_genre", "pipelines"] and len(parts) > 2:
        return parts[2]
    return None


def test_functions_are_short_or_say_why():
    too_long = [f for path in _modules(PACKAGE) if _checked(path) for f in long_functions(path)]
    assert not too_long, (
        f"Functions of {MAX_LINES} lines or more: split them into named steps, or put a "
        "`# long: <why>` comment line above the def:\n" + "\n".join(too_long)
    )


def test_pipelines_do_not_import_each_other():
    crossing = []
    for path in _modules(PIPELINES):
        own = path.relative_to(PIPELINES).parts[0]
        if own.endswith(".py"):  # pipelines/__init__.py
            continue
        for module in sorted(imported_modules(path)):
            other = _pipeline_of(module)
            if other is not None and other != own:
                crossing.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not crossing, (
        "Pipelines talk through the catalog; move what they share to a module outside "
        "src/art_genre/pipelines/:\n" + "\n".join(crossing)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n" + "    x = 1\n" * 58 + "    return x\n", ["f"]),
        ("# long: a table\ndef f():\n" + "    x = 1\n" * 58 + "    return x\n", []),
        ("# long: a table\n@staticmethod\ndef f():\n" + "    x = 1\n" * 58 + "    return x\n", []),
        ("def f():\n" + "    x = 1\n" * 57 + "    return x\n", []),
    ],
)
def test_the_length_check_itself(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert [f.split()[1] for f in long_functions(path, tmp_path)] == expected


def test_the_import_check_itself(tmp_path):
    folder = tmp_path / "src" / "art_genre" / "pipelines" / "predict"
    folder.mkdir(parents=True)
    module = folder / "nodes.py"
    module.write_text(
        "from ..feature_engineering.nodes import x\n"
        "from .params import P\n"
        "import art_genre.pipelines.reporting.plots\n"
        "from art_genre.pipelines import data_processing\n"
    )
    imported = imported_modules(module, tmp_path / "src")
    assert "art_genre.pipelines.predict.params" in imported
    others = {_pipeline_of(m) for m in imported} - {None, "predict"}
    assert others == {"feature_engineering", "reporting", "data_processing"}


def _imports_kedro(path: Path, src: Path = SRC) -> bool:
    return any(
        module.split(".")[0] in {"kedro", "kedro_datasets", "kedro_mlflow", "kedro_viz"}
        for module in imported_modules(path, src)
    )


def _allowed_kedro(path: Path) -> bool:
    return any(path == place or place in path.parents for place in KEDRO_ALLOWED)


def test_the_library_imports_nothing_from_kedro():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _modules(PACKAGE)
        if _imports_kedro(path) and not _allowed_kedro(path)
    ]
    assert not offenders, (
        "Library code stays free of Kedro (nodes live under src/art_genre/pipelines/, "
        "I/O in src/art_genre/datasets/):\n" + "\n".join(offenders)
    )


def _node_modules() -> dict[str, set[str]]:
    """``{defining module: {node names}}`` over every registered pipeline."""
    from kedro.framework.project import configure_project

    configure_project("art_genre")
    from art_genre.pipeline_registry import register_pipelines

    found: dict[str, set[str]] = {}
    for pipeline in register_pipelines().values():
        for node in pipeline.nodes:
            func = node.func
            while isinstance(func, functools.partial):
                func = func.func
            found.setdefault(func.__module__, set()).add(node.name)
    return found


def test_every_node_lives_under_pipelines():
    outside = {
        module: sorted(nodes)
        for module, nodes in _node_modules().items()
        if not module.startswith("art_genre.pipelines.") and module not in NODES_NOT_YET
    }
    assert not outside, f"Node functions belong in src/art_genre/pipelines/<name>/: {outside}"


def test_the_kedro_import_check_itself(tmp_path):
    module = tmp_path / "src" / "art_genre" / "features" / "x.py"
    module.parent.mkdir(parents=True)
    module.write_text("from kedro.io.core import DatasetError\nimport numpy\n")
    assert _imports_kedro(module, tmp_path / "src")
    module.write_text("import numpy\nfrom art_genre.kedro_like import x\n")
    assert not _imports_kedro(module, tmp_path / "src")
