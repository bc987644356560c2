"""Training the genre classifiers: one run per seed, and their split predictions.

Plain library code (no Kedro): the ``networks`` pipelines (``snn``, ``bnn``, ``adam``)
and the ablations call it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from art_genre.evaluation.runs import predictions_record
from art_genre.machine import usable_cores
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
            step_counter=params.step_counter,
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


def train_seeds(
    model_input: dict[str, Any], params: ModelParams, name: str
) -> list[tuple[GenreClassifier, dict[str, Any]]]:
    """Train one model per seed of ``params.seeds`` on the same training split.

    Every run validates on the validation split; every random choice of a run (the
    initial weights, the shuffling) comes from its seed, so a rerun gives the same models
    bit for bit.

    Each run multiplies small matrices (a batch of 32 by a few hundred units), where a
    multi-threaded BLAS only waits on its own threads: on 2 busy cores OpenBLAS with 2
    threads trained 10-20x slower than with 1. So every run uses one BLAS thread, and the
    seeds run side by side (``params.n_jobs`` at a time) in worker processes instead.
    Each run depends on its seed alone, so the models are the same whatever ``n_jobs``.

    Args:
        model_input: Output of ``feature_engineering`` (``train`` and ``val`` splits).
        params: The model's parameters.
        name: The model's name, for logs, errors and the report.

    Returns:
        One ``(classifier, history)`` per seed, in ``params.seeds`` order. A history
        holds the run's per-epoch losses and any-match accuracy (per stage for an
        ensemble), its wall time and seed. An ensemble's history also
        has ``stages`` (per trained stage: ``stage``,
        ``residual_norm``, ``residual_norm_per_genre``, ensemble ``train_loss`` and
        ``val_loss``, ``kept``), ``stages_kept`` (networks in the final ensemble) and
        ``prior_train_loss`` / ``prior_val_loss`` (the base-rate prior alone; ``None``
        without validation data); a single network has ``stages=[]`` and ``None`` for
        the other three.

    Raises:
        art_genre.nn.NonFiniteLossError: If training diverges, naming the model and epoch.
        ValueError: If the batch size exceeds the training set.
    """
    n_train = len(model_input["train"]["X"])
    if params.batch_size > n_train:
        raise ValueError(
            f"{name}.model.batch_size={params.batch_size} is larger than the {n_train} "
            f"training images; use at most {n_train}."
        )
    jobs = min(len(params.seeds), params.n_jobs or usable_cores())
    if jobs == 1:
        return [_train_one_thread(model_input, params, name, seed) for seed in params.seeds]
    runs = Parallel(n_jobs=jobs, backend="loky")(
        delayed(_train_one_thread)(model_input, params, name, seed) for seed in params.seeds
    )
    for seed, (_, history) in zip(params.seeds, runs, strict=True):
        logger.info("Trained %s (seed %d) in %.1f s.", name, seed, history["train_seconds"])
    return list(runs)


def _train_one_thread(
    model_input: dict[str, Any], params: ModelParams, name: str, seed: int
) -> tuple[GenreClassifier, dict[str, Any]]:
    with threadpool_limits(limits=1, user_api="blas"):
        return train_one_seed(model_input, params, name, seed)


def seed_summary(seed: int, history: dict[str, Any]) -> dict[str, Any]:
    """What the report shows of one seed's run."""
    val_loss = [v for v in history.get("val_loss", []) if v is not None]
    return {
        "seed": seed,
        "epochs_run": history["epochs_run"],
        "best_epoch": history.get("best_epoch"),
        "train_seconds": history["train_seconds"],
        "final_train_loss": history["train_loss"][-1] if history["train_loss"] else None,
        "best_val_loss": min(val_loss) if val_loss else None,
        "stages_kept": sum(1 for s in history.get("stages", []) if s.get("kept", True)),
    }


def train_one_seed(
    model_input: dict[str, Any], params: ModelParams, name: str, seed: int
) -> tuple[GenreClassifier, dict[str, Any]]:
    """Train one model with one seed (see :func:`train_seeds`).

    Returns:
        The trained :class:`GenreClassifier` and its history.
    """
    train, val = model_input["train"], model_input["val"]
    data = {
        "X": train["X"],
        "Y": train["Y"],
        "X_val": val["X"] if len(val["X"]) else None,
        "Y_val": val["Y"] if len(val["X"]) else None,
    }
    rng = np.random.default_rng(seed)
    n_inputs, n_outputs = train["X"].shape[1], train["Y"].shape[1]

    def new_network(_stage: int = 1) -> MLP:
        return MLP(n_inputs, params.hidden_sizes, n_outputs, init=params.init,
                   dtype=params.dtype, rng=rng)

    fit_kwargs = {
        "epochs": params.epochs,
        "batch_size": params.batch_size,
        "rng": rng,
        "balanced_batches": params.balanced_batches,
        "early_stopping_patience": params.early_stopping_patience,
        "pos_weight": (
            inverse_frequency_pos_weight(train["Y"])
            if params.class_weighting == "inverse_frequency"
            else None
        ),
        "name": name,
    }
    start = time.perf_counter()
    if params.boosting is None:
        estimator, history = _fit_network(new_network(), params, data, fit_kwargs)
    else:
        estimator, history = _fit_ensemble(new_network, params, data, fit_kwargs)
    seconds = time.perf_counter() - start
    history.update(train_seconds=seconds, seed=seed)
    logger.info("Trained %s (seed %d) in %.1f s.", name, seed, seconds)
    classifier = GenreClassifier(
        name=name,
        estimator=estimator,
        genres=list(model_input["genres"]),
        feature_fingerprint=model_input["fingerprint"],
        n_features=n_inputs,
        params={**params.model_dump(), "seed": seed},
        train_seconds=seconds,
        pca_hash=str(model_input.get("pca_hash", "")),
        scaler_hash=str(model_input.get("scaler_hash", "")),
    )
    return classifier, history


def _fit_network(
    network: MLP, params: ModelParams, data: dict[str, Any], fit_kwargs: dict[str, Any]
) -> tuple[MLP, dict[str, Any]]:
    """One network trained by :func:`~art_genre.nn.fit`, and its history."""
    history = _history_dict(
        fit(network, make_optimizer(params.optimizer), data["X"], data["Y"],
            X_val=data["X_val"], Y_val=data["Y_val"], **fit_kwargs)
    )
    history.update(stages=[], stages_kept=None, prior_train_loss=None, prior_val_loss=None)
    return network, history


def _fit_ensemble(
    new_network: Any, params: ModelParams, data: dict[str, Any], fit_kwargs: dict[str, Any]
) -> tuple[BoostedEnsemble, dict[str, Any]]:
    """A boosted ensemble of fresh networks, and its epoch-by-epoch history."""
    boosting = params.boosting
    ensemble = BoostedEnsemble(
        n_stages=boosting.n_stages,
        shrinkage=boosting.shrinkage,
        variant=boosting.variant,
        residual_threshold=boosting.residual_threshold,
        tol=boosting.tol,
        normalise=boosting.normalise,
    )
    histories = ensemble.fit(
        data["X"], data["Y"], data["X_val"], data["Y_val"],
        make_model=new_network,
        make_optimizer=lambda _stage: make_optimizer(params.optimizer),
        **fit_kwargs,
    )
    history = _concatenate_stage_histories(
        fit_kwargs["name"], [_history_dict(h) for h in histories]
    )
    history.update(
        stages=[_stage_record(s) for s in ensemble.stages],
        stages_kept=ensemble.stages_kept,
        prior_train_loss=ensemble.prior_train_loss,
        prior_val_loss=ensemble.prior_val_loss,
    )
    return ensemble, history


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


def split_predictions(
    models: list[GenreClassifier], model_input: dict[str, Any]
) -> dict[str, Any]:
    """Every seed's genre logits for the validation and test splits.

    Logits are float64 (probabilities are ``expit(logits)``): rankings and argmax are
    taken from them, so saturated probabilities never tie.

    Args:
        models: The models of every seed (from :func:`train_seeds`).
        model_input: Output of ``feature_engineering``.

    Returns:
        ``{"model", "genres", "seeds", "val": {"image_ids", "Y", "logits"}, "test": ...}``
        with float64 ``logits`` of shape ``(n_seeds, n_images, n_genres)``.
    """
    first = models[0]
    return predictions_record(
        first.name,
        first.genres,
        [int(m.params.get("seed", n)) for n, m in enumerate(models)],
        model_input,
        [m.decision_function for m in models],
        PREDICTED_SPLITS,
    )
