"""The packaged hand-off: `kedro package` → a wheel and a conf archive that run `predict`
on another machine with copied artefacts, as Kedro documents for packaged projects.

The wheel goes into a fresh virtual environment; its dependencies are reused from this
one (``--system-site-packages`` plus a ``.pth`` naming this interpreter's site folders,
since this interpreter may itself be a venv) and it is installed with ``--no-deps``, so
the test needs no network. The hand-off folder holds nothing but the artefacts.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE, copy_trained

pytestmark = pytest.mark.slow  # builds and installs the package, trains and predicts

HANDOFF = (
    "data/06_models",
    "data/03_primary/genre_vocabulary.json",
    "data/08_reporting/pca_summary.json",
)
"""What a teammate copies: models, PCA, scaler, thresholds, backbone settings, genres."""


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,  # noqa: S603
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_the_packaged_project_predicts_with_copied_artefacts(
    trained_sample, tmp_path, monkeypatch
):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KEDRO_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1", TF_CPP_MIN_LOG_LEVEL="2")
    # 1. train here (env test) and predict, for the reference output
    trained = copy_trained(trained_sample, tmp_path / "trained")
    monkeypatch.chdir(trained)
    images = tmp_path / "new"
    shutil.copytree(SAMPLE / "resized", images)
    # predict in a fresh process, as the teammate will: this test process has run other
    # TensorFlow work whose thread settings can move a float32 feature in its last bit
    _run([sys.executable, "-m", "kedro", "run", "--env", "test", "--pipelines", "predict",
          "--params", f"predict_dir={images},predict_model=adam"], trained, env)
    expected = (trained / "data/07_model_output/predictions.csv").read_bytes()
    # 2. kedro package, in a copy of the sources (dist/ stays out of the working tree)
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", ".telemetry"):
        shutil.copy(ROOT / name, source)
    shutil.copytree(ROOT / "src", source / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "conf", source / "conf", ignore=shutil.ignore_patterns("local"))
    (source / "conf/local").mkdir()
    _run([sys.executable, "-m", "kedro", "package"], source, env)
    (wheel,) = (source / "dist").glob("art_genre-*.whl")
    conf = source / "dist/conf-art_genre.tar.gz"
    assert conf.exists()
    # 3. a fresh venv with the wheel only (dependencies reused, no network)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   tmp_path, env).stdout.strip()
    shared = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    shared += [p for p in sys.path if p.endswith("handoff_site")]  # a private plugin dir
    Path(purelib, "_shared_dependencies.pth").write_text("\n".join(dict.fromkeys(shared)) + "\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], tmp_path, env)
    located = _run([str(python), "-c", "import art_genre; print(art_genre.__file__)"],
                   tmp_path, env).stdout
    assert str(venv) in located, located  # the wheel, not the working tree
    # 4. the teammate's folder: the artefacts only, outside any Kedro project
    handoff = tmp_path / "handoff"
    for part in HANDOFF:
        target = handoff / part
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if (trained / part).is_dir() else shutil.copy)(trained / part, target)
    _run([str(python), "-m", "art_genre", f"--conf-source={conf}", "--env", "test",
          "--pipelines", "predict", "--params",
          f"predict_dir={images},predict_model=adam"], handoff, env)
    assert (handoff / "data/07_model_output/predictions.csv").read_bytes() == expected
