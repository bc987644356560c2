"""The results table: every score of every model, seed, split and threshold setting.

One long table (a catalog dataset, ``results.csv``) is the single source of the
comparison: ``metrics.json``, every report table and the comparison plot derive from it.
Columns (:data:`COLUMNS`)::

    model | configuration | seed | split | thresholds | metric | value

``thresholds`` is ``"0.5"``, ``"tuned"`` (per genre, on that seed's validation split) or
``"none"`` for scores that use no threshold (``any_match_accuracy``, ``macro_roc_auc``,
``roc_auc_genres``, ``n_images``, and the calibration scores ``brier_score``, ``ece``
and, with a calibration step, ``brier_score_calibrated`` and ``ece_calibrated``). Values are rounded to :data:`~.metrics.DECIMALS`
decimals, so the file is byte-identical across reruns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from art_genre.nn import any_match_accuracy

from .calibration import brier_score, calibrated_proba, expected_calibration_error
from .metrics import (
    DECIMALS,
    DEFAULT_LOGIT,
    binarize,
    macro_roc_auc,
    per_genre_table,
    rounded,
    thresholded_metrics,
    tune_thresholds,
)
from .runs import ModelRuns, SplitRuns

ECE_BINS = 15
"""Equal-width probability bins of the expected calibration error."""
COLUMNS = ["model", "configuration", "seed", "split", "thresholds", "metric", "value"]
NO_THRESHOLD = "none"
HEADLINE = (
    ("any_match_accuracy", NO_THRESHOLD),
    ("macro_f1", "0.5"),
    ("macro_f1", "tuned"),
)
"""The metrics the report leads with (and bootstraps): (metric, thresholds)."""


def _threshold_free(
    split: SplitRuns, seed_index: int, temperature: float | None, n_bins: int
) -> dict[str, float]:
    logits = split.logits[seed_index]
    auc, auc_genres = macro_roc_auc(split.Y, logits)
    proba = expit(logits)
    scores = {
        "n_images": split.n_images,
        "any_match_accuracy": any_match_accuracy(split.Y, logits),
        "macro_roc_auc": auc,
        "roc_auc_genres": auc_genres,
        "brier_score": brier_score(split.Y, proba),
        "ece": expected_calibration_error(split.Y, proba, n_bins),
    }
    if temperature is not None:
        calibrated = calibrated_proba(logits, temperature)
        scores["brier_score_calibrated"] = brier_score(split.Y, calibrated)
        scores["ece_calibrated"] = expected_calibration_error(split.Y, calibrated, n_bins)
    return scores


def seed_scores(
    runs: ModelRuns,
    seed_index: int,
    cuts: Mapping[str, np.ndarray],
    trained: Sequence[bool] | None,
    temperature: float | None = None,
    n_bins: int = ECE_BINS,
) -> Iterable[tuple[str, str, str, float | None]]:
    """Every score of one seed: ``(split, thresholds, metric, value)`` tuples.

    Args:
        runs: The model's runs.
        seed_index: Which seed (position in ``runs.seeds``).
        cuts: ``{setting: per-genre logit thresholds}``.
        trained: Per genre, whether it had training images.
        temperature: The seed's fitted temperature (adds ``brier_score_calibrated``
            and ``ece_calibrated``); ``None``: no calibration step.
        n_bins: Bins of the expected calibration error.
    """
    for name in ("val", "test"):
        split = runs.split(name)
        if not split.n_images:
            continue
        for metric, value in _threshold_free(split, seed_index, temperature, n_bins).items():
            yield name, NO_THRESHOLD, metric, value
        for setting, cut in cuts.items():
            predicted = binarize(split.logits[seed_index], cut)
            for metric, value in thresholded_metrics(split.Y, predicted, trained).items():
                yield name, setting, metric, value


def evaluate_runs(
    runs: ModelRuns,
    configuration: str = "main",
    trained: Sequence[bool] | None = None,
    temperatures: Sequence[float] | None = None,
    n_bins: int = ECE_BINS,
    tune: Callable[[Any, Any, Sequence[str]], dict[str, float]] = tune_thresholds,
) -> tuple[pd.DataFrame, list[dict[str, float]], pd.DataFrame]:
    """Score one model over its seeds.

    For each seed the per-genre thresholds are chosen on that seed's validation logits
    by ``tune`` (never on test); every metric is computed at 0.5 and at those
    thresholds (the ``tuned`` setting).

    Args:
        runs: The model's runs.
        configuration: The label of its settings in the table (``main`` for the
            comparison, the variant's name in an ablation).
        trained: Per genre, whether it had training images.
        temperatures: Per seed, the temperature fitted on validation
            (:func:`~.calibration.fit_temperature`); ``None``: no calibration step.
        n_bins: Bins of the expected calibration error.
        tune: ``(Y_val, logits_val, genres) -> {genre: logit}``: the decision rule
            (default each genre's F1-best cut; see :mod:`~.decision`). With
            ``temperatures`` it is also given the seed's ``temperature=`` (keyword), so
            that a rule with bounds can state them as the probabilities shown.

    Returns:
        Its rows of the results table, the tuned logit thresholds per seed
        (``[{genre: logit}]`` in seed order) and the per-genre table (columns
        ``model``, ``seed``, ``split``, ``thresholds``, then
        :func:`~.metrics.per_genre_table`'s).
    """
    rows, thresholds, tables = [], [], []
    for s, seed in enumerate(runs.seeds):
        temperature = None if temperatures is None else temperatures[s]
        calibration = {} if temperature is None else {"temperature": temperature}
        tuned = tune(runs.val.Y, runs.val.logits[s], runs.genres, **calibration)
        thresholds.append(tuned)
        cuts = {
            "0.5": np.full(len(runs.genres), DEFAULT_LOGIT),
            "tuned": np.array([tuned[g] for g in runs.genres]),
        }
        for split, setting, metric, value in seed_scores(
            runs, s, cuts, trained, temperature, n_bins
        ):
            rows.append([runs.model, configuration, seed, split, setting, metric, value])
        tables += _per_genre_tables(runs, s, cuts)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["value"] = [rounded(v) for v in table["value"]]
    return table, thresholds, pd.concat(tables, ignore_index=True)


def _per_genre_tables(
    runs: ModelRuns, s: int, cuts: Mapping[str, np.ndarray]
) -> list[pd.DataFrame]:
    """Seed ``s``'s per-genre scores on val and test at each setting's cuts."""
    tables = []
    for setting, cut in cuts.items():
        for name in ("val", "test"):
            split = runs.split(name)
            if not split.n_images:
                continue
            table = per_genre_table(
                split.Y, binarize(split.logits[s], cut), runs.genres, expit(cut)
            )
            for column, value in (("thresholds", setting), ("split", name),
                                  ("seed", runs.seeds[s]), ("model", runs.model)):
                table.insert(0, column, value)
            tables.append(table)
    return tables


KEYS = ["model", "configuration", "split", "thresholds", "metric"]


def _seed_groups(results: pd.DataFrame) -> Iterable[tuple[tuple, list[float | None]]]:
    """Each (model, configuration, split, thresholds, metric) with its per-seed values."""
    for key, group in results.groupby(KEYS, sort=False):
        yield key, list(group["value"])


def _mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    numbers = np.array([v for v in values if v is not None], dtype=np.float64)
    if not numbers.size:
        return None, None
    sd = float(numbers.std(ddof=1)) if numbers.size > 1 else 0.0
    return round(float(numbers.mean()), DECIMALS), round(sd, DECIMALS)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample sd over seeds of every (model, configuration, split, setting, metric).

    Returns:
        Columns ``model``, ``configuration``, ``split``, ``thresholds``, ``metric``,
        ``mean``, ``sd`` (``ddof=1``; 0 for one seed), ``n_seeds``; row order follows
        the results table.
    """
    rows = [
        [*key, *_mean_sd(values), len(values)] for key, values in _seed_groups(results)
    ]
    return pd.DataFrame(rows, columns=[*KEYS, "mean", "sd", "n_seeds"])


def metrics_document(results: pd.DataFrame) -> dict[str, Any]:
    """``metrics.json``, derived from the results table alone.

    Layout::

        {model: {"configuration": ..., "seeds": [...],
                 split: {metric: {"mean", "sd", "values"},       # threshold-free
                         "threshold_0.5": {metric: {...}},
                         "tuned": {metric: {...}}}}}

    ``values`` are the per-seed values in seed order; ``mean`` and ``sd`` (sample sd)
    are over seeds.
    """
    document: dict[str, Any] = {}
    seeds = {
        model: [int(s) for s in dict.fromkeys(group["seed"])]
        for model, group in results.groupby("model", sort=False)
    }
    for (model, configuration, split, setting, metric), values in _seed_groups(results):
        record = document.setdefault(
            model, {"configuration": configuration, "seeds": seeds[model]}
        )
        target = record.setdefault(split, {})
        if setting != NO_THRESHOLD:
            target = target.setdefault(_setting_key(setting), {})
        mean, sd = _mean_sd(values)
        target[metric] = {"mean": mean, "sd": sd, "values": values}
    return rounded(document)


def _setting_key(setting: str) -> str:
    return "threshold_0.5" if setting == "0.5" else setting


def primary_thresholds(
    runs: ModelRuns,
    thresholds: Sequence[Mapping[str, float]],
    temperatures: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The thresholds ``predict`` uses: those of the primary (first) seed's model.

    Args:
        runs: The model's runs.
        thresholds: Per seed, ``{genre: logit cut}``.
        temperatures: Per seed, the calibration temperature (``None``: no calibration);
            the first seed's ``T`` is the one used.

    Returns:
        ``{"seed": s, "genres": {genre: {"logit": z, "probability": expit(z / T)}}}``;
        the logit is the cut (``logit >= z``), the probability is for reading: the
        threshold as ``predict`` shows it, on the calibrated probabilities.
    """
    first = thresholds[0]
    temperature = temperatures[0] if temperatures else 1.0
    return {
        "seed": runs.seeds[0],
        "genres": {
            g: {"logit": float(first[g]),
                "probability": float(calibrated_proba(first[g], temperature))}
            for g in runs.genres
        },
    }
