"""Fakes of everything the reporting pipeline reads (4 networks and 2 baselines, 3 genres,
2 seeds, tiny splits), as fixtures for the reporting and the evaluation tests alike
(registered for the whole suite by ``tests/conftest.py``)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import numpy as np
import pandas as pd
import pytest

GENRES = ["Baroque", "Cubism", "Impressionism"]
NETWORKS = ["snn", "bnn", "bnn_study", "adam"]
MODELS = [*NETWORKS, "prior", "logreg"]
SEEDS = [42, 7]


def fake_targets(rng: np.random.Generator, n: int) -> np.ndarray:
    """1-2 genres per row."""
    Y = np.zeros((n, len(GENRES)))
    Y[np.arange(n), rng.integers(0, len(GENRES), n)] = 1
    Y[rng.random(n) < 0.3, 2] = 1
    return Y


def fake_split(
    rng: np.random.Generator, Y: np.ndarray, skill: float, n_seeds: int = len(SEEDS)
) -> dict[str, Any]:
    """Logits per seed that lean towards the targets by ``skill``."""
    logits = np.stack(
        [4 * skill * (Y - 0.5) + rng.normal(size=Y.shape) for _ in range(n_seeds)]
    )
    ids = [f"img_{i}.jpg" for i in range(len(Y))]
    return {"image_ids": ids, "Y": Y, "logits": logits}


def fake_predictions(seed: int = 0) -> dict[str, dict[str, Any]]:
    """Every model on the same validation and test images (as in a real run)."""
    targets = np.random.default_rng(seed)
    Y_val, Y_test = fake_targets(targets, 12), fake_targets(targets, 20)
    out = {}
    for k, model in enumerate(MODELS):
        rng = np.random.default_rng(seed + k + 1)
        out[model] = {
            "model": model,
            "genres": list(GENRES),
            "seeds": list(SEEDS),
            "val": fake_split(rng, Y_val, 0.2 + 0.2 * k),
            "test": fake_split(rng, Y_test, 0.2 + 0.2 * k),
        }
    return out


def fake_history(
    epochs: int, stages: int = 0, negative: bool = False
) -> dict[str, Any]:
    loss = list(
        np.linspace(0.7, 0.2, epochs * max(1, stages)) - (0.5 if negative else 0)
    )
    history: dict[str, Any] = {
        "train_loss": loss,
        "val_loss": [v + 0.05 for v in loss],
        "train_any_match": list(np.linspace(0.3, 0.9, len(loss))),
        "val_any_match": list(np.linspace(0.3, 0.7, len(loss))),
        "epoch_seconds": [0.01] * len(loss),
        "epochs_run": len(loss),
        "best_epoch": len(loss) if not stages else None,
        "stopped_early": False,
        "seconds": 0.01 * len(loss),
        "train_seconds": 0.01 * len(loss) + 0.001,
        "stages": [],
    }
    if stages:
        history["stage_of_epoch"] = [
            s for s in range(1, stages + 1) for _ in range(epochs)
        ]
        history["stages"] = [
            {
                "stage": s,
                "residual_norm": 5.0 / s,
                "residual_norm_per_genre": [3.0 / s, 2.0 / s, 2.5 / s],
                "train_loss": 0.5 / s,
                "val_loss": None if s == stages else 0.6 / s,
                "kept": s != stages,
            }
            for s in range(1, stages + 1)
        ]
    return history


@pytest.fixture
def predictions() -> dict[str, dict[str, Any]]:
    return fake_predictions()


@pytest.fixture
def histories() -> dict[str, dict[str, Any]]:
    return {
        "snn": fake_history(5),
        "bnn": fake_history(3, stages=3),
        "bnn_study": fake_history(3, stages=2, negative=True),
        "adam": fake_history(4),
    }


@pytest.fixture
def timings() -> dict[str, dict[str, float]]:
    return {
        m: {
            "train_seconds": 1.5 * (k + 1),
            "train_seconds_all_seeds": 3.0 * (k + 1),
            "inference_seconds": 0.01,
        }
        for k, m in enumerate(MODELS)
    }


@pytest.fixture
def model_params() -> dict[str, dict[str, Any]]:
    base = {
        "hidden_sizes": [8, 4],
        "init": "small",
        "optimizer": {"name": "sgd", "learning_rate": 0.01, "clip_value": None},
        "epochs": 3,
        "batch_size": 4,
        "seeds": [42, 7],
        "early_stopping_patience": None,
        "class_weighting": "none",
        "balanced_batches": False,
        "boosting": None,
    }
    return {
        "snn": {"name": "snn", "model": base},
        "bnn": {
            "name": "bnn",
            "model": base
            | {"boosting": {"variant": "gradient", "n_stages": 3, "shrinkage": 0.5}},
        },
        "bnn_study": {
            "name": "bnn_study",
            "model": base | {"boosting": {"variant": "study", "n_stages": 2}},
        },
        "adam": {
            "name": "adam",
            "model": base
            | {"init": "he", "optimizer": {"name": "adam", "learning_rate": 0.001}},
        },
    }


@pytest.fixture
def split_summary() -> dict[str, Any]:
    return {
        "strategy": "random",
        "test_size": 0.2,
        "val_size": 0.1,
        "random_state": 42,
        "n_images": {"train": 40, "val": 12, "test": 20},
        "n_artists": {"train": 3, "val": 3, "test": 3},
        "genres": {
            g: {"train": 10 + i, "val": 3, "test": 5 + i} for i, g in enumerate(GENRES)
        },
        "genres_missing_from_train": [],
    }


@pytest.fixture
def pca_summary() -> dict[str, Any]:
    ratio = [0.5, 0.2, 0.1, 0.05]
    return {
        "n_components": 4,
        "n_train": 40,
        "feature_width": 16,
        "solver": "PCA (full)",
        "standardize": False,
        "explained_variance_ratio": ratio,
        "cumulative_explained_variance": list(np.cumsum(ratio)),
        "fitted_on": "train split only",
    }


@pytest.fixture
def painting_index() -> pd.DataFrame:
    rows = [
        ("a.jpg", "A", "Baroque", "train"),
        ("b.jpg", "B", "Cubism|Impressionism", "val"),
        ("c.jpg", "C", "Impressionism", "test"),
        ("d.jpg", "B", "Cubism|Impressionism", "train"),
    ]
    return pd.DataFrame(rows, columns=["image_id", "artist", "genres", "split"])


@pytest.fixture
def issues() -> tuple[pd.DataFrame, pd.DataFrame]:
    quality = pd.DataFrame(
        [("scan", f"bad_{i}.txt", "not an image suffix") for i in range(55)],
        columns=["stage", "file", "reason"],
    )
    features = pd.DataFrame(
        [("features", "broken.jpg", "cannot decode")],
        columns=["stage", "file", "reason"],
    )
    return quality, features


@pytest.fixture
def feature_params() -> dict[str, Any]:
    return {
        "backbone": {
            "name": "mobilenet",
            "weights": None,
            "pooling": "avg",
            "alpha": 0.25,
        },
        "pca": {"n_components": 4},
    }


@pytest.fixture
def reporting_params() -> dict[str, Any]:
    return {
        "models": list(MODELS),
        "data_dir": "data/01_raw/sample",
        "title": "Art genre classification: report",
        "max_listed_issues": 50,
        "plots_dir": "plots",
        "gallery_model": "adam",
        "gallery_images": 6,
        "bootstrap": {"n_boot": 300, "seed": 0, "min_clusters": 20},
        "calibration": {"enabled": True, "n_bins": 15},
        # each genre's own F1-best cut: what the fakes' expectations are written for
        "thresholds": {"rule": "per_genre", "min_positives": 5, "prior_strength": 10,
                       "bounds": [0.05, 0.9]},
        "study": {
            "test_images": 1671,
            "note": "published numbers",
            "results": {
                "snn": {
                    "name": "SNN",
                    "any_match": [0.7104, 0.7319],
                    "macro_f1": 0.61,
                    "micro_f1": 0.68,
                    "train_seconds": 8,
                },
                "bnn_study": {
                    "name": "BNN",
                    "any_match": [0.7325, 0.7343],
                    "train_seconds": 44,
                },
            },
        },
    }


def png_bytes(fig) -> bytes:
    buffer = BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


@pytest.fixture
def calibrations(predictions, reporting_params) -> dict[str, Any]:
    """Every model's ``<model>.calibration``."""
    from art_genre.pipelines.reporting.nodes import fit_calibration
    from art_genre.pipelines.reporting.params import CalibrationParams

    params = CalibrationParams.model_validate(reporting_params["calibration"])
    return {m: fit_calibration(p, params) for m, p in predictions.items()}


@pytest.fixture
def evaluated(
    predictions, calibrations, split_summary, painting_index, reporting_params
) -> dict[str, Any]:
    """``evaluate_models``' six outputs by name."""
    from art_genre.pipelines.reporting.nodes import evaluate_models

    names = ["results", "metrics", "thresholds", "per_genre_metrics", "intervals", "pairwise"]
    outputs = evaluate_models(
        predictions, calibrations, split_summary, painting_index, reporting_params
    )
    return dict(zip(names, outputs, strict=True))
