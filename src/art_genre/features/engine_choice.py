"""``engine: auto``: the engine that runs a precision fastest on this CPU, and why.

The rule follows what ``benchmarks/extraction_speed.py`` measured (docs/extraction.md):

* bfloat16 on a CPU with AVX512-BF16 or AMX: OpenVINO, which computes it natively (on an
  AMX CPU 3.97x TensorFlow float32 for ResNet50, Keras' ``mixed_bfloat16`` 1.29x);
* bfloat16 elsewhere: TensorFlow (Keras' policy, emulated; OpenVINO would quietly
  compute float32 instead, under a bfloat16 fingerprint);
* float32 on an AMX CPU: TensorFlow (OpenVINO f32 measured 0.72x there);
* float32 elsewhere: OpenVINO (on an AVX2 CPU faster than TensorFlow, model only and
  end to end, with features equal to cosine 0.9999999).
"""

from __future__ import annotations

from pathlib import Path

from art_genre.machine import cpu_flags

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
AMX_FLAGS = ("amx_bf16", "amx_tile")


def choose_engine(precision: str, cpuinfo: str | Path = "/proc/cpuinfo") -> tuple[str, str]:
    """The engine for ``precision`` on the CPU of ``cpuinfo``.

    Args:
        precision: ``float32`` or ``bfloat16``.
        cpuinfo: Where the CPU flags are read (``/proc/cpuinfo``; unreadable: no flags).

    Returns:
        ``(engine, reason)``: ``tensorflow`` or ``openvino``, and a sentence for the log.
    """
    flags = cpu_flags(cpuinfo) or set()
    native = [flag for flag in BF16_FLAGS if flag in flags]
    amx = any(flag in flags for flag in AMX_FLAGS)
    if precision == "bfloat16":
        if native:
            return "openvino", f"bfloat16 on a CPU with {'/'.join(native)}: native in OpenVINO"
        return "tensorflow", (
            "bfloat16 on a CPU without AVX512-BF16/AMX: Keras' mixed policy (emulated)"
        )
    if amx:
        return "tensorflow", "float32 on an AMX CPU: TensorFlow measured faster than OpenVINO"
    return "openvino", "float32 on a CPU without AMX: OpenVINO measured faster than TensorFlow"
