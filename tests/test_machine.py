"""The machine record: CPU model, cores and vector flags, in the manifest and the report."""

from __future__ import annotations

from art_genre.machine import VECTOR_FLAGS, cpu_description, cpu_flags, machine_line
from art_genre.pipelines.reporting.sections import manifest_section

CPUINFO = """processor\t: 0
model name\t: Example CPU 9000
flags\t\t: fpu sse2 avx2 fma avx512f amx_tile

processor\t: 1
model name\t: Example CPU 9000
flags\t\t: fpu sse2 avx2 fma avx512f amx_tile
"""


def test_the_first_processors_model_and_vector_flags_are_read(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(CPUINFO)
    cpu = cpu_description(info)
    assert cpu["model"] == "Example CPU 9000"
    assert cpu["flags"] == ["avx2", "fma", "avx512f", "amx_tile"]  # in VECTOR_FLAGS' order
    assert cpu["cores"] >= 1
    assert cpu_flags(info) == {"fpu", "sse2", "avx2", "fma", "avx512f", "amx_tile"}
    assert machine_line(info).startswith("machine: Example CPU 9000; ")
    assert machine_line(info).endswith("flags: avx2 fma avx512f amx_tile")


def test_an_unreadable_cpuinfo_gives_unknowns_not_an_error(tmp_path):
    cpu = cpu_description(tmp_path / "missing")
    assert cpu["flags"] is None and cpu_flags(tmp_path / "missing") is None
    assert machine_line(tmp_path / "missing").endswith("none of " + ", ".join(VECTOR_FLAGS))


def test_the_report_names_the_machine():
    manifest = {"env": "test", "cpu": {"model": "Example CPU 9000", "cores": 2,
                                       "flags": ["avx2", "fma"]}}
    assert "Example CPU 9000, 2 cores, vector flags avx2 fma" in repr(manifest_section(manifest))
    assert "Machine" not in repr(manifest_section({"env": "test"}))  # older manifests
