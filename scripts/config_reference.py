"""Write docs/configuration.md: every typed parameter, its type, default and meaning.

The page is generated from the code and the configuration, never written by hand:

* the parameter groups are the ``params:`` inputs of the registered pipelines' nodes
  whose argument is typed with a pydantic model (what Kedro validates before a run);
* each field's meaning is the ``Attributes:`` entry of the model's docstring;
* each default is the value in ``conf/base`` (what a plain ``kedro run`` uses), and
  each environment's changes are listed beside it.

Run ``python scripts/config_reference.py`` after changing a parameter;
``tests/test_docs.py`` fails while the committed page differs from the output.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import re
import sys
import typing
from pathlib import Path
from types import UnionType
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
ENVS = ("improved", "study_protocol", "test")
"""The environments beside ``base`` whose changes the page lists (``local`` is the
user's own, never committed)."""


def typed_parameters() -> dict[str, type[BaseModel]]:
    """``{parameter path: pydantic model}`` for every typed ``params:`` input of a node,
    in the registry's order."""
    from kedro.framework.project import configure_project, pipelines

    configure_project("art_genre")  # Kedro's registry of the project's pipelines
    typed: dict[str, type[BaseModel]] = {}
    for pipeline in pipelines.values():
        for node in pipeline.nodes:
            func = node.func
            while isinstance(func, functools.partial):
                func = func.func
            hints = typing.get_type_hints(func)
            names = list(inspect.signature(func).parameters)
            inputs = node._inputs
            if isinstance(inputs, dict):
                pairs = list(inputs.items())
            else:
                listed = [inputs] if isinstance(inputs, str) else list(inputs or [])
                pairs = list(zip(names, listed, strict=False))
            for argument, dataset in pairs:
                hint = hints.get(argument)
                if (dataset.startswith("params:") and inspect.isclass(hint)
                        and issubclass(hint, BaseModel)):
                    typed.setdefault(dataset.removeprefix("params:"), hint)
    return dict(sorted(typed.items()))


def parameters(env: str) -> dict[str, Any]:
    """The parameters of ``env`` over ``base``, as a run with no ``--params`` sees them."""
    from kedro.config import OmegaConfigLoader

    from art_genre.settings import CONFIG_LOADER_ARGS

    args = {**CONFIG_LOADER_ARGS, "default_run_env": env}
    return OmegaConfigLoader(str(ROOT / "conf"), **args)["parameters"]


def attribute_docs(model: type[BaseModel]) -> dict[str, str]:
    """The ``Attributes:`` entries of a model's docstring, one line each."""
    doc = inspect.getdoc(model) or ""
    section = doc.split("Attributes:", 1)[1] if "Attributes:" in doc else ""
    entries: dict[str, str] = {}
    name = None
    for line in section.splitlines():
        match = re.match(r"^    (\w+): ?(.*)$", line)
        if match:
            name = match.group(1)
            entries[name] = match.group(2).strip()
        elif name and line.startswith("        "):
            entries[name] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return entries


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "")
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    return re.sub(r"\b(?:[a-z_]+\.)+([A-Za-z_]\w*)", r"\1", text)


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _lookup(tree: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def field_rows(model: type[BaseModel], path: str, base: dict[str, Any]) -> list[str]:
    """One table row per field of ``model`` (nested models flattened to dotted names)."""
    rows = []
    docs = attribute_docs(model)
    for name, field in model.model_fields.items():
        annotation = field.annotation
        # a model, or an optional one (not a dict or list of models)
        candidates = (annotation, *(typing.get_args(annotation)
                                    if typing.get_origin(annotation) in (typing.Union, UnionType)
                                    else ()))
        nested = [a for a in candidates if inspect.isclass(a) and issubclass(a, BaseModel)]
        key = f"{path}.{name}"
        if nested:
            rows += field_rows(nested[0], key, base)
            continue
        meaning = docs.get(name, "").replace("``", "`").replace("|", "\\|")
        default = _value(_lookup(base, key)).replace("|", "\\|")
        rows.append(f"| `{key}` | `{_type_name(annotation)}` | `{default}` | {meaning} |")
    return rows


def _changes(env_params: dict[str, Any], base: dict[str, Any], prefix: str = "") -> list[str]:
    changed = []
    for key, value in env_params.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            changed += _changes(value, base[key], f"{path}.")
        elif base.get(key) != value:
            changed.append(f"`{path}: {_value(value)}`")
    return changed


def render() -> str:
    """The whole page."""
    base = parameters("base")
    lines = [
        "# Configuration reference",
        "",
        "Every typed parameter, generated from the code by `python scripts/"
        "config_reference.py` (a test fails while this page differs from its output).",
        "Defaults are `conf/base`; override any of them at run time, e.g. "
        "`kedro run --params adam.model.epochs=50`, or pick an environment with `--env`.",
        "A wrong value stops the run before any work, naming the parameter.",
        "",
        "## Environments",
        "",
        "| env | what it changes over `conf/base` |",
        "|---|---|",
    ]
    for env in ENVS:
        changes = sorted(_changes(parameters(env), base))  # files load in any order
        readme = ROOT / "conf" / env / "README.md"
        paragraphs = readme.read_text(encoding="utf-8").split("\n\n") if readme.exists() else []
        prose = [p for p in paragraphs if p.strip() and not p.lstrip().startswith("#")]
        summary = " ".join(prose[0].split()) if prose else ""
        label = "" if summary.endswith(":") else " Changes:"
        lines.append(f"| `{env}` | {summary}{label} {', '.join(changes)}. |")
    lines += [
        "",
        "## Values shared by the catalog and the parameters",
        "",
        "`conf/base/globals.yml`: `data_dir` (the painting folder), `predict_dir` (the "
        "folder `predict` reads), `seeds` (one training run per seed), `overlay_format`. "
        "Set them with `--params`, e.g. `kedro run --params data_dir=PATH,seeds=[42]`.",
    ]
    for path, model in typed_parameters().items():
        summary = (inspect.getdoc(model) or "").split("\n\n")[0].replace("\n", " ")
        summary = summary.replace("``", "`")
        lines += [
            "",
            f"## `{path}`",
            "",
            f"{summary} (`{model.__name__}`)",
            "",
            "| parameter | type | default | meaning |",
            "|---|---|---|---|",
            *field_rows(model, path, base),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page, or with ``--check`` say whether it is current (exit 1 if not)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        print("up to date" if current == text else f"{PAGE} is out of date")
        return 0 if current == text else 1
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
