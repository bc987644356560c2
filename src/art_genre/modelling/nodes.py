"""Node functions shared by the ``snn``, ``bnn`` and ``adam`` pipelines."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from art_genre.nn import (
    MLP,
    SGD,
    Adam,
    BoostedEnsemble,
    History,
    Optimizer,
    fit,
    inverse_frequency_pos_weight,
)

from .classifier import GenreClassifier
from .params import ModelParams, OptimizerParams

logger = logging.getLogger(__name__)

PREDICTED_SPLITS = ("val", "test")


def make_optimizer(params: OptimizerParams) -> Optimizer:
    """The optimiser the parameters describe."""
    if params.name == "adam":
        return Adam(
            learning_rate=params.learning_rate,
            beta1=params.beta1,
            beta2=params.beta2,
            eps=params.eps,
        )
    return SGD(
        learning_rate=params.learning_rate,
        clip_value=params.clip_value,
        clip_biases=params.clip_biases,
    )


def _history_dict(history: History) -> dict[str, Any]:
    record = asdict(history)
    record["epochs_run"] = len(history.train_loss)
    return record


def train_model(
    model_input: dict[str, Any], params: ModelParams, name: str
) -> tuple[GenreClassifier, dict[str, Any]]:
    """Train one model on the training split, validating on the validation split.

    The network, optimiser and ensemble come from ``params``; every random choice (the
    initial weights, the shuffling) comes from ``params.seed``, so a rerun gives the same
    model bit for bit.

    Args:
        model_input: Output of ``feature_engineering`` (``train`` and ``val`` splits).
        params: The model's parameters.
        name: The model's name, for logs, errors and the report.

    Returns:
        The trained :class:`GenreClassifier` and its training history: per-epoch
        losses and any-match accuracy (per stage for an ensemble), wall time.

    Raises:
        art_genre.nn.NonFiniteLossError: If training diverges, naming the model and epoch.
    """
    train, val = model_input["train"], model_input["val"]
    X, Y = train["X"], train["Y"]
    X_val, Y_val = (val["X"], val["Y"]) if len(val["X"]) else (None, None)
    n_inputs, n_outputs = X.shape[1], Y.shape[1]
    rng = np.random.default_rng(params.seed)
    pos_weight = (
        inverse_frequency_pos_weight(Y) if params.class_weighting == "inverse_frequency" else None
    )
    if params.batch_size > len(X):
        raise ValueError(
            f"{name}.model.batch_size={params.batch_size} is larger than the {len(X)} "
            f"training images; use at most {len(X)}."
        )
    fit_kwargs = {
        "epochs": params.epochs,
        "batch_size": params.batch_size,
        "rng": rng,
        "balanced_batches": params.balanced_batches,
        "early_stopping_patience": params.early_stopping_patience,
    }

    def new_network(_stage: int = 1) -> MLP:
        return MLP(
            n_inputs,
            params.hidden_sizes,
            n_outputs,
            init=params.init,
            dtype=params.dtype,
            rng=rng,
        )

    start = time.perf_counter()
    if params.boosting is None:
        estimator: MLP | BoostedEnsemble = new_network()
        history = _history_dict(
            fit(
                estimator,
                make_optimizer(params.optimizer),
                X,
                Y,
                X_val=X_val,
                Y_val=Y_val,
                pos_weight=pos_weight,
                name=name,
                **fit_kwargs,
            )
        )
        history["stages"] = []
    else:
        boosting = params.boosting
        estimator = BoostedEnsemble(
            n_stages=boosting.n_stages,
            shrinkage=boosting.shrinkage,
            variant=boosting.variant,
            residual_threshold=boosting.residual_threshold,
            tol=boosting.tol,
        )
        histories = estimator.fit(
            X,
            Y,
            X_val,
            Y_val,
            make_model=new_network,
            make_optimizer=lambda _stage: make_optimizer(params.optimizer),
            pos_weight=pos_weight,
            name=name,
            **fit_kwargs,
        )
        history = _concatenate_stage_histories(name, [_history_dict(h) for h in histories])
        history["stages"] = [_stage_record(s) for s in estimator.stages]
    seconds = time.perf_counter() - start
    history["train_seconds"] = seconds
    logger.info("Trained %s in %.1f s.", name, seconds)
    classifier = GenreClassifier(
        name=name,
        estimator=estimator,
        genres=list(model_input["genres"]),
        feature_fingerprint=model_input["fingerprint"],
        n_features=n_inputs,
        params=params.model_dump(),
        train_seconds=seconds,
        pca_hash=str(model_input.get("pca_hash", "")),
        scaler_hash=str(model_input.get("scaler_hash", "")),
    )
    return classifier, history


def _stage_record(stage: Any) -> dict[str, Any]:
    record = asdict(stage)
    return {
        k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
        for k, v in record.items()
    }


def _concatenate_stage_histories(name: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    """One epoch-by-epoch history across the stages of an ensemble."""
    keys = ("train_loss", "val_loss", "train_any_match", "val_any_match", "epoch_seconds")
    history: dict[str, Any] = {k: [v for s in stages for v in s[k]] for k in keys}
    history["name"] = name
    history["stage_of_epoch"] = [n for n, s in enumerate(stages, 1) for _ in s["train_loss"]]
    history["epochs_run"] = len(history["train_loss"])
    history["stopped_early"] = any(s["stopped_early"] for s in stages)
    history["best_epoch"] = None
    history["seconds"] = sum(s["seconds"] for s in stages)
    return history


def predict_splits(
    model: GenreClassifier, model_input: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, float]]:
    """Predicted genre probabilities for the validation and test splits.

    Args:
        model: The trained model.
        model_input: Output of ``feature_engineering``.

    Returns:
        ``{"genres": [...], "val": {"image_ids", "proba", "Y"}, "test": {...}}`` and the
        timing (training and inference seconds).
    """
    predictions: dict[str, Any] = {"model": model.name, "genres": list(model.genres)}
    start = time.perf_counter()
    for split in PREDICTED_SPLITS:
        data = model_input[split]
        predictions[split] = {
            "image_ids": list(data["image_ids"]),
            "proba": model.predict_proba(data["X"]),
            "Y": np.asarray(data["Y"]),
        }
    timing = {
        "train_seconds": float(model.train_seconds),
        "inference_seconds": time.perf_counter() - start,
    }
    return predictions, timing
