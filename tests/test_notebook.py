"""The exploration notebook runs top to bottom on the results of a full run.

Headless: nbclient starts a ``python3`` kernel (this interpreter's ipykernel) whose
working directory is a throw-away copy of the project. The paintings are moved out of
the default data folder and the last run points ``data_dir`` at their new place: the
notebook must take the env (``test``) and ``data_dir`` from that run's manifest, or it
reads the wrong folder and fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT, copy_trained, run_kedro

pytestmark = pytest.mark.slow

NOTEBOOK = ROOT / "notebooks" / "explore_results.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the extension pretty-prints in colour (rich)


def test_the_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.fixture
def executed(
    trained_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> nbformat.NotebookNode:
    project = copy_trained(trained_sample, tmp_path / "project")
    monkeypatch.chdir(project)
    run_kedro(project, "adam")  # a second version of `adam.model`, for the notebook
    # The paintings live elsewhere now, and the last run (env test) read them there.
    moved = project / "data" / "01_raw" / "elsewhere"
    (project / "data" / "01_raw" / "sample").rename(moved)
    run_kedro(project, "data_processing", {"data_dir": str(moved)})
    (project / "notebooks").mkdir()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    monkeypatch.delenv("KEDRO_ENV", raising=False)  # the manifest names the env
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(project / "notebooks")}},
    ).execute()  # raises CellExecutionError, naming the cell, if one fails
    nbformat.write(notebook, tmp_path / "explore_results.executed.ipynb")
    return notebook


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return ANSI.sub("", "\n".join(parts))


def test_the_notebook_runs_on_a_full_run(executed):
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    everything = "\n".join(_text(cell) for cell in code)
    assert "'environment': 'test'" in everything  # the manifest's env
    assert "elsewhere" in everything  # and its data_dir
    # Plots: the PCA curve, the saved model-comparison PNG, the paintings, and a
    # painting's class activation maps (an overlay image).
    images = [
        output
        for cell in code
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(images) >= 4
    explain_cell = next(cell for cell in code if "Explainer(" in cell.source)
    assert any("image/png" in output.get("data", {}) for output in explain_cell.outputs)
    # Two versions of adam.model were found and the earlier one loaded.
    versions_cell = next(cell for cell in code if "versions_dir" in cell.source)
    assert _text(versions_cell).count("Z'") == 2
    assert "True" in _text(code[-1])
    # the comparison comes from the results table, with the baselines beside the networks
    summary = next(cell for cell in code if "pivot_table" in cell.source and "results" in everything)
    assert "prior" in _text(summary) and "adam" in _text(summary)
