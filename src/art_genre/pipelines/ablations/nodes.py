"""Nodes of ``ablations``: the study's configuration, each fix alone, all fixes together.

Every configuration trains the study's three networks (``snn``, ``adam`` and the boosted
``bnn``) once per seed on the same split; a training shared by two configurations (a
fix that does not touch that model) runs once. A fix's effect on a model is the
difference of the seed-means against the study's configuration on the same test images,
with a two-level paired bootstrap interval and a Holm-adjusted p-value
(:mod:`art_genre.evaluation.statistics`).
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
from art_genre.evaluation.statistics import (
    ALPHA,
    bootstrap_p,
    draw,
    holm,
    interval,
    score_distribution,
)
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
    """``base`` with ``change`` applied, nested blocks merged key by key."""
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def combine_fixes(fixes: Mapping[str, Mapping[str, Any]], path: str = "") -> dict[str, Any]:
    """Every fix's overrides deep-merged into one (the ``all_fixes`` configuration).

    Two fixes may change different keys of one nested block (both are kept); two fixes
    that set one key to different values contradict each other.

    Args:
        fixes: ``{fix name: overrides}`` (nested dicts).
        path: The block being merged, for the error message.

    Raises:
        ValueError: If two fixes set the same key to different values.
    """
    out: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for name, change in fixes.items():
        for key, value in change.items():
            where = f"{path}.{key}" if path else key
            if key not in out:
                out[key], owner[key] = value, name
            elif isinstance(value, Mapping) and isinstance(out[key], Mapping):
                out[key] = combine_fixes({owner[key]: out[key], name: value}, where)
            elif out[key] != value:
                raise ValueError(
                    f"Fixes {owner[key]!r} and {name!r} both set {where} "
                    f"({out[key]!r} against {value!r}): all_fixes cannot apply both."
                )
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
    settings = combine_fixes({
        name: {k: v for k, v in (("pca_fit_on", f.pca_fit_on), ("thresholds", f.thresholds))
               if v is not None}
        for name, f in params.fixes.items()
    })
    every_fix = Variant(
        pca_fit_on=settings.get("pca_fit_on"),
        thresholds=settings.get("thresholds"),
        models={
            m: combine_fixes({n: f.models.get(m, {}) for n, f in params.fixes.items()}, m)
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
        ``high``, ``p_value``, ``p_adjusted``, ``distinguishable``).
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
    """Each configuration against the study's, per model it touches, with intervals.

    The two-level bootstrap of the comparison (:mod:`art_genre.evaluation.statistics`):
    test images and, per model, seeds are redrawn together. A model's configurations
    train from the same seeds (the same initial weights and batch order), so one seed
    draw per model is shared by all its configurations: each delta is paired by seed as
    well as by image. p-values are Holm-adjusted within each metric over every
    (configuration, model) effect.
    """
    study = configurations["study"]
    draws = {
        model: draw(
            {c: scored[c, model][0] for c in configurations if (c, model) in scored},
            params.bootstrap.n_boot, params.bootstrap.seed, shared_seeds=True,
        )
        for model in ABLATED_MODELS
    }
    rows = []
    for config in configurations.values():
        if config.name == "study":
            continue
        for model in config.touches:
            shares, W = draws[model].seeds[config.name], draws[model].W
            for metric in EFFECT_METRICS:
                sides = []
                for c in (study, config):
                    runs, cuts = scored[c.name, model]
                    setting = "none" if metric == "any_match_accuracy" else c.thresholds
                    full = np.ones((1, runs.test.n_images))
                    sides.append((
                        score_distribution(full, runs, cuts, metric, setting)[0],
                        score_distribution(W, runs, cuts, metric, setting, shares),
                        setting,
                    ))
                (before, base, _), (after, fixed, setting) = sides
                diff = fixed - base
                rows.append([config.name, model, metric, setting, before, after,
                             after - before, *interval(diff), bootstrap_p(diff)])
    return _effects_table(rows)


def _effects_table(rows: list[list[Any]]) -> pd.DataFrame:
    """The effects with Holm-adjusted p-values per metric and the decision."""
    effects = pd.DataFrame(
        rows,
        columns=["configuration", "model", "metric", "thresholds", "study", "fixed",
                 "difference", "low", "high", "p_value"],
    )
    effects["p_adjusted"] = effects.groupby("metric")["p_value"].transform(
        lambda p: holm(p.to_numpy())
    )
    effects["distinguishable"] = effects["p_adjusted"] < ALPHA
    numeric = effects.select_dtypes("float").columns
    effects[numeric] = effects[numeric].round(6)
    return effects
