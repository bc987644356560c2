"""The machine a run used: CPU model, cores and the vector instructions it offers.

Recorded in the run manifest and printed beside every benchmark's ratios: the same
commit and lock file reproduce ``metrics.json`` byte for byte on one machine type, while
another CPU can make TensorFlow and OpenBLAS pick other kernels (other rounding).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")
"""The ``/proc/cpuinfo`` flags worth naming: they decide the kernels used and their speed."""


def _first_processor(cpuinfo: str | Path) -> dict[str, str] | None:
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return None
    info: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str] | None:
    """Every flag of the first processor in ``cpuinfo`` (``None``: not readable or none)."""
    info = _first_processor(cpuinfo)
    flags = set((info or {}).get("flags", "").split())
    return flags or None


def usable_cores() -> int:
    """Processors this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def cpu_description(cpuinfo: str | Path = "/proc/cpuinfo") -> dict[str, Any]:
    """``{"model", "cores", "flags"}``: the CPU's name, the processors this process may
    use, and which of :data:`VECTOR_FLAGS` it has (``None`` where unknown)."""
    info = _first_processor(cpuinfo) or {}
    flags = cpu_flags(cpuinfo)
    return {
        "model": info.get("model name") or platform.processor() or None,
        "cores": usable_cores(),
        "flags": None if flags is None else [f for f in VECTOR_FLAGS if f in flags],
    }


def machine_line(cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """``machine: <model>; <n> cores; flags: <vector flags>``, for benchmark output."""
    cpu = cpu_description(cpuinfo)
    flags = cpu["flags"]
    shown = " ".join(flags) if flags else "none of " + ", ".join(VECTOR_FLAGS)
    return f"machine: {cpu['model'] or '?'}; {cpu['cores']} cores; flags: {shown}"
