"""Nodes of ``ablations``: the study's configuration, each fix alone, all fixes together.

Every configuration trains the study's three networks (``snn``, ``adam`` and the boosted
``bnn``) once per seed on the same split; a training shared by two configurations (a
fix that does not touch that model) runs once. A fix's effect on a model is the
difference of the seed-means against the study's configuration on the same test images,
with a paired bootstrap interval (:mod:`art_genre.evaluation.statistics`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import MultiLabelBinarizer

from art_genre.evaluation.results import evaluate_runs
from art_genre.evaluation.runs import ModelRuns, model_runs
from art_genre.evaluation.statistics import resample_weights, score_distribution
from art_genre.features.params import FeatureEngineeringParams
from art_genre.features.reduction import build_model_input, fit_pca
from art_genre.modelling import ABLATED_MODELS
from art_genre.modelling.params import ModelParams
from art_genre.modelling.training import split_predictions, train_seeds

from .params import AblationParams, Variant

logger = logging.getLogger(__name__)

EFFECT_METRICS = ("macro_f1", "any_match_accuracy")
"""The scores each effect is measured on (macro-F1 at the configuration's thresholds)."""


@dataclass(frozen=True)
class Configuration:
    """One configuration, resolved: where the PCA is fitted, which thresholds, and
    every model's full parameters; ``touches``: the models the change applies to."""

    name: str
    pca_fit_on: str
    thresholds: str
    models: dict[str, ModelParams]
    touches: tuple[str, ...]


def _merge(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _model_dict(params: Any) -> dict[str, Any]:
    model = params["model"] if isinstance(params, Mapping) else params
    return model.model_dump() if hasattr(model, "model_dump") else dict(model)


def resolve_configurations(
    params: AblationParams, base_models: Mapping[str, Any]
) -> dict[str, Configuration]:
    """``study``, each fix applied to it, and ``all_fixes``.

    Args:
        params: The ablation parameters.
        base_models: Per ablated model, the parameters it starts from
            (:data:`~art_genre.modelling.ABLATION_STARTS`: ``bnn`` from
            ``params:bnn_study``): layer sizes, learning rates, epochs.

    Returns:
        The configurations by name, ``study`` first, ``all_fixes`` last.
    """
    study = params.study
    every_fix = Variant(
        pca_fit_on=next((f.pca_fit_on for f in params.fixes.values() if f.pca_fit_on), None),
        thresholds=next((f.thresholds for f in params.fixes.values() if f.thresholds), None),
        models={
            m: _merge({}, {k: v for f in params.fixes.values() for k, v in f.models.get(m, {}).items()})
            for m in ABLATED_MODELS
        },
    )
    changes = {"study": Variant(), **params.fixes, "all_fixes": every_fix}
    configurations = {}
    for name, change in changes.items():
        models = {}
        for m in ABLATED_MODELS:
            merged = _merge(_model_dict(base_models[m]), study.models.get(m, {}))
            merged = _merge(merged, change.models.get(m, {}))
            models[m] = ModelParams.model_validate({**merged, "seeds": list(params.seeds)})
        everything = change.pca_fit_on is not None or change.thresholds is not None
        touches = ABLATED_MODELS if everything or name == "all_fixes" else tuple(
            m for m in ABLATED_MODELS if change.models.get(m)
        )
        configurations[name] = Configuration(
            name,
            change.pca_fit_on or study.pca_fit_on,
            change.thresholds or study.thresholds,
            models,
            touches,
        )
    return configurations


def ablation_model_inputs(
    painting_features: dict[str, Any],
    painting_index: pd.DataFrame,
    genre_vocabulary: MultiLabelBinarizer,
    feature_engineering: FeatureEngineeringParams,
) -> dict[str, dict[str, Any]]:
    """The model input with the scaler and PCA fitted on the training split and on all
    images (the study's leak), from the same cached features.

    Returns:
        ``{"train": model_input, "all": model_input}``.
    """
    out = {}
    for fit_on in ("train", "all"):
        settings = feature_engineering.model_copy(
            update={"pca": feature_engineering.pca.model_copy(update={"fit_on": fit_on})}
        )
        scaler, pca, _ = fit_pca(painting_features, painting_index, settings)
        out[fit_on] = build_model_input(
            painting_features, painting_index, genre_vocabulary, scaler, pca
        )
    return out


def _train(model_input: dict[str, Any], params: ModelParams, model: str) -> ModelRuns:
    models = [m for m, _ in train_seeds(model_input, params, model)]
    predictions = split_predictions(models, model_input)
    return model_runs(predictions)


def run_ablations(
    model_inputs: dict[str, dict[str, Any]],
    snn: Any,
    adam: Any,
    bnn_study: Any,
    params: AblationParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every configuration over the seeds and measure each fix's effect.

    Args:
        model_inputs: Output of :func:`ablation_model_inputs`.
        snn: ``params:snn``; ``adam``: ``params:adam``; ``bnn_study``:
            ``params:bnn_study`` (the study's settings the configurations start from).
        params: ``params:ablations``.

    Returns:
        ``ablation_results`` (the results table's layout, ``configuration`` naming the
        configuration) and ``ablation_effects`` (``configuration``, ``model``,
        ``metric``, ``thresholds``, ``study``, ``fixed``, ``difference``, ``low``,
        ``high``, ``distinguishable``).
    """
    # the starting parameters, in the order of ABLATED_MODELS (see ABLATION_STARTS)
    configurations = resolve_configurations(
        params, dict(zip(ABLATED_MODELS, (snn, adam, bnn_study), strict=True))
    )
    trained: dict[tuple[str, str, str], ModelRuns] = {}
    scored: dict[tuple[str, str], tuple[ModelRuns, list[np.ndarray]]] = {}
    tables = []
    start = time.perf_counter()
    for config in configurations.values():
        for model, model_params in config.models.items():
            key = (config.pca_fit_on, model, json.dumps(model_params.model_dump(), sort_keys=True))
            if key not in trained:
                trained[key] = _train(model_inputs[config.pca_fit_on], model_params, model)
            runs = trained[key]
            table, thresholds, _ = evaluate_runs(runs, config.name)
            tables.append(table)
            scored[config.name, model] = (
                runs,
                [np.array([t[g] for g in runs.genres]) for t in thresholds],
            )
    logger.info(
        "Ablations: %d configurations, %d distinct trainings over %d seeds in %.0f s.",
        len(configurations), len(trained), len(params.seeds), time.perf_counter() - start,
    )
    effects = _effects(configurations, scored, params)
    return pd.concat(tables, ignore_index=True), effects


def _effects(
    configurations: Mapping[str, Configuration],
    scored: Mapping[tuple[str, str], tuple[ModelRuns, list[np.ndarray]]],
    params: AblationParams,
) -> pd.DataFrame:
    """Each configuration against the study's, per model it touches, with intervals."""
    study = configurations["study"]
    n_test = next(iter(scored.values()))[0].test.n_images
    W = resample_weights(n_test, params.bootstrap.n_boot, np.random.default_rng(params.bootstrap.seed))
    full = np.ones((1, n_test))
    rows = []
    for config in configurations.values():
        if config.name == "study":
            continue
        for model in config.touches:
            base_runs, base_cuts = scored["study", model]
            runs, cuts = scored[config.name, model]
            for metric in EFFECT_METRICS:
                base_setting = "none" if metric == "any_match_accuracy" else study.thresholds
                setting = "none" if metric == "any_match_accuracy" else config.thresholds
                before = score_distribution(full, base_runs, base_cuts, metric, base_setting)[0]
                after = score_distribution(full, runs, cuts, metric, setting)[0]
                diff = score_distribution(W, runs, cuts, metric, setting) - score_distribution(
                    W, base_runs, base_cuts, metric, base_setting
                )
                low, high = np.percentile(diff, [2.5, 97.5])
                rows.append([config.name, model, metric, setting, before, after,
                             after - before, low, high, bool(low > 0 or high < 0)])
    effects = pd.DataFrame(
        rows,
        columns=["configuration", "model", "metric", "thresholds", "study", "fixed",
                 "difference", "low", "high", "distinguishable"],
    )
    numeric = effects.select_dtypes("float").columns
    effects[numeric] = effects[numeric].round(6)
    return effects
