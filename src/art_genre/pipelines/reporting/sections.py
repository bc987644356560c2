"""The report's sections: each a short function from typed inputs to blocks.

Every figure of the comparison comes from the results table
(:mod:`art_genre.evaluation.results`), its summary over seeds and the two-level
bootstrap (:mod:`art_genre.evaluation.statistics`); the sections only format. The
Summary's rules are in :mod:`.summary`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from art_genre.document import (
    Block,
    Bullets,
    Heading,
    Paragraph,
    Table,
    dig,
    num,
    pct,
    plain,
    weights_text,
    yes_no,
)
from art_genre.modelling import BOOSTED_NAMES

METRIC_NAMES = {
    "any_match_accuracy": "any-match",
    "macro_f1": "macro-F1",
    "macro_roc_auc": "macro ROC AUC",
}
SETTING_NAMES = {"none": "", "0.5": "@0.5", "tuned": "tuned"}


def study_any_match(ref: Mapping[str, Any]) -> str:
    """The study's published any-match accuracy (a range where sources disagree)."""
    value = ref.get("any_match")
    if value is None:
        return "–"
    low, high = (
        (value, value)
        if not isinstance(value, list | tuple)
        else (min(value), max(value))
    )
    return pct(low) if low == high else f"{100 * low:.2f}–{100 * high:.2f} %"


def data_section(
    split_summary: Mapping[str, Any],
    issues: pd.DataFrame,
    data_dir: Any,
    max_listed: int,
) -> list[Block]:
    """What was read: images per split and genre, genres never trained, skipped files."""
    sizes = split_summary.get("n_images", {})
    artists = split_summary.get("n_artists", {})
    total = sum(int(v) for v in sizes.values())
    blocks: list[Block] = [
        Heading("Data"),
        Paragraph(
            f"Paintings from `{data_dir}`: **{total} images** used: "
            + ", ".join(f"{sizes.get(s, 0)} {s}" for s in ("train", "val", "test"))
            + (
                " (artists per split: "
                + ", ".join(
                    f"{artists.get(s, '?')} {s}" for s in ("train", "val", "test")
                )
                + ")."
                if artists
                else "."
            )
        ),
    ]
    genres = split_summary.get("genres", {})
    if genres:
        rows = [
            [g, *(c.get(s, 0) for s in ("train", "val", "test")), sum(c.values())]
            for g, c in genres.items()
        ]
        blocks.append(
            Table(
                ["genre", "train", "val", "test", "all"],
                rows,
                "Images per genre and split (an image with two genres counts for both).",
            )
        )
    missing = split_summary.get("genres_missing_from_train") or []
    if missing:
        blocks.append(
            Paragraph(
                "**Genres without a training image** (the models cannot learn them): "
                + ", ".join(missing)
                + "."
            )
        )
    return blocks + skipped_section(issues, max_listed)


def skipped_section(issues: pd.DataFrame, max_listed: int) -> list[Block]:
    """Every input that was not used, counted by stage, grouped by file and kind."""
    if len(issues) == 0:
        return [Paragraph("**Skipped files:** none: every file found was used.")]
    by_stage = issues.groupby("stage", sort=False).size()
    grouped = group_issues(issues)
    listed = grouped.head(max_listed)
    caption = (
        f"The first {len(listed)} of {len(grouped)} kinds."
        if len(grouped) > len(listed)
        else "All of them (one row per file and kind of problem)."
    )
    what = "; ".join(
        f"{count} × {file}: {_kind_text(reason, count)}"
        for file, reason, count in grouped[["file", "reason", "count"]].head(3).itertuples(
            index=False
        )
    )
    more = f"; and {len(grouped) - 3} more kinds" if len(grouped) > 3 else ""
    return [
        Paragraph(
            f"**Not used: {len(issues)} inputs**: {what}{more} (from "
            "`data_quality_report.csv` and `feature_issues.csv`; by stage: "
            + ", ".join(f"{stage} {n}" for stage, n in by_stage.items())
            + ")."
        ),
        Table(
            ["stage", "file", "reason", "count"],
            listed[["stage", "file", "reason", "count"]].values.tolist(),
            caption,
        ),
    ]


def _kind_text(reason: str, count: int) -> str:
    """The kind of a grouped issue without its list of names (the table lists them)."""
    kind = str(reason).split(": ", 1)[0] if count > 1 else str(reason)
    return kind.replace("'…' ", "").replace("'…'", "")


def group_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per file and kind of problem, the quoted names of a kind listed together.

    ``artists.csv`` may have dozens of rows "artist 'X' has no image in the painting
    folder" (a subset of the archive): they become one row naming every artist.

    Args:
        issues: Rows ``stage``, ``file``, ``reason``.

    Returns:
        Rows ``stage``, ``file``, ``reason``, ``count``, in first-seen order.
    """
    quoted = re.compile(r"'([^']*)'")
    kinds = issues.assign(kind=issues["reason"].map(lambda r: quoted.sub("'…'", str(r))))
    rows = []
    for (stage, file, kind), group in kinds.groupby(["stage", "file", "kind"], sort=False):
        if len(group) == 1:
            rows.append((stage, file, group["reason"].iloc[0], 1))
            continue
        names = [m for r in group["reason"] for m in quoted.findall(str(r))]
        rows.append((stage, file, f"{kind}: {', '.join(names)}", len(group)))
    return pd.DataFrame(rows, columns=["stage", "file", "reason", "count"])


def settings_section(
    feature_params: Mapping[str, Any],
    pca_summary: Mapping[str, Any],
    split_summary: Mapping[str, Any],
    model_params: Mapping[str, Any],
) -> list[Block]:
    """Backbone, PCA, split and every network's hyper-parameters."""
    backbone = feature_params.get("backbone", {}) or {}
    pca_params = feature_params.get("pca", {}) or {}
    cumulative = pca_summary.get("cumulative_explained_variance") or []
    blocks: list[Block] = [
        Heading("Settings"),
        Bullets(
            [
                f"**Backbone:** `{backbone.get('name')}`, weights "
                f"`{weights_text(backbone.get('weights'))}`, pooling `{backbone.get('pooling')}`, "
                f"alpha `{plain(backbone.get('alpha'))}`, "
                f"input {backbone.get('input_size', '?')} px.",
                f"**PCA:** {pca_summary.get('n_components', pca_params.get('n_components'))} "
                f"components of {pca_summary.get('feature_width', '?')} features "
                f"(solver {pca_summary.get('solver', '?')}, standardised: "
                f"{yes_no(pca_summary.get('standardize', pca_params.get('standardize')))}), fitted on "
                f"{pca_summary.get('fitted_on', 'the training split')} "
                f"({pca_summary.get('n_train', '?')} images); "
                + (
                    f"they explain {cumulative[-1]:.1%} of the variance."
                    if cumulative
                    else ""
                ),
                f"**Split:** `{split_summary.get('strategy')}`, test size "
                f"{split_summary.get('test_size')}, validation size "
                f"{split_summary.get('val_size')}, seed {split_summary.get('random_state')}.",
            ]
        ),
    ]
    return blocks + [hyper_parameters_table(model_params)]


MODEL_COLUMNS = [
    "model", "hidden layers", "init", "optimiser", "epochs", "batch",
    "early stopping (patience)", "class weighting", "balanced batches", "ensemble", "seeds",
]


def _model_row(model: str, params: Any) -> list[str]:
    p = params.get("model", params) if isinstance(params, Mapping) else {}
    opt = p.get("optimizer", {}) or {}
    boosting = p.get("boosting") or {}
    optimizer = f"{opt.get('name', '?')} lr {opt.get('learning_rate', '?')}"
    if opt.get("clip_value"):
        optimizer += f", clip {opt['clip_value']}"
    if opt.get("step_counter") == "double":
        optimizer += ", the study's double step counter"
    ensemble = "–"
    if boosting:
        ensemble = f"{boosting.get('variant')}, {boosting.get('n_stages')} stages"
        if boosting.get("variant") == "gradient":
            ensemble += f", shrinkage {boosting.get('shrinkage')}"
    return [
        model, plain(p.get("hidden_sizes")), plain(p.get("init")), optimizer,
        plain(p.get("epochs")), plain(p.get("batch_size")),
        plain(p.get("early_stopping_patience")), plain(p.get("class_weighting")),
        yes_no(p.get("balanced_batches")), ensemble, plain(p.get("seeds")),
    ]


def hyper_parameters_table(model_params: Mapping[str, Any]) -> Table:
    """Every network's hyper-parameters, one row each."""
    return Table(
        MODEL_COLUMNS,
        [_model_row(model, params) for model, params in model_params.items()],
        "Model hyper-parameters (`parameters_<model>.yml`).",
    )


# ------------------------------------------------------------------ the comparison


def metric_label(metric: str, setting: str) -> str:
    """``macro-F1 tuned``, ``any-match`` ..."""
    return f"{METRIC_NAMES.get(metric, metric)} {SETTING_NAMES.get(setting, setting)}".strip()


def mean_sd(summary: pd.DataFrame, model: str, split: str, setting: str, metric: str) -> str:
    """``0.812 ± 0.014`` from the summary over seeds; ``0.812 (1 seed)`` without a
    spread to show; ``–`` where absent."""
    row = summary[
        (summary["model"] == model)
        & (summary["split"] == split)
        & (summary["thresholds"] == setting)
        & (summary["metric"] == metric)
    ]
    if row.empty or pd.isna(row["mean"].iloc[0]):
        return "–"
    mean, sd, n_seeds = row["mean"].iloc[0], row["sd"].iloc[0], int(row["n_seeds"].iloc[0])
    if n_seeds == 1:
        return f"{num(mean)} (1 seed)"
    if sd == 0:
        return f"{num(mean)} (all {n_seeds} seeds equal)"
    return f"{num(mean)} ± {num(sd)}"


def interval_text(intervals: pd.DataFrame, model: str, metric: str, setting: str) -> str:
    """``[0.780, 0.845]``: the bootstrap 95 % interval of the seed-mean."""
    row = intervals[
        (intervals["model"] == model)
        & (intervals["metric"] == metric)
        & (intervals["thresholds"] == setting)
    ]
    if row.empty:
        return "–"
    return f"[{num(row['low'].iloc[0])}, {num(row['high'].iloc[0])}]"


def _stages_kept(history: Mapping[str, Any] | None) -> str:
    runs = (history or {}).get("seed_runs") or []
    kept = [r.get("stages_kept") for r in runs if r.get("stages_kept")]
    return "/".join(str(k) for k in kept) if kept else "–"


def comparison_section(
    summary: pd.DataFrame,
    intervals: pd.DataFrame,
    timings: Mapping[str, Any],
    histories: Mapping[str, Any],
    headline: Sequence[tuple[str, str]],
) -> list[Block]:
    """The headline table: mean ± sd over seeds and the 95 % interval of every model."""
    models = list(dict.fromkeys(intervals["model"]))
    rows = []
    for model in models:
        n_seeds = summary.loc[summary["model"] == model, "n_seeds"].max()
        cells = [model, "baseline" if model not in histories else "network", int(n_seeds)]
        cells += [
            f"{mean_sd(summary, model, 'test', setting, metric)} "
            f"{interval_text(intervals, model, metric, setting)}"
            for metric, setting in headline
        ]
        cells += [
            mean_sd(summary, model, "test", "none", "macro_roc_auc"),
            _stages_kept(histories.get(model)),
            num(dig(timings, model, "train_seconds"), 2),
        ]
        rows.append(cells)
    columns = ["model", "kind", "seeds", *(metric_label(m, s) for m, s in headline),
               "macro ROC AUC", "ensemble stages kept", "training s (one seed)"]
    units = str(intervals["units"].iloc[0]) if "units" in intervals else "image"
    return [
        Table(
            columns,
            rows,
            "Test split. Each score: mean ± sd over the seeds (the spread between "
            "training runs), then the 95 % interval of the mean from the two-level "
            f"bootstrap (seeds and test {units}s resampled together).",
        )
    ]


def _difference_cell(row: Any) -> str:
    mark = " ✓" if row.distinguishable else ""
    return f"{row.difference:+.3f} [{row.low:+.3f}, {row.high:+.3f}]{mark}"


def pairwise_words(pairwise: pd.DataFrame, metric: str, setting: str) -> str:
    """One sentence per headline metric: which pairs differ after adjustment."""
    part = pairwise[(pairwise["metric"] == metric) & (pairwise["thresholds"] == setting)]
    real = []
    for r in part[part["distinguishable"].astype(bool)].itertuples(index=False):
        better, worse = (r.model_a, r.model_b) if r.difference > 0 else (r.model_b, r.model_a)
        real.append(f"`{better}` > `{worse}` ({abs(r.difference):.3f}, adjusted p "
                    f"{r.p_adjusted:.3g})")
    label = metric_label(metric, setting)
    if not real:
        return f"**{label}:** no two models are distinguishable after adjustment."
    return (
        f"**{label}:** {len(real)} of {len(part)} pairs are distinguishable after "
        "adjustment: " + "; ".join(real) + ". The other pairs are not distinguishable."
    )


def pairwise_section(
    pairwise: pd.DataFrame,
    headline: Sequence[tuple[str, str]],
    n_boot: int,
    matrix_metric: tuple[str, str],
) -> list[Block]:
    """Which differences are real: in words per metric, one matrix for the headline."""
    if pairwise.empty:
        return []
    blocks: list[Block] = [
        Heading("Which differences are real", 3),
        Paragraph(
            f"Paired comparisons on the same test units ({n_boot:,} two-level bootstrap "
            "resamples: seeds redrawn within each model, test units shared by every "
            "model). A pair is **distinguishable** (✓) when its two-sided p-value, "
            "Holm-adjusted over all pairs of that metric, is below 0.05; the intervals "
            "beside it are not adjusted. `pairwise.csv` has every pair of every metric "
            "with its raw and adjusted p-value."
        ),
        Bullets([pairwise_words(pairwise, m, s) for m, s in headline]),
    ]
    metric, setting = matrix_metric
    models = list(dict.fromkeys([*pairwise["model_a"], *pairwise["model_b"]]))
    part = pairwise[(pairwise["metric"] == metric) & (pairwise["thresholds"] == setting)]
    cells = {(r.model_a, r.model_b): _difference_cell(r) for r in part.itertuples(index=False)}
    rows = [[a, *(cells.get((a, b), "") for b in models[1:])] for a in models[:-1]]
    blocks.append(
        Table(
            ["a ↓  b →", *models[1:]],
            rows,
            f"{metric_label(metric, setting)}: difference a − b of the test means, "
            "95 % interval, ✓ distinguishable after adjustment.",
        )
    )
    return blocks


def seeds_section(results: pd.DataFrame, headline: Sequence[tuple[str, str]]) -> list[Block]:
    """The per-seed test values behind each mean."""
    test = results[results["split"] == "test"]
    rows = []
    for model, group in test.groupby("model", sort=False):
        for metric, setting in headline:
            values = group[(group["metric"] == metric) & (group["thresholds"] == setting)]
            rows.append(
                [
                    model,
                    metric_label(metric, setting),
                    ", ".join(f"{int(s)}: {num(v)}" for s, v in zip(values["seed"], values["value"], strict=True)),
                ]
            )
    return [
        Table(
            ["model", "metric", "per seed (seed: value)"],
            rows,
            "Test values of every seed (`results.csv` has every metric of every seed). "
            "The first seed's model is the one `predict` uses.",
        )
    ]


ALL_METRICS = (
    ("none", "any_match_accuracy"),
    ("none", "macro_roc_auc"),
    ("setting", "micro_f1"),
    ("setting", "macro_f1"),
    ("setting", "macro_f1_vocabulary"),
    ("setting", "macro_f1_trained"),
    ("setting", "weighted_f1"),
    ("setting", "samples_f1"),
    ("setting", "subset_accuracy"),
    ("setting", "hamming_loss"),
)


MACRO_F1_VARIANTS = ("macro_f1", "macro_f1_vocabulary", "macro_f1_trained")


def _identical_variants(summary: pd.DataFrame) -> bool:
    """Whether the three macro-F1s agree on every row (every genre present and trained)."""
    wide = summary[summary["metric"].isin(MACRO_F1_VARIANTS)].pivot_table(
        index=["model", "split", "thresholds"], columns="metric", values="mean"
    )
    if wide.empty or len(wide.columns) < len(MACRO_F1_VARIANTS):
        return False
    return bool((wide.nunique(axis=1) == 1).all())


def metric_tables(summary: pd.DataFrame) -> list[Block]:
    """Every metric, mean ± sd over seeds, per split and threshold setting."""
    blocks: list[Block] = []
    folded = _identical_variants(summary)
    metrics = [(k, m) for k, m in ALL_METRICS
               if not (folded and m in MACRO_F1_VARIANTS[1:])]
    columns = ["model", "thresholds", *(m.replace("_", " ") for _, m in metrics)]
    if folded:
        columns[columns.index("macro f1")] = "macro f1 (all three)"
    note = (
        "The three macro-F1s are equal here (every genre is present in each split and "
        "had training images), so one column shows them: over the genres present, over "
        "the whole vocabulary (absent genres counting 0, as the study's "
        "`classification_report` did) and over the trained genres."
        if folded
        else "macro-F1 averages the genres present in the split; macro-F1 vocabulary "
        "averages every genre of the vocabulary (absent ones count 0, as the study's "
        "`classification_report` did over 24 genres); macro-F1 trained averages the "
        "present genres that had training images."
    )
    for split in ("val", "test"):
        part = summary[summary["split"] == split]
        rows = []
        for model in dict.fromkeys(part["model"]):
            for setting in ("0.5", "tuned"):
                rows.append(
                    [model, setting]
                    + [
                        mean_sd(part, model, split, "none" if kind == "none" else setting, m)
                        for kind, m in metrics
                    ]
                )
        n = part.loc[part["metric"] == "n_images", "mean"]
        blocks.append(
            Table(
                columns,
                rows,
                f"All metrics, {split} split ({int(n.iloc[0]) if len(n) else 0} images), "
                "mean ± sd over seeds. Any-match and ROC AUC do not depend on the "
                f"threshold. {note}",
            )
        )
    return blocks


def per_genre_section(per_genre: pd.DataFrame, thresholds: Mapping[str, Any]) -> list[Block]:
    """Per-genre F1 (mean over seeds) and each model's deployed threshold."""
    table = per_genre[
        (per_genre["split"] == "test") & (per_genre["thresholds"].astype(str) == "tuned")
    ]
    if table.empty:
        return []
    models = list(dict.fromkeys(table["model"]))
    f1 = table.groupby(["genre", "model"], sort=False)["f1"].mean().unstack()
    support = table.drop_duplicates("genre").set_index("genre")["support"]
    genres = list(dict.fromkeys(table["genre"]))
    f1_rows = [
        [g, int(support[g]), *(num(f1.loc[g, m], 2) if support[g] else "–" for m in models)]
        for g in genres
    ]
    threshold_rows = [
        [g, *(num(dig(thresholds, m, "genres", g, "probability"), 3) for m in models)]
        for g in genres
    ]
    return [
        Table(
            ["genre", "test images", *models],
            f1_rows,
            "Per-genre F1 on the test split at the thresholds tuned on validation, mean "
            "over seeds. Precision, recall and every seed: `per_genre_metrics.csv`.",
        ),
        Table(
            ["genre", *models],
            threshold_rows,
            "Each model's tuned threshold per genre, as a calibrated probability (as "
            "`predict` shows it): those of its first seed, which `predict` uses "
            "(`thresholds.json` keeps them as logits, the exact cut).",
        ),
    ]


def caveats_section(
    split_summary: Mapping[str, Any],
    feature_params: Mapping[str, Any],
    models: Sequence[str],
    per_genre: pd.DataFrame,
    study: Mapping[str, Any],
    model_params: Mapping[str, Any],
    units_reason: str,
) -> list[Block]:
    """What a reader must know before comparing these numbers with the study's."""
    sizes = split_summary.get("n_images", {})
    pca = feature_params.get("pca", {}) or {}
    early_stopping = [
        m for m, p in model_params.items()
        if dig(p, "model", "early_stopping_patience") is not None
    ]
    items = _split_caveats(split_summary.get("strategy"), sizes, early_stopping)
    items.append(_backbone_caveat(feature_params.get("backbone", {}) or {}))
    items.append(_test_size_caveat(sizes, per_genre, study))
    items.append(
        "The PCA is fitted on the training split only"
        if pca.get("fit_on", "train") == "train"
        else "**The PCA is fitted on all images, test included** (the study's leak, switched on)"
    )
    items[-1] += (
        "; the study fitted it on all images (leakage). Macro-F1 here averages the genres "
        "present in the test split; the study's `classification_report` averaged all 24 "
        "genres of the vocabulary (the side-by-side with the study uses that one)."
    )
    items.append(f"Bootstrap units: {units_reason}.")
    items.append(
        "Any-match accuracy is lenient: the top-1 genre only has to be one of the artist's "
        "genres. Thresholds are chosen per genre and seed on the validation split, never on "
        "test, by the decision rule `predict` applies (`reporting.thresholds`); scores, "
        "rankings and cuts are taken on float64 logits."
    )
    if set(BOOSTED_NAMES) & set(models):
        items.append(
            "`bnn` is real gradient boosting (the fix) and keeps the stage prefix with the "
            "best validation loss; `bnn_study` is the study's residual scheme. The `prior` "
            "row is the ensemble's starting point F0 (every image gets the genre "
            "frequencies)."
        )
    return [Heading("Caveats"), Bullets(items)]


def _validation_use(early_stopping: Sequence[str]) -> str:
    """What the validation split is used for, from the networks' parameters."""
    if early_stopping:
        return (f"early stopping of {', '.join(f'`{m}`' for m in early_stopping)}, the "
                "ensembles' choice of stages, threshold tuning and the calibration's "
                "temperature")
    return ("no early stopping (every network trains its fixed number of epochs); the "
            "ensembles' choice of stages, threshold tuning and the calibration's "
            "temperature")


def _split_caveats(
    strategy: str | None, sizes: Mapping[str, Any], early_stopping: Sequence[str] = ()
) -> list[str]:
    """What the split measures, and how many images training has."""
    items = []
    if strategy == "artist":
        items.append(
            "The split is grouped by artist: no artist is on both sides, so the scores measure "
            "genre recognition on unseen artists (harder than the study's random split)."
        )
    else:
        items.append(
            f"Under the `{strategy}` split the same artists are on both sides and a genre is a "
            "property of the artist: the scores partly measure **artist recognition**. "
            "`--params data_processing.split.strategy=artist` measures unseen artists."
        )
    total = sum(int(v) for v in sizes.values()) or 1
    items.append(
        f"Training uses {sizes.get('train', '?')} images ({int(sizes.get('train', 0)) / total:.0%}): "
        f"the validation split ({_validation_use(early_stopping)}) is taken from the "
        "study's 80 % training side. The rows are also ordered differently from the "
        "study's, so even the random split's test images are not the study's. "
        "`kedro run --env study_protocol` trains on the study's 80 % (no validation, fixed "
        "epochs, threshold 0.5) for a side-by-side with the published numbers."
    )
    return items


def _backbone_caveat(backbone: Mapping[str, Any]) -> str:
    """Our backbone against the study's."""
    return (
        f"Backbone: ours is `{backbone.get('name')}` (pooling `{backbone.get('pooling')}`, "
        f"weights `{weights_text(backbone.get('weights'))}`); the study used ResNet50 ImageNet "
        "features flattened to 100,352 numbers. Different features give different scores."
        + (
            " With random weights (`weights: null`) the features carry no learnt "
            "information: the scores only test the plumbing."
            if backbone.get("weights") is None
            else ""
        )
    )


def _test_size_caveat(
    sizes: Mapping[str, Any], per_genre: pd.DataFrame, study: Mapping[str, Any]
) -> str:
    """How many test and validation images (and genres with few test images)."""
    test_images = study.get("test_images")
    supports = per_genre[
        (per_genre["split"] == "test") & (per_genre["thresholds"].astype(str) == "tuned")
    ].drop_duplicates("genre")
    small = supports[(supports["support"] > 0) & (supports["support"] < 10)]
    return (
        f"The test split has {sizes.get('test', '?')} images"
        + (f" (the study's: {test_images:,})" if test_images else "")
        + f" and the validation split {sizes.get('val', '?')}: see the intervals before "
        "reading a gap between two models"
        + (f"; {len(small)} genre(s) have fewer than 10 test images." if len(small) else ".")
    )


def study_section(summary: pd.DataFrame, study: Mapping[str, Any]) -> list[Block]:
    """Our means beside the study's published numbers (other data, other features)."""
    results = study.get("results") or {}
    rows = []
    for model, ref in results.items():
        if model not in set(summary["model"]):
            continue
        study_f1 = "–"
        if ref.get("macro_f1") is not None or ref.get("micro_f1") is not None:
            study_f1 = f"{num(ref.get('macro_f1'), 2)} / {num(ref.get('micro_f1'), 2)}"
        rows.append(
            [
                model,
                mean_sd(summary, model, "test", "none", "any_match_accuracy"),
                mean_sd(summary, model, "test", "0.5", "macro_f1_vocabulary"),
                mean_sd(summary, model, "test", "0.5", "micro_f1"),
                ref.get("name", "–"),
                study_any_match(ref),
                study_f1,
                f"{num(ref.get('train_seconds'), 0)} s" if ref.get("train_seconds") else "–",
            ]
        )
    if not rows:
        return []
    blocks: list[Block] = [
        Table(
            ["model", "any-match (ours)", "macro-F1 vocabulary @0.5 (ours)",
             "micro-F1 @0.5 (ours)", "study: model", "study: any-match",
             "study: macro / micro-F1 @0.5", "study: training"],
            rows,
            "Our test means over seeds beside the study's published single runs. Like for "
            "like, our macro-F1 here averages every genre of the vocabulary (absent ones "
            "count 0), as the study's `classification_report` did.",
        )
    ]
    if study.get("note"):
        blocks.append(Paragraph(f"**The study's numbers:** {study['note']}"))
    return blocks


REPORTED_PACKAGES = ("art_genre", "kedro", "kedro-datasets", "numpy", "scikit-learn",
                     "tensorflow", "tensorflow-cpu", "keras", "pandas", "mlflow")


def manifest_section(manifest: Mapping[str, Any] | None) -> list[Block]:
    """What produced this report: commit, environment, parameters, packages, fingerprints
    (the full record: ``run_manifest.json``, written after the run)."""
    if not manifest:
        return []
    git = manifest.get("git") or {}
    packages = manifest.get("packages") or {}
    fingerprints = manifest.get("fingerprints") or {}
    items = [
        f"**Commit:** `{git.get('commit') or 'unknown'}`"
        + (" (with uncommitted changes)" if git.get("dirty") else ""),
        f"**Environment:** `{manifest.get('env')}`; pipelines "
        f"{', '.join(f'`{p}`' for p in manifest.get('pipelines') or [])}; runtime "
        f"parameters `{manifest.get('runtime_params') or {}}`.",
        "**Packages:** "
        + ", ".join(f"{name} {packages[name]}" for name in REPORTED_PACKAGES if name in packages)
        + f"; Python {manifest.get('python')}.",
    ]
    cpu = manifest.get("cpu") or {}
    if cpu:
        items.append(
            f"**Machine:** {cpu.get('model') or 'unknown CPU'}, {cpu.get('cores')} cores, "
            f"vector flags {' '.join(cpu.get('flags') or []) or 'unknown'} (another CPU "
            "type may round differently: compare figures, not bytes)."
        )
    rows = [[name, f"`{str(value)[:16]}`"] for name, value in fingerprints.items()
            if isinstance(value, str)]
    rows += [[f"{kind} {model}", f"`{str(value)[:16]}`"]
             for kind in ("models", "thresholds")
             for model, value in (fingerprints.get(kind) or {}).items() if value]
    blocks: list[Block] = [Heading("This run"), Bullets(items)]
    if rows:
        blocks.append(Table(["artefact", "fingerprint (first 16 hex digits)"], rows,
                            "Content hashes of what the run used and wrote "
                            "(`run_manifest.json` has them in full)."))
    return blocks


def calibration_section(
    summary: pd.DataFrame, calibrations: Mapping[str, Any], n_bins: int
) -> list[Block]:
    """Brier score and ECE per model, before and after temperature scaling."""
    test = summary[(summary["split"] == "test") & (summary["thresholds"] == "none")]
    if test[test["metric"] == "ece"].empty:
        return []
    rows = []
    for model in dict.fromkeys(test["model"]):
        calibration = calibrations.get(model) or {}
        rows.append([
            model,
            num(calibration.get("temperature"), 2) if calibration.get("enabled") else "–",
            mean_sd(test, model, "test", "none", "ece"),
            mean_sd(test, model, "test", "none", "ece_calibrated"),
            mean_sd(test, model, "test", "none", "brier_score"),
            mean_sd(test, model, "test", "none", "brier_score_calibrated"),
        ])
    return [
        Heading("Calibration: does 0.8 mean 80 %?", 3),
        Table(
            ["model", "temperature (first seed)", "ECE", "ECE scaled", "Brier",
             "Brier scaled"],
            rows,
            "Test split, every (painting, genre) probability as one forecast; mean ± sd "
            f"over seeds. ECE: expected calibration error over {n_bins} equal-width bins (0 is "
            "perfect); Brier: mean squared error of the probabilities. Scaled: logits "
            "divided by a temperature fitted on that seed's validation split "
            "(`<model>_calibration.json` in `data/06_models`), which changes no 0/1 "
            "prediction, ranking or F1.",
        ),
    ]
