"""Check that the lock file still satisfies pyproject.toml (offline, in well under a second).

``requirements-linux-py311.txt`` pins every package for Linux / Python 3.11 (made with
``uv pip compile``, see its header). When someone edits a range in ``pyproject.toml``, the
lock may no longer satisfy it; this script checks, for every requirement of the project
and its ``dev`` extra whose marker applies to Linux / Python 3.11, that the lock pins the
package at a version inside the range. It does not resolve anything (no network): regenerate the lock with the command in its
header when it reports a problem.

    python scripts/check_lock.py            # exit 1 and one line per problem
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-linux-py311.txt"
TARGET = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
"""The environment the lock is for (markers are evaluated against it)."""


def read_lock(path: Path) -> dict[str, Version]:
    """``{canonical name: pinned version}`` of a ``uv pip compile`` / pip-compile file."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        match = re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = Version(match.group(3))
    return pins


def project_requirements(pyproject: Path, extras: tuple[str, ...] = ("dev",)) -> list[Requirement]:
    """The project's requirements and those of ``extras`` that apply to :data:`TARGET`."""
    import tomllib  # Python 3.11+, like the lock

    project = tomllib.loads(pyproject.read_text())["project"]
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines += project.get("optional-dependencies", {}).get(extra, [])
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.marker is None or r.marker.evaluate(TARGET)]


def problems(pyproject: Path = ROOT / "pyproject.toml", lock: Path = LOCK) -> list[str]:
    """One line per requirement the lock does not satisfy (empty: the lock is valid)."""
    if not lock.exists():
        return [f"{lock.name} is missing; create it with the command in the README."]
    pins = read_lock(lock)
    found = []
    for requirement in project_requirements(pyproject):
        name = canonicalize_name(requirement.name)
        if name not in pins:
            found.append(f"{requirement} is in pyproject.toml but not pinned in {lock.name}")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            found.append(
                f"{requirement} is in pyproject.toml but {lock.name} pins "
                f"{requirement.name}=={pins[name]}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--lock", type=Path, default=LOCK)
    args = parser.parse_args(argv)
    found = problems(args.pyproject, args.lock)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(
            f"Regenerate the lock: uv pip compile pyproject.toml --extra dev "
            f"--python-version 3.11 --python-platform x86_64-unknown-linux-gnu "
            f"-o {args.lock.name}",
            file=sys.stderr,
        )
        return 1
    print(f"{args.lock.name} satisfies pyproject.toml ({len(read_lock(args.lock))} pins).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
