"""Docs that cannot rot: the README and ``docs/`` checked against the code.

* Every ``kedro run`` command they show names registered pipelines, existing
  environments, namespaces and tags, and ``--params`` keys that exist, with values the
  typed parameters accept (placeholders such as ``<model>`` or ``PATH`` excepted).
* Every relative link resolves to a file, and every ``#anchor`` to a heading of it.
* ``docs/configuration.md`` is what ``scripts/config_reference.py`` generates.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf
from pydantic import BaseModel, ValidationError

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONF = ROOT / "conf"
PLACEHOLDER = re.compile(r"<[^>]+>|\.\.\.|\bPATH\b|/path/to/|\$\w+|\$\{\w+\}")
"""Values that stand for what a user types: not checked against the parameters."""

# --------------------------------------------------------------------------- commands


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


def _shell_variables(block: str) -> dict[str, str]:
    """``NAME=value`` lines of a block (the value unquoted), for expanding ``$NAME``."""
    found = {}
    for line in block.replace("\\\n", " ").splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(\S*)\s*$", line)
        if match:  # an assignment alone on its line (not VAR=x command ...)
            found[match.group(1)] = shlex.split(match.group(2))[0] if match.group(2) else ""
    return found


def kedro_run_commands(text: str) -> list[str]:
    """Every ``kedro run ...`` of a Markdown text: in code blocks (continuation lines
    joined, comments dropped, the block's shell variables expanded) and in inline code."""
    commands = []
    for block in _code_blocks(text):
        variables = _shell_variables(block)
        for raw in block.replace("\\\n", " ").splitlines():
            line = raw.split(" #")[0].strip()
            start = line.find("kedro run")
            if start < 0:
                continue
            command = line[start:].split("`")[0]
            if command.count(")") > command.count("("):  # "(see kedro run --x)"
                command = command[: command.rindex(")")].rstrip()
            for name, value in variables.items():
                command = command.replace(f"${name}", value)
            commands.append(command)
    without_blocks = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    commands += re.findall(r"`(kedro run[^`]*)`", without_blocks)
    return commands


def parse_kedro_run(command: str) -> dict[str, list[str]]:
    """The options of one ``kedro run`` command line, each option's values in a list."""
    words = shlex.split(command)[2:]
    options: dict[str, list[str]] = {}
    aliases = {"--pipeline": "--pipelines", "-p": "--pipelines", "-e": "--env",
               "-t": "--tags", "-n": "--nodes", "--namespace": "--namespaces"}
    key = None
    for word in words:
        if word.startswith("-"):
            name, _, value = word.partition("=")
            key = aliases.get(name, name)
            options.setdefault(key, [])
            if value:
                options[key].append(value)
                key = None
        elif key is not None:
            options[key].append(word)
            key = None
    return options


@functools.cache
def config_reference():
    """``scripts/config_reference.py``, imported by path (``scripts`` is no package)."""
    spec = importlib.util.spec_from_file_location(
        "config_reference", ROOT / "scripts" / "config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def _registry() -> dict[str, Any]:
    from kedro.framework.project import configure_project

    configure_project("art_genre")
    from art_genre.pipeline_registry import register_pipelines

    return register_pipelines()


def _names(option: list[str]) -> list[str]:
    return [name.strip() for value in option for name in value.split(",") if name.strip()]


@functools.cache
def _typed_parameters() -> dict[str, type[BaseModel]]:
    return config_reference().typed_parameters()


@functools.cache
def _runtime_keys() -> set[str]:
    """Keys read with ``${runtime_params:KEY}`` in the configuration."""
    keys = set()
    for path in CONF.rglob("*.yml"):
        keys |= set(re.findall(r"runtime_params:\s*([\w.]+)", path.read_text()))
    return keys


def _parameters(env: str, runtime: dict[str, Any]) -> dict[str, Any]:
    from kedro.config import OmegaConfigLoader

    from art_genre.settings import CONFIG_LOADER_ARGS

    args = {**CONFIG_LOADER_ARGS, "default_run_env": env}
    return OmegaConfigLoader(str(CONF), runtime_params=runtime, **args)["parameters"]


@functools.cache
def _base_parameters(env: str) -> dict[str, Any]:
    return _parameters(env, {})


def _leaf_keys(tree: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        keys += _leaf_keys(value, f"{path}.") if isinstance(value, dict) else [path]
    return keys


def _lookup(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            raise KeyError(path)
        tree = tree[part]
    return tree


def command_problems(command: str) -> list[str]:
    """What is wrong with one ``kedro run`` command line (nothing: ``[]``)."""
    options = parse_kedro_run(command)
    registry = _registry()
    problems = [f"unknown pipeline {p!r}" for p in _names(options.get("--pipelines", []))
                if p not in registry]
    envs = {p.name for p in CONF.iterdir() if p.is_dir()}
    env = (options.get("--env") or ["local"])[0]
    if env not in envs and not PLACEHOLDER.search(env):
        problems.append(f"unknown env {env!r}")
    nodes = registry["__default__"].nodes + registry["predict"].nodes + registry[
        "ablations"].nodes
    for option, known in (
        ("--namespaces", {n.namespace.split(".")[0] for n in nodes if n.namespace}),
        ("--tags", {t for n in nodes for t in n.tags}),
    ):
        problems += [f"unknown {option[2:]} {v!r}" for v in _names(options.get(option, []))
                     if not PLACEHOLDER.search(v) and v not in known]
    if "--params" in options and env in envs:
        problems += _params_problems(",".join(options["--params"]), env)
    return problems


def _params_problems(text: str, env: str) -> list[str]:
    dotlist = [  # "..." and "$P" stand for more settings: nothing to check
        item for item in re.split(r",(?![^\[]*\])", text)
        if item and not ("=" not in item and PLACEHOLDER.search(item))
    ]
    if any("=" not in item for item in dotlist):
        return [f"--params {text!r} is not key=value,..."]
    runtime = OmegaConf.to_container(OmegaConf.from_dotlist(dotlist))
    keys = _leaf_keys(runtime)
    base = _base_parameters(env)
    problems = []
    for key in keys:
        if key.split(".")[0] in _runtime_keys():
            continue
        try:
            _lookup(base, key)
        except KeyError:
            problems.append(f"unknown parameter {key!r}")
    checked = [k for k, item in zip(keys, dotlist, strict=False) if not PLACEHOLDER.search(item)]
    if problems or not checked:
        return problems
    parameters = _parameters(env, runtime)
    for path, model in _typed_parameters().items():
        if any(k == path or k.startswith(f"{path}.") for k in checked):
            try:
                model.model_validate(_lookup(parameters, path))
            except ValidationError as error:
                problems.append(f"{path}: {error.errors()[0]['msg']}")
    return problems


COMMANDS = [
    pytest.param(command, id=f"{path.name}:{command[:60]}")
    for path in DOCS
    for command in kedro_run_commands(path.read_text(encoding="utf-8"))
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_kedro_run_command_of_the_docs_is_valid(command):
    assert command_problems(command) == [], command


def test_the_command_check_itself():
    assert command_problems("kedro run --pipelines snn --env test") == []
    assert command_problems("kedro run --pipelines nope") == ["unknown pipeline 'nope'"]
    assert command_problems("kedro run --env nowhere") == ["unknown env 'nowhere'"]
    assert command_problems("kedro run --params snn.model.seed=1") == [
        "unknown parameter 'snn.model.seed'"
    ]
    assert command_problems("kedro run --params seeds=[42,0],adam.model.epochs=5") == []
    assert command_problems("kedro run --params adam.model.epochs=-5")[0].startswith(
        "adam.model: "
    )
    assert command_problems("kedro run --params data_dir=PATH --tags report") == []
    text = "```bash\nP=adam.model.epochs=3\nkedro run \\\n  --params \"$P\"  # go\n```\n"
    assert kedro_run_commands(text) == ['kedro run    --params "adam.model.epochs=3"']


# ------------------------------------------------------------------------------ links


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"`|\*\*?|__", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {github_anchor(h) for h in re.findall(r"^#{1,6}\s+(.*)$", text, flags=re.M)}


def relative_links(path: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    text = re.sub(r"`[^`]*`", "", text)
    targets = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)
    return [t for t in targets if not re.match(r"^[a-z]+:", t)]


def link_problems(path: Path) -> list[str]:
    problems = []
    for target in relative_links(path):
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no such heading")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(path):
    assert link_problems(path) == []


def test_the_link_check_itself(tmp_path):
    (tmp_path / "other.md").write_text("# Set up and run (two commands)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "## A `code` heading\n[a](other.md#set-up-and-run-two-commands) [b](#a-code-heading)"
        " [c](missing.md) [d](other.md#nope) [e](https://example.org) `[f](x.md)`\n"
    )
    assert link_problems(page) == ["missing.md: no such file", "other.md#nope: no such heading"]


def test_the_configuration_reference_is_current():
    module = config_reference()
    assert module.PAGE.read_text(encoding="utf-8") == module.render(), (
        "docs/configuration.md is out of date: run python scripts/config_reference.py"
    )
