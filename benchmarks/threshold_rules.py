"""Which decision rule for ``predict``: four ways to choose the thresholds, over seeds.

For a model input written by a real run (``data/05_model_input/model_input.npz``), it
trains a model (default ``adam``, ``--env improved`` parameters) once per seed and
compares, on the test split:

* ``per_genre``: each genre's F1-best cut on validation (the reporting pipeline's);
* ``checked``: per-genre cuts shrunk toward one global cut by the number of validation
  positives, a genre's own cut only from 5 positives on, every cut in [0.05, 0.9]
  (:func:`art_genre.evaluation.decision.checked_thresholds`);
* ``global``: one cut for every genre, the validation macro-F1-best;
* ``out_of_fold``: per-genre F1-best cuts on out-of-fold logits over train + val
  (5 folds, each fold's model trained on the other four), so every cut sees about 8x
  more positives than validation alone.

For each: test macro-F1 (mean and sd over seeds), and how often a genre the model gives
p >= 0.9 is left out (share of such (painting, genre) pairs, and their count per seed).

Usage::

    python benchmarks/threshold_rules.py data/05_model_input/model_input.npz --model adam
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

import numpy as np
from machine import machine_line
from scipy.special import expit
from sklearn.model_selection import KFold

from art_genre.datasets import ArrayBundleDataset
from art_genre.evaluation.decision import checked_thresholds, global_threshold
from art_genre.evaluation.metrics import thresholded_metrics, tune_thresholds
from art_genre.modelling.params import ModelParams
from art_genre.modelling.training import train_seeds

ROOT = Path(__file__).resolve().parents[1]
RULES = ("per_genre", "checked", "global", "out_of_fold")
CONFIDENT = 0.9


def model_params(model: str, env: str, seeds: list[int]) -> ModelParams:
    """The model's parameters in ``env`` (over ``conf/base``), with these seeds."""
    from kedro.config import OmegaConfigLoader

    from art_genre.settings import CONFIG_LOADER_ARGS

    args = {**CONFIG_LOADER_ARGS, "default_run_env": env}
    params = OmegaConfigLoader(str(ROOT / "conf"), **args)["parameters"][model]["model"]
    return ModelParams.model_validate({**params, "seeds": seeds, "n_jobs": None})


def _subset(split: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    return {"image_ids": [split["image_ids"][i] for i in rows], "X": split["X"][rows],
            "Y": split["Y"][rows]}


def out_of_fold_logits(
    model_input: dict[str, Any], params: ModelParams, name: str, folds: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Targets and every seed's out-of-fold logits over train + val."""
    pooled = {key: np.concatenate([model_input["train"][key], model_input["val"][key]])
              for key in ("X", "Y")}
    pooled["image_ids"] = list(model_input["train"]["image_ids"]) + list(
        model_input["val"]["image_ids"])
    logits = np.zeros((len(params.seeds), *pooled["Y"].shape))
    for train_rows, held_rows in KFold(folds, shuffle=True, random_state=0).split(pooled["X"]):
        fold_input = {**model_input, "train": _subset(pooled, train_rows),
                      "val": _subset(pooled, held_rows)}
        for s, (classifier, _) in enumerate(train_seeds(fold_input, params, name)):
            logits[s, held_rows] = classifier.decision_function(pooled["X"][held_rows])
    return pooled["Y"], logits


def evaluate(Y: np.ndarray, logits: np.ndarray, thresholds: dict[str, float]) -> dict[str, float]:
    """Test macro-F1 and the confident genres left out under ``thresholds``."""
    cuts = np.array(list(thresholds.values()))
    assigned = logits >= cuts
    confident = expit(logits) >= CONFIDENT
    rejected = confident & ~assigned
    return {
        "macro_f1": thresholded_metrics(Y, assigned.astype(int))["macro_f1"],
        "rejected": int(rejected.sum()),
        "confident": int(confident.sum()),
        "lowest": float(expit(cuts.min())),
        "highest": float(expit(cuts.max())),
    }


def compare(model_input: dict[str, Any], params: ModelParams, name: str) -> dict[str, list]:
    """Each rule's figures, one per seed."""
    genres = list(model_input["genres"])
    runs = train_seeds(model_input, params, name)
    Y_oof, oof = out_of_fold_logits(model_input, params, name)
    out: dict[str, list] = {rule: [] for rule in RULES}
    Y_val, Y_test = model_input["val"]["Y"], model_input["test"]["Y"]
    for s, (classifier, _) in enumerate(runs):
        val = classifier.decision_function(model_input["val"]["X"])
        test = classifier.decision_function(model_input["test"]["X"])
        shared = global_threshold(Y_val, val)
        rules = {
            "per_genre": tune_thresholds(Y_val, val, genres),
            "checked": checked_thresholds(Y_val, val, genres),
            "global": dict.fromkeys(genres, shared),
            "out_of_fold": tune_thresholds(Y_oof, oof[s], genres),
        }
        for rule, thresholds in rules.items():
            out[rule].append(evaluate(Y_test, test, thresholds))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model_input", type=Path)
    parser.add_argument("--model", default="adam")
    parser.add_argument("--env", default="improved")
    parser.add_argument("--seeds", default="42,0,1,2,3")
    args = parser.parse_args()
    model_input = ArrayBundleDataset(filepath=str(args.model_input)).load()
    seeds = [int(s) for s in args.seeds.split(",")]
    params = model_params(args.model, args.env, seeds)
    print(machine_line())
    sizes = {s: len(model_input[s]["Y"]) for s in ("train", "val", "test")}
    counts = np.asarray(model_input["val"]["Y"]).sum(axis=0)
    positives = {g: int(n) for g, n in zip(model_input["genres"], counts, strict=True)}
    print(f"{args.model_input}: {sizes}; validation positives per genre {positives}")
    results = compare(model_input, params, args.model)
    print(f"\n{args.model}, {len(seeds)} seeds | test macro-F1 mean ± sd | p >= {CONFIDENT} "
          "left out: share (count per seed) | cuts (probability), lowest-highest")
    for rule, runs in results.items():
        f1 = [r["macro_f1"] for r in runs]
        rejected = sum(r["rejected"] for r in runs)
        confident = sum(r["confident"] for r in runs)
        sd = statistics.stdev(f1) if len(f1) > 1 else 0.0
        print(f"{rule:12s} | {statistics.mean(f1):.3f} ± {sd:.3f} | "
              f"{rejected / max(confident, 1):.2%} ({rejected / len(runs):.1f}) | "
              f"{min(r['lowest'] for r in runs):.3f}-{max(r['highest'] for r in runs):.3f}")


if __name__ == "__main__":
    main()
