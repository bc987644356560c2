"""Plot nodes: each returns one Matplotlib figure (saved by a ``FigurePNGDataset``).

Figures are built with the object-oriented API (``matplotlib.figure.Figure``), never
through ``pyplot``: no GUI backend is touched (safe under ``Agg`` and on servers), and no
figure is left open in pyplot's registry, so nothing needs closing. Layouts are
``constrained`` and genre names sit on horizontal axes so that they are never cut off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from sklearn.metrics import confusion_matrix

from art_genre.evaluation.calibration import calibrated_proba, reliability
from art_genre.evaluation.runs import model_runs
from art_genre.labels import genre_lists

from .params import CalibrationParams, ReportingParams

SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}
SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}
SETTING_NAMES = {"0.5": "threshold 0.5", "tuned": "tuned thresholds"}


def model_colours(models: Sequence[str]) -> dict[str, Any]:
    """One stable colour per model (matplotlib's ``tab10``, in report order)."""
    from matplotlib import colormaps

    palette = colormaps["tab10"].colors
    return {m: palette[i % len(palette)] for i, m in enumerate(models)}


PAGE_INCHES = 10.0
"""Widest figure: at the catalog's 110 dpi, 1,100 px, shown unscaled on the report's
page, so a 7-point label stays above 9 px on screen."""


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(min(width, PAGE_INCHES), height), layout="constrained")


def _empty(ax: Any, message: str) -> None:
    ax.text(
        0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, wrap=True
    )
    ax.set_xticks([])
    ax.set_yticks([])


# ------------------------------------------------------------------ (a) training


def plot_training_curves(
    histories: Mapping[str, Mapping[str, Any]], results: pd.DataFrame | None = None
) -> Figure:
    """Training and validation loss and any-match accuracy per epoch, every model.

    Ensembles train their stages one after another; their epochs are numbered
    continuously and dotted lines mark where a new stage starts. A star marks each
    ensemble's validation any-match in the results table (same seed). Where a stage's
    per-epoch any-match is not the ensemble's (the study's scheme: later stages fit
    residual targets, so their top-1 says nothing about the ensemble), its curve stops
    after the first stage and the star gives the ensemble's value.

    Args:
        histories: ``{model: <model>.history}``.
        results: The results table (the ensembles' validation any-match).

    Returns:
        One figure, two panels (loss; any-match accuracy).
    """
    colours = model_colours(list(histories))
    fig = _figure(PAGE_INCHES, 5)
    ax_loss, ax_acc = fig.subplots(1, 2)
    negative = False
    stars = 0  # ensembles given a star so far: their labels are stacked
    n_models = len(histories)
    for k, (model, history) in enumerate(histories.items()):
        # earlier models drawn wider, so that identical curves (bnn_study's first stage
        # is the snn) still show both colours
        width = 1.3 + 0.9 * (n_models - 1 - k)
        table = _table_any_match(results, model, history)
        stars += table is not None
        for ax, key in ((ax_loss, "loss"), (ax_acc, "any_match")):
            negative |= _plot_history(ax, key, model, history, colours[model], width,
                                      table, stars)
    ax_loss.set_title("Loss (binary cross-entropy)")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    if negative:
        ax_loss.axhline(0, color="grey", lw=0.8)
        ax_loss.set_title(
            "Loss (binary cross-entropy)\nbelow 0: the study's BNN fits targets outside [0, 1]",
            fontsize=10,
        )
    ax_acc.set_title("Any-match accuracy (top-1 genre is a true genre)")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("any-match accuracy")
    ax_acc.set_ylim(0, 1.02)
    handles = [Line2D([], [], color=colours[m], lw=2, label=m) for m in histories]
    handles += [
        Line2D([], [], color="black", ls="-", label="train"),
        Line2D([], [], color="black", ls="--", label="validation"),
        Line2D([], [], color="black", ls=":", label="new ensemble stage"),
    ]
    fig.legend(handles=handles, loc="outside right center")
    fig.suptitle("Training history per epoch")
    return fig


def _table_any_match(
    results: pd.DataFrame | None, model: str, history: Mapping[str, Any]
) -> float | None:
    """An ensemble's validation any-match in the results table, for the plotted seed."""
    if results is None or not history.get("stage_of_epoch"):
        return None
    rows = results[(results["model"] == model) & (results["split"] == "val")
                   & (results["metric"] == "any_match_accuracy")]
    seed = history.get("seed")
    if seed is not None:
        rows = rows[rows["seed"] == seed]
    return float(rows["value"].iloc[0]) if len(rows) else None


def _plot_history(
    ax: Any, key: str, model: str, history: Mapping[str, Any], colour: Any, width: float,
    table: float | None = None,
    label_row: int = 1,
) -> bool:
    """One model's train and validation curves of ``key`` (``loss`` or ``any_match``)
    and its stage boundaries; whether a loss went below 0. ``table``: the ensemble's
    validation any-match in the results table (a star; curves that disagree with it
    stop after the first stage)."""
    negative = False
    stage_of_epoch = history.get("stage_of_epoch") or []
    last_val = (history.get(f"val_{key}") or [None])[-1]
    cut = None
    if key == "any_match" and table is not None and last_val is not None \
            and abs(last_val - table) > 0.02:
        cut = sum(1 for s in stage_of_epoch if s == stage_of_epoch[0])  # stage 1 only
    for split, style in (("train", "-"), ("val", "--")):
        values = [np.nan if v is None else v for v in history.get(f"{split}_{key}", [])][:cut]
        if values:
            ax.plot(range(1, len(values) + 1), values, style, color=colour, lw=width)
            if key == "loss" and np.nanmin(values) < 0:
                negative = True
    if key == "any_match" and table is not None:
        ax.plot([len(stage_of_epoch)], [table], "*", color=colour, ms=12, mec="black")
        ax.annotate(f"{model} ensemble {table:.3f}", xy=(len(stage_of_epoch), table),
                    xytext=(-4, -12 * label_row), textcoords="offset points", ha="right",
                    fontsize=8,
                    color=colour)
    stages = stage_of_epoch
    for epoch in range(1, len(stages)):
        if stages[epoch] != stages[epoch - 1]:
            ax.axvline(epoch + 0.5, color=colour, ls=":", lw=1.2)
            ax.annotate(
                f"{model} stage {stages[epoch]}",
                xy=(epoch + 0.5, 1),
                xycoords=("data", "axes fraction"),
                xytext=(-3, -3),
                textcoords="offset points",
                rotation=90,
                va="top",
                ha="right",
                fontsize=7,
                color=colour,
            )
    return negative


# ------------------------------------------------------------------ (b) comparison


def _study_range(study: Mapping[str, Any], model: str) -> list[float] | None:
    value = (study.get(model) or {}).get("any_match")
    if value is None:
        return None
    return [
        float(v) for v in (value if isinstance(value, list | tuple) else [value, value])
    ]


def _interval_bars(
    ax: Any,
    x: np.ndarray,
    rows: pd.DataFrame,
    seeds: pd.DataFrame,
    models: Sequence[str],
    colours: Sequence[Any],
    width: float,
    hatch: str = "",
) -> None:
    """Bars of the seed-mean with its bootstrap interval and one dot per seed."""
    rows = rows.set_index("model").reindex(models)
    estimate = rows["estimate"].to_numpy(dtype=float)
    yerr = np.vstack([estimate - rows["low"], rows["high"] - estimate])
    bars = ax.bar(x, estimate, width, color=colours, hatch=hatch, edgecolor="white")
    ax.errorbar(x, estimate, yerr=np.clip(yerr, 0, None), fmt="none", ecolor="black",
                capsize=3, lw=1)
    ax.bar_label(bars, fmt="%.3f", fontsize=8, label_type="center", rotation=90,
                 color="white", fontweight="bold")
    for i, model in enumerate(models):
        values = seeds.loc[seeds["model"] == model, "value"].astype(float)
        ax.plot(np.full(len(values), x[i]), values, ".", color="0.25", ms=3)


def _study_diamonds(ax: Any, models: Sequence[str], study: Mapping[str, Any]) -> None:
    """The study's published any-match ranges beside our bars, with their legend."""
    drawn = False
    for i, m in enumerate(models):
        rng = _study_range(study, m)
        if rng:
            low, high = min(rng), max(rng)
            ax.errorbar(i + 0.4, (low + high) / 2, yerr=[[(high - low) / 2], [(high - low) / 2]],
                        fmt="D", color="black", ms=5, capsize=3, lw=1.5)
            drawn = True
    if drawn:
        ax.legend(
            handles=[Line2D([], [], color="black", marker="D", ms=5,
                            label="the study, published (full data, other features)")],
            loc="lower left", fontsize=8,
        )


def _macro_f1_panel(
    ax: Any,
    x: np.ndarray,
    rows: Callable[[str, str], tuple[pd.DataFrame, pd.DataFrame]],
    models: Sequence[str],
    colours: Sequence[Any],
) -> None:
    """Macro-F1 bars at threshold 0.5 and tuned (hatched), side by side."""
    width = 0.38
    for k, (setting, hatch) in enumerate((("0.5", ""), ("tuned", "//"))):
        _interval_bars(ax, x + (k - 0.5) * width, *rows("macro_f1", setting), models,
                       colours, width, hatch)
    ax.set_ylim(0, 1.12)
    ax.set_title("Macro-F1 (test)")
    ax.set_ylabel("macro-F1")
    ax.legend(
        handles=[
            Patch(facecolor="grey", label="threshold 0.5"),
            Patch(facecolor="grey", hatch="//", edgecolor="white", label="tuned on validation"),
        ],
        fontsize=8, loc="lower left", ncols=2,
    )


def _time_panel(
    ax: Any,
    x: np.ndarray,
    models: Sequence[str],
    colours: Sequence[Any],
    timings: Mapping[str, Mapping[str, Any]],
) -> None:
    """Training time of one seed per model."""
    seconds = [
        np.nan
        if (timings.get(m) or {}).get("train_seconds") is None
        else float(timings[m]["train_seconds"])
        for m in models
    ]
    bars = ax.bar(x, seconds, 0.6, color=colours)
    ax.bar_label(bars, labels=[f"{v:.3g} s" for v in seconds], fontsize=8)
    ax.set_title("Training time (one seed)")
    ax.set_ylabel("seconds (wall time)")
    ax.margins(y=0.15)


def plot_model_comparison(
    intervals: pd.DataFrame,
    results: pd.DataFrame,
    timings: Mapping[str, Mapping[str, Any]],
    reporting_params: ReportingParams | None = None,
) -> Figure:
    """Test any-match accuracy, test macro-F1 (both thresholds) and training time.

    Bars are the mean over seeds, black ranges the bootstrap 95 % interval over test
    images, dots the seeds.

    Args:
        intervals: The bootstrap intervals (``intervals.csv``).
        results: The results table (per-seed values).
        timings: ``timings.json`` (``{model: {"train_seconds", ...}}``).
        reporting_params: ``params:reporting``; its ``study.results`` (published any-match
            ranges per model) are drawn as black diamonds beside our bars.

    Returns:
        One figure, three panels one above the other.
    """
    models = list(dict.fromkeys(intervals["model"]))
    colours = [model_colours(models)[m] for m in models]
    study = (
        ReportingParams.model_validate(reporting_params).study.results
        if reporting_params
        else {}
    )
    test = results[(results["split"] == "test") & (results["configuration"] == "main")]
    x = np.arange(len(models))
    fig = _figure(PAGE_INCHES, 11)  # one panel under the other: legible at page width
    ax_acc, ax_f1, ax_time = fig.subplots(3, 1)

    def rows(metric: str, setting: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return (
            intervals[(intervals["metric"] == metric) & (intervals["thresholds"] == setting)],
            test[(test["metric"] == metric) & (test["thresholds"] == setting)],
        )

    _interval_bars(ax_acc, x, *rows("any_match_accuracy", "none"), models, colours, 0.6)
    _study_diamonds(ax_acc, models, study)
    ax_acc.set_ylim(0, 1.12)
    ax_acc.set_title("Any-match accuracy (test)")
    ax_acc.set_ylabel("share of test images")
    _macro_f1_panel(ax_f1, x, rows, models, colours)
    _time_panel(ax_time, x, models, colours, timings)
    for ax in (ax_acc, ax_f1, ax_time):
        ax.set_xticks(x, models, rotation=30, ha="right", rotation_mode="anchor")
        ax.set_xlabel("model")
    fig.suptitle("Model comparison: mean over seeds (bars), 95 % bootstrap interval "
                 "(black), seeds (dots)")
    return fig


# ------------------------------------------------------------------ (c) per-genre F1


def plot_per_genre_f1(
    per_genre_metrics: pd.DataFrame, split: str = "test", setting: str = "tuned"
) -> Figure:
    """Per-genre F1 of every model, mean over seeds (test split, tuned thresholds).

    Args:
        per_genre_metrics: ``per_genre_metrics.csv`` (one row per model, seed, split,
            setting and genre).
        split: The split shown.
        setting: ``tuned`` or ``0.5``.

    Returns:
        One figure: grouped horizontal bars, one group per genre (with its support).
    """
    table = per_genre_metrics[
        (per_genre_metrics["split"] == split)
        & (per_genre_metrics["thresholds"].astype(str) == setting)
    ]
    table = table.groupby(["model", "genre"], sort=False, as_index=False).agg(
        f1=("f1", "mean"), support=("support", "first")
    )
    models = list(dict.fromkeys(table["model"]))
    genres = list(dict.fromkeys(table["genre"]))
    colours = model_colours(models)
    n_bars = max(1, len(models))
    fig = _figure(10, max(3.5, 0.16 * len(genres) * n_bars + 1.8))
    ax = fig.subplots()
    if table.empty:
        _empty(ax, f"No {split} predictions to score.")
    height = 0.8 / n_bars
    y = np.arange(len(genres))
    for k, model in enumerate(models):
        rows = table[table["model"] == model].set_index("genre").reindex(genres)
        ax.barh(
            y + (k - (n_bars - 1) / 2) * height,
            rows["f1"],
            height,
            color=colours[model],
            label=model,
        )
    support = (
        table.drop_duplicates("genre").set_index("genre")["support"] if genres else {}
    )
    ax.set_yticks(y, [f"{g} (n={int(support[g])})" for g in genres])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_ylabel("genre (true test images)")
    if models:
        ax.legend(title="model", loc="best", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"Per-genre F1 ({SPLIT_NAMES.get(split, split)} split, {SETTING_NAMES[setting]})"
    )
    return fig


# ------------------------------------------------------------------ (d) genres per split


def plot_genre_distribution(split_summary: Mapping[str, Any]) -> Figure:
    """Images per genre in each split (an image with two genres counts for both).

    Args:
        split_summary: ``split_summary.json``.

    Returns:
        One figure: grouped horizontal bars, one group per genre.
    """
    counts = pd.DataFrame(split_summary.get("genres", {})).T
    splits = [s for s in ("train", "val", "test") if s in counts.columns]
    genres = list(counts.index)
    fig = _figure(10, max(3.5, 0.5 * len(genres) + 1.8))
    ax = fig.subplots()
    y = np.arange(len(genres))
    height = 0.8 / max(1, len(splits))
    sizes = split_summary.get("n_images", {})
    for k, split in enumerate(splits):
        bars = ax.barh(
            y + (k - (len(splits) - 1) / 2) * height,
            counts[split].astype(float),
            height,
            color=SPLIT_COLOURS[split],
            label=f"{SPLIT_NAMES[split]} ({sizes.get(split, '?')} images)",
        )
        ax.bar_label(bars, fontsize=7, padding=2)
    if not genres:
        _empty(ax, "No genres in the split summary.")
    ax.set_yticks(y, genres)
    ax.invert_yaxis()
    ax.set_xlabel("images")
    ax.set_ylabel("genre")
    ax.margins(x=0.08)
    ax.legend(title="split", fontsize=8)
    strategy = split_summary.get("strategy", "?")
    ax.set_title(f"Genre distribution per split ({strategy} split)")
    return fig


# ------------------------------------------------------------------ (e) PCA


def plot_pca_variance(pca_summary: Mapping[str, Any]) -> Figure:
    """Explained variance ratio per PCA component, and cumulated.

    Args:
        pca_summary: ``pca_summary.json``.

    Returns:
        One figure: bars per component (left axis), cumulative line (right axis).
    """
    ratio = np.asarray(pca_summary.get("explained_variance_ratio", []), dtype=float)
    cumulative = np.asarray(
        pca_summary.get("cumulative_explained_variance", np.cumsum(ratio)), dtype=float
    )
    components = np.arange(1, len(ratio) + 1)
    fig = _figure(10, 4.8)
    ax = fig.subplots()
    ax.bar(components, ratio, color="#4C72B0", label="per component")
    ax.set_xlabel("principal component")
    ax.set_ylabel("explained variance ratio (per component)")
    ax.set_yscale(
        "log"
        if len(ratio) and ratio.max() / max(ratio.min(), 1e-12) > 100
        else "linear"
    )
    twin = ax.twinx()
    twin.plot(
        components,
        cumulative,
        color="#C44E52",
        marker="." if len(ratio) <= 40 else None,
    )
    twin.set_ylim(0, 1.02)
    twin.set_ylabel("cumulative explained variance", color="#C44E52")
    if not len(ratio):
        _empty(ax, "No PCA summary.")
    total = (
        f": {cumulative[-1]:.1%} with {len(ratio)} components"
        if len(cumulative)
        else ""
    )
    ax.legend(
        handles=[
            Patch(
                color="#4C72B0",
                label="per component (left, log scale)"
                if ax.get_yscale() == "log"
                else "per component (left)",
            ),
            Line2D([], [], color="#C44E52", label=f"cumulative (right){total}"),
        ],
        loc="center right",
        fontsize=8,
    )
    fitted = pca_summary.get("n_train")
    width = pca_summary.get("feature_width")
    detail = f" — fitted on {fitted} training images" if fitted else ""
    detail += f", {width} features" if width else ""
    ax.set_title(f"PCA explained variance{detail}")
    return fig


# ------------------------------------------------------------------ (f) BNN residuals


def _plot_residuals(
    ax: Any, model: str, stages: Sequence[Mapping[str, Any]], colour: Any
) -> None:
    """One ensemble's panel: residual norm per stage (open: dropped), one dot per genre."""
    x = [s["stage"] for s in stages]
    total = [s["residual_norm"] for s in stages]
    for s in stages:
        per_genre = s.get("residual_norm_per_genre") or []
        ax.scatter(
            [s["stage"]] * len(per_genre), per_genre, s=10, color="grey", alpha=0.6
        )
    ax.plot(x, total, color=colour, lw=2)
    kept = [s.get("kept", True) for s in stages]
    ax.scatter(
        [xi for xi, k in zip(x, kept, strict=True) if k],
        [t for t, k in zip(total, kept, strict=True) if k],
        color=colour,
        zorder=3,
        s=40,
    )
    ax.scatter(
        [xi for xi, k in zip(x, kept, strict=True) if not k],
        [t for t, k in zip(total, kept, strict=True) if not k],
        facecolor="white",
        edgecolor=colour,
        zorder=3,
        s=40,
    )
    ax.set_xticks(x)
    ax.set_xlabel("stage")
    ax.set_ylabel("residual norm (training data)")
    ax.set_ylim(bottom=0)
    ax.set_title(model)
    ax.legend(
        handles=[
            Line2D(
                [],
                [],
                color=colour,
                marker="o",
                label="all genres (Frobenius)",
            ),
            Line2D(
                [],
                [],
                color=colour,
                marker="o",
                mfc="white",
                ls="",
                label="stage dropped",
            ),
            Line2D(
                [], [], color="grey", marker="o", ls="", ms=4, label="one genre"
            ),
        ],
        fontsize=8,
    )


def plot_bnn_residuals(histories: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Residual norm after each stage of every ensemble (models with ``stages``).

    The two boosting variants measure different residuals (``bnn``:
    ``Y - sigmoid(F)``; ``bnn_study``: the study's residual before renormalisation), so
    each ensemble has its own panel.

    Args:
        histories: ``{model: <model>.history}``.

    Returns:
        One figure, one panel per ensemble (a note when there is none).
    """
    ensembles = {m: h["stages"] for m, h in histories.items() if h.get("stages")}
    colours = model_colours(list(histories))
    fig = _figure(max(6, 5 * max(1, len(ensembles))), 4.5)
    axes = np.atleast_1d(fig.subplots(1, max(1, len(ensembles))))
    if not ensembles:
        _empty(axes[0], "No ensemble model in this run.")
        axes[0].set_xlabel("stage")
        axes[0].set_ylabel("residual norm")
    for ax, (model, stages) in zip(axes, ensembles.items(), strict=False):
        _plot_residuals(ax, model, stages, colours[model])
    fig.suptitle("Boosted ensembles: residual norm after each stage")
    return fig


# ------------------------------------------------------------------ (g) co-occurrence


def plot_genre_cooccurrence(painting_index: pd.DataFrame) -> Figure:
    """How often two genres label the same image (all splits), counts in the cells.

    Args:
        painting_index: ``painting_index.csv`` (``genres`` joined by ``|``).

    Returns:
        One figure: a genre x genre heat map; the diagonal counts images per genre.
    """
    lists = genre_lists(painting_index)
    genres = sorted({g for gs in lists for g in gs})
    position = {g: i for i, g in enumerate(genres)}
    onehot = np.zeros((len(lists), len(genres)), dtype=np.int64)
    for row, gs in enumerate(lists):
        onehot[row, [position[g] for g in gs]] = 1
    counts = onehot.T @ onehot
    size = max(7.0, 0.42 * len(genres) + 3)
    fig = _figure(size + 1.2, size)
    ax = fig.subplots()
    if not genres:
        _empty(ax, "No labelled images.")
    else:
        image = ax.imshow(
            counts, cmap="Blues", norm=PowerNorm(0.5, vmin=0, vmax=max(1, counts.max()))
        )
        fig.colorbar(image, ax=ax, label="images", shrink=0.7)
        _write_counts(ax, counts, dark=counts > counts.max() * 0.35)
    ax.set_xticks(
        range(len(genres)), genres, rotation=60, ha="right", rotation_mode="anchor"
    )
    ax.set_yticks(range(len(genres)), genres)
    ax.set_xlabel("genre")
    ax.set_ylabel("genre")
    ax.set_title(
        f"Genre co-occurrence ({len(lists)} images, train + val + test)\n"
        "diagonal: images per genre; off-diagonal: images with both genres",
        fontsize=10,
    )
    return fig


# ------------------------------------------------------------------ (h) top-1 confusion


def _top1_cases(pred: Mapping[str, Any], split: str) -> tuple[list[str], list[str]]:
    """True and top-1 genres of a split's single-genre images (the primary seed)."""
    runs = model_runs(pred).split(split)
    Y = runs.Y > 0.5
    single = Y.sum(axis=1) == 1
    proba = runs.logits[0][single]  # the primary seed; argmax of logits
    genres = list(pred["genres"])
    true = [genres[j] for j in np.argmax(Y[single], axis=1)]
    top1 = [genres[j] for j in np.argmax(proba, axis=1)] if len(proba) else []
    return true, top1


def _confusion_cells(ax: Any, matrix: np.ndarray) -> Any:
    """A confusion matrix coloured by the share of its row, non-zero counts written."""
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    _write_counts(ax, matrix, dark=share > 0.5)
    return image


def _write_counts(ax: Any, counts: np.ndarray, dark: np.ndarray) -> None:
    """Each non-zero count in its cell: white on the ``dark`` cells, black elsewhere."""
    for i, j in zip(*np.nonzero(counts), strict=True):
        ax.text(
            j,
            i,
            str(counts[i, j]),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if dark[i, j] else "black",
        )


def plot_top1_confusion(
    predictions: Mapping[str, Mapping[str, Any]], split: str = "test"
) -> Figure:
    """Confusion of the top-1 genre on the single-genre images of a split, per model.

    Rows are the true genre, columns the genre with the highest score (the primary
    seed's model); only
    genres that occur as a true single genre or as a prediction are shown. Cells hold
    counts, coloured by the share of their row.

    Args:
        predictions: ``{model: <model>.predictions}``.
        split: The split shown.

    Returns:
        One figure with one panel per model (small multiples sharing the axes).
    """
    models = list(predictions)
    cases = {model: _top1_cases(pred, split) for model, pred in predictions.items()}
    all_genres = list(next(iter(predictions.values()))["genres"]) if predictions else []
    shown = [g for g in all_genres if any(g in t or g in p for t, p in cases.values())]
    n_cols = min(2, max(1, len(models)))
    n_rows = int(np.ceil(max(1, len(models)) / n_cols))
    cell = 0.42 * max(len(shown), 4) + 1.5
    fig = _figure(n_cols * cell + 2.5, n_rows * cell + 1.5)
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True).ravel()
    for ax in axes[len(models) :]:
        ax.set_visible(False)
    image = None
    for ax, model in zip(axes, models, strict=False):
        true, top1 = cases[model]
        ax.set_xlabel("predicted top-1 genre")
        ax.set_ylabel("true genre")
        if not true:
            ax.set_title(model)
            _empty(ax, f"No single-genre {split} image.")
            continue
        matrix = confusion_matrix(true, top1, labels=shown)
        image = _confusion_cells(ax, matrix)
        ax.set_xticks(
            range(len(shown)), shown, rotation=60, ha="right", rotation_mode="anchor"
        )
        ax.set_yticks(range(len(shown)), shown)
        correct = np.trace(matrix) / max(1, matrix.sum())
        ax.set_title(f"{model}: {correct:.0%} of {len(true)} correct", fontsize=10)
    for i, ax in enumerate(axes[: len(models)]):
        ax.label_outer()  # genre names once per row and column of panels
        if i + n_cols >= len(models):  # no panel below this one
            ax.tick_params(labelbottom=True)
            ax.set_xlabel("predicted top-1 genre")
    if image is not None:
        fig.colorbar(
            image, ax=axes[: len(models)].tolist(), label="share of the row", shrink=0.6
        )
    fig.suptitle(
        f"Top-1 genre of the single-genre {SPLIT_NAMES.get(split, split)} images "
        "(rows: true genre, columns: predicted)"
    )
    return fig


# ------------------------------------------------------------------ calibration


def plot_reliability(
    predictions: Mapping[str, Mapping[str, Any]],
    calibrations: Mapping[str, Mapping[str, Any]],
    params: CalibrationParams,
) -> Figure:
    """Reliability diagram: observed frequency against predicted probability, per model.

    Every (test image, genre, seed) probability is one forecast; points are the bins of
    the expected calibration error (marker area: how many forecasts). On the diagonal a
    probability of 0.8 comes true 80 % of the time. With the calibration step on, a
    second panel shows the same after temperature scaling.

    Args:
        predictions: ``{model: <model>.predictions}``.
        calibrations: ``{model: <model>.calibration}``.
        params: ``params:reporting.calibration``.

    Returns:
        One figure, one or two panels.
    """
    params = CalibrationParams.model_validate(params)
    colours = model_colours(list(predictions))
    panels = [("as trained", False)] + ([("temperature-scaled", True)] if params.enabled else [])
    fig = _figure(PAGE_INCHES, 5)
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    for ax, (title, scaled) in zip(axes, panels, strict=True):
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        for model, record in predictions.items():
            test = model_runs(record).test
            temperatures = (calibrations.get(model) or {}).get("temperatures") or []
            proba = np.stack([
                calibrated_proba(test.logits[s], temperatures[s] if scaled else 1.0)
                for s in range(test.logits.shape[0])
            ])
            Y = np.broadcast_to(test.Y, proba.shape)
            mean_p, observed, count = reliability(Y, proba, params.n_bins)
            ax.plot(mean_p, observed, "-", color=colours[model], lw=1.2, label=model)
            ax.scatter(mean_p, observed, s=8 + 60 * count / count.max(), color=colours[model])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("predicted probability (bin mean)")
        ax.set_title(f"Test split, {title}")
    axes[0].set_ylabel("observed frequency")
    axes[-1].legend(title="model", fontsize=8, loc="upper left")
    fig.suptitle("Reliability: does a probability of 0.8 come true 80 % of the time?")
    return fig
