"""Our models against scikit-learn baselines on the same splits, over several seeds.

Reads the ``model_input.npz`` a run wrote (PCA features and multi-hot targets of the
train / val / test splits) and prints, for the test split, any-match accuracy and
macro-F1 at threshold 0.5 (mean ± sd over seeds) of:

* the majority genre, one-vs-rest logistic regression and
  ``MLPClassifier(512, 256)`` (Adam, batch 32, 30 epochs), all from scikit-learn;
* our networks with the parameters of ``conf/base`` (the study's) and ``conf/improved``.

A single seed is noisy on small test sets (193 images on best-artworks), hence the seeds.

Usage::

    python benchmarks/baselines.py data/05_model_input/model_input.npz --seeds 3
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import yaml
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neural_network import MLPClassifier

from art_genre.modelling.nodes import train_model
from art_genre.modelling.params import ModelParams
from art_genre.nn import any_match_accuracy
from art_genre.pipelines.reporting.metrics import binarize, thresholded_metrics

ROOT = Path(__file__).resolve().parents[1]


def _scores(Y: np.ndarray, proba: np.ndarray) -> tuple[float, float]:
    macro = thresholded_metrics(Y, binarize(proba, 0.5))["macro_f1"]
    return float(any_match_accuracy(Y, proba)), float(macro)


def _model_params(env: str, name: str) -> dict:
    """The model parameters of ``conf/base`` merged with an environment's overrides."""

    def merge(a: dict, b: dict) -> dict:
        out = dict(a)
        for key, value in b.items():
            out[key] = merge(a[key], value) if isinstance(value, dict) and key in a else value
        return out

    group = "bnn" if name.startswith("bnn") else name
    params = yaml.safe_load((ROOT / f"conf/base/parameters_{group}.yml").read_text())[name]["model"]
    override = ROOT / f"conf/{env}/parameters_{group}.yml"
    if env != "base" and override.exists():
        params = merge(params, (yaml.safe_load(override.read_text()) or {}).get(name, {}).get("model", {}))
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_input", type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    from art_genre.datasets import ArrayBundleDataset

    data = ArrayBundleDataset(filepath=str(args.model_input)).load()
    X, Y = data["train"]["X"], data["train"]["Y"]
    X_test, Y_test = data["test"]["X"], data["test"]["Y"]
    print(f"train {len(X)}, val {len(data['val']['X'])}, test {len(X_test)}, genres {Y.shape[1]}")
    rows: dict[str, list[tuple[float, float]]] = {}
    majority = np.tile(Y.mean(axis=0), (len(X_test), 1))
    rows["majority genre"] = [_scores(Y_test, majority)]
    logistic = OneVsRestClassifier(LogisticRegression(max_iter=2000)).fit(X, Y)
    rows["logistic regression (OvR)"] = [_scores(Y_test, logistic.predict_proba(X_test))]
    for seed in range(args.seeds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp = MLPClassifier((512, 256), batch_size=32, max_iter=30, random_state=seed)
            mlp.fit(X, Y)
        rows.setdefault("MLPClassifier(512, 256)", []).append(_scores(Y_test, mlp.predict_proba(X_test)))
        for env in ("base", "improved"):
            for name in ("snn", "bnn", "bnn_study", "adam"):
                params = ModelParams.model_validate({**_model_params(env, name), "seed": seed})
                model, _ = train_model(data, params, name)
                rows.setdefault(f"{name} ({env})", []).append(
                    _scores(Y_test, model.predict_proba(X_test))
                )
    print(f"{'model':32s} {'any-match':>16s} {'macro-F1 @0.5':>16s}")
    for name, scores in rows.items():
        s = np.asarray(scores)
        print(
            f"{name:32s} {s[:, 0].mean():9.3f} ± {s[:, 0].std():.3f} "
            f"{s[:, 1].mean():9.3f} ± {s[:, 1].std():.3f}"
        )


if __name__ == "__main__":
    main()
