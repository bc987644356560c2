"""The pipeline registry: every name, and only what a command asks for."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kedro.framework.project import configure_project, pipelines

from art_genre.pipeline_registry import ON_REQUEST, PIPELINES


@pytest.fixture
def registry():
    configure_project("art_genre")
    yield pipelines
    pipelines.set_requested(None)


def test_every_pipeline_and_the_default_flow_are_registered(registry):
    assert set(registry) == {*PIPELINES, "__default__"}
    default = registry["__default__"]
    for name in PIPELINES:
        nodes = set(registry[name].nodes)
        assert nodes <= set(default.nodes) or name in ON_REQUEST, name
        assert not (nodes & set(default.nodes)) or name not in ON_REQUEST, name


def test_a_network_pipeline_is_the_template_in_its_namespaces(registry):
    registry.set_requested(["bnn", "reporting"])
    assert set(registry) == {"bnn", "reporting"}
    assert {n.namespace for n in registry["bnn"].nodes} == {"bnn", "bnn_study"}
    # reporting binds the thresholds too
    assert any(n.name.startswith("reporting.bind_thresholds") for n in registry["reporting"].nodes)


def test_one_pipeline_asked_for_imports_no_other():
    code = (
        "import sys\n"
        "from kedro.framework.project import configure_project, pipelines\n"
        "configure_project('art_genre')\n"
        "pipelines.set_requested(['snn'])\n"
        "assert list(pipelines) == ['snn'], list(pipelines)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('art_genre.pipelines.'))\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert all(m.startswith('art_genre.pipelines.networks') for m in loaded), loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
