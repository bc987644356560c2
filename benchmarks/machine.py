"""What every benchmark prints beside its ratios: the CPU and its vector flags."""

from __future__ import annotations

import os
import platform
from pathlib import Path

FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile")


def machine_line() -> str:
    """``model name; cores; flags present`` from ``/proc/cpuinfo`` (first processor)."""
    info: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    except OSError:
        pass
    flags = set(info.get("flags", "").split())
    present = [f for f in FLAGS if f in flags]
    return (
        f"machine: {info.get('model name', platform.processor() or '?')}; "
        f"{os.cpu_count()} cores; flags: {' '.join(present) or 'none of ' + ', '.join(FLAGS)}"
    )
