"""The report node: one document, written as Markdown and as self-contained HTML.

The content is built once as a list of blocks (headings, paragraphs, tables, bullet
lists, figures) and rendered twice. The Markdown links the plot files beside it
(``plots/<name>.png``); the HTML embeds the same PNG files, byte for byte, as base64
``data:`` URIs, so it can be mailed or opened anywhere.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .metrics import SPLITS

# ------------------------------------------------------------------ the document model


@dataclass
class Heading:
    """A section title (level 1 to 3)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """Text; ``**bold**`` and ```code``` are rendered in both formats."""

    text: str


@dataclass
class Bullets:
    """A bullet list."""

    items: list[str]


@dataclass
class Table:
    """A table of already formatted cells, with an optional caption."""

    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Image:
    """A plot: its PNG bytes and where the Markdown finds the file."""

    name: str
    caption: str
    png: bytes = field(repr=False)
    link: str = ""


Block = Heading | Paragraph | Bullets | Table | Image

#: Plots the report knows: input name -> caption. Others are appended at the end.
PLOT_CAPTIONS = {
    "model_comparison": "Test any-match accuracy, test macro-F1 at both thresholds and "
    "training time per model; black ranges: the study's published any-match accuracy.",
    "per_genre_f1": "Per-genre F1 on the test split at the thresholds tuned on validation.",
    "top1_confusion": "Top-1 genre of the single-genre test images: which genre each "
    "model picks for images of one genre.",
    "training_curves": "Loss and any-match accuracy per epoch, training and validation.",
    "bnn_residuals": "Residual norm of the training targets after each ensemble stage.",
    "genre_distribution": "Images per genre in each split.",
    "genre_cooccurrence": "How often two genres label the same image (all splits).",
    "pca_variance": "Variance of the backbone features explained by each PCA component.",
}


# ------------------------------------------------------------------ renderers

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def _inline_html(text: str) -> str:
    escaped = html.escape(str(text), quote=False)
    return _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", escaped))


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block]) -> str:
    """The blocks as GitHub-flavoured Markdown (figures linked by relative path)."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = [f"*{block.caption}*", ""] if block.caption else []
            lines.append("| " + " | ".join(_md_cell(c) for c in block.columns) + " |")
            lines.append("|" + "---|" * len(block.columns))
            lines += [
                "| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows
            ]
            out.append("\n".join(lines))
        elif isinstance(block, Image):
            out.append(
                f"![{block.caption}]({block.link or block.name + '.png'})\n\n*{block.caption}*"
            )
    return "\n\n".join(out) + "\n"


CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #4C72B0; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .9em; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f0f3f8; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0 1.6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-style: italic; color: #555; font-size: .9em; }
code { background: #f4f4f4; padding: 0 .25em; border-radius: 3px; }
"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """The blocks as one self-contained HTML page (figures embedded as base64 PNG)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_inline_html(i)}</li>" for i in block.items)
            out.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            caption = (
                f"<caption>{_inline_html(block.caption)}</caption>"
                if block.caption
                else ""
            )
            head = "".join(f"<th>{_inline_html(c)}</th>" for c in block.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{_inline_html(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            out.append(
                f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            )
        elif isinstance(block, Image):
            data = base64.b64encode(block.png).decode("ascii")
            out.append(
                f'<figure id="plot-{html.escape(block.name)}"><img src="data:image/png;base64,'
                f'{data}" alt="{html.escape(block.caption)}">'
                f"<figcaption>{_inline_html(block.caption)}</figcaption></figure>"
            )
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ formatting helpers


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int | bool):
        return str(value)
    return f"{float(value):.{digits}f}"


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.2f} %"


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _study_any_match(ref: Mapping[str, Any]) -> str:
    value = ref.get("any_match")
    if value is None:
        return "–"
    low, high = (
        (value, value)
        if not isinstance(value, list | tuple)
        else (min(value), max(value))
    )
    return _pct(low) if low == high else f"{100 * low:.2f}–{100 * high:.2f} %"


def plain_data(value: Any) -> Any:
    """Parameters as plain dicts and lists, whatever Kedro hands over.

    Kedro 1.7 validates a parameter into the pydantic model that a consuming node
    annotates (``params:feature_engineering`` becomes ``FeatureEngineeringParams`` when
    that pipeline runs too), so the same input arrives as a dict or as a model.
    """
    if hasattr(value, "model_dump"):
        return plain_data(value.model_dump())
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    return value


def _weights(value: Any) -> str:
    return "null (random, offline)" if value is None else str(value)


def _yes_no(value: Any) -> str:
    return "–" if value is None else ("yes" if value else "no")


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return "–" if value is None else str(value)


# ------------------------------------------------------------------ sections


def _comparison(
    metrics: Mapping[str, Any],
    timings: Mapping[str, Any],
    histories: Mapping[str, Any],
    study: Mapping[str, Any],
) -> list[Block]:
    results = study.get("results") or {}
    rows = []
    for model, by_split in metrics.items():
        test = by_split.get("test", {})
        ref = results.get(model) or {}
        study_f1 = "–"
        if ref.get("macro_f1") is not None or ref.get("micro_f1") is not None:
            study_f1 = (
                f"{_num(ref.get('macro_f1'), 2)} / {_num(ref.get('micro_f1'), 2)}"
            )
        epochs = _get(histories, model, "epochs_run")
        best = _get(histories, model, "best_epoch")
        stopped = _get(histories, model, "stopped_early")
        epochs_text = _plain(epochs) + (f" (best {best})" if stopped and best else "")
        rows.append(
            [
                model,
                _pct(test.get("any_match_accuracy")),
                _num(_get(test, "threshold_0.5", "macro_f1")),
                _num(_get(test, "tuned", "macro_f1")),
                _num(_get(test, "threshold_0.5", "micro_f1")),
                _num(_get(test, "tuned", "micro_f1")),
                _num(_get(timings, model, "train_seconds"), 2),
                epochs_text,
                ref.get("name", "–"),
                _study_any_match(ref),
                study_f1,
                _num(ref.get("train_seconds"), 0) + " s"
                if ref.get("train_seconds")
                else "–",
            ]
        )
    columns = [
        "model",
        "any-match (test)",
        "macro-F1 @0.5",
        "macro-F1 tuned",
        "micro-F1 @0.5",
        "micro-F1 tuned",
        "training s",
        "epochs",
        "study: model",
        "study: any-match",
        "study: macro / micro-F1 @0.5",
        "study: training",
    ]
    blocks: list[Block] = [
        Table(
            columns,
            rows,
            "Test split; our numbers on the left, the study's published ones on the right.",
        ),
    ]
    if study.get("note"):
        blocks.append(Paragraph(f"**The study's numbers:** {study['note']}"))
    return blocks


def _metric_tables(metrics: Mapping[str, Any]) -> list[Block]:
    keys = [
        "micro_f1",
        "macro_f1",
        "weighted_f1",
        "samples_f1",
        "subset_accuracy",
        "hamming_loss",
    ]
    blocks: list[Block] = []
    for split in SPLITS:
        rows = []
        for model, by_split in metrics.items():
            record = by_split.get(split) or {}
            if not record.get("n_images"):
                continue
            for setting in ("threshold_0.5", "tuned"):
                rows.append(
                    [
                        model,
                        "0.5" if setting == "threshold_0.5" else "tuned",
                        _pct(record.get("any_match_accuracy")),
                        _num(record.get("macro_roc_auc")),
                        *(_num(_get(record, setting, k)) for k in keys),
                    ]
                )
        n = next((_get(m, split, "n_images") for m in metrics.values()), 0)
        blocks.append(
            Table(
                [
                    "model",
                    "thresholds",
                    "any-match",
                    "macro ROC AUC",
                    "micro-F1",
                    "macro-F1",
                    "weighted-F1",
                    "samples-F1",
                    "subset acc.",
                    "Hamming loss",
                ],
                rows,
                f"All metrics, {split} split ({n} images). Any-match and ROC AUC do not "
                "depend on the threshold.",
            )
        )
    return blocks


def _per_genre_table(
    per_genre: pd.DataFrame, thresholds: Mapping[str, Any]
) -> list[Block]:
    table = per_genre[
        (per_genre["split"] == "test") & (per_genre["thresholds"] == "tuned")
    ]
    if table.empty:
        return []
    models = list(dict.fromkeys(table["model"]))
    f1 = table.pivot(index="genre", columns="model", values="f1")
    support = table.drop_duplicates("genre").set_index("genre")["support"]
    genres = list(dict.fromkeys(table["genre"]))
    rows = [
        [
            g,
            int(support[g]),
            *(_num(f1.loc[g, m], 2) if support[g] else "–" for m in models),
            *(_num(_get(thresholds, m, g), 3) for m in models),
        ]
        for g in genres
    ]
    columns = [
        "genre",
        "test images",
        *(f"F1 {m}" for m in models),
        *(f"threshold {m}" for m in models),
    ]
    return [
        Table(
            columns,
            rows,
            "Per-genre F1 on the test split at the per-genre thresholds tuned on validation "
            "(`thresholds.json`; a genre without a validation image keeps 0.5). Precision, "
            "recall and both threshold settings: `per_genre_metrics.csv`.",
        )
    ]


def _data_section(
    split_summary: Mapping[str, Any],
    issues: pd.DataFrame,
    data_dir: Any,
    max_listed: int,
) -> list[Block]:
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
    n_issues = len(issues)
    if n_issues == 0:
        blocks.append(Paragraph("**Skipped files:** none: every file found was used."))
    else:
        by_stage = issues.groupby("stage", sort=False).size()
        blocks.append(
            Paragraph(
                f"**Skipped files and inputs: {n_issues}** (from `data_quality_report.csv` and "
                "`feature_issues.csv`; by stage: "
                + ", ".join(f"{stage} {n}" for stage, n in by_stage.items())
                + ")."
            )
        )
        grouped = group_issues(issues)
        listed = grouped.head(max_listed)
        caption = (
            f"The first {len(listed)} of {len(grouped)} kinds."
            if len(grouped) > len(listed)
            else "All of them (one row per file and kind of problem)."
        )
        blocks.append(
            Table(
                ["stage", "file", "reason", "count"],
                listed[["stage", "file", "reason", "count"]].values.tolist(),
                caption,
            )
        )
    return blocks


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


def _settings_section(
    feature_params: Mapping[str, Any],
    pca_summary: Mapping[str, Any],
    split_summary: Mapping[str, Any],
    model_params: Mapping[str, Any],
) -> list[Block]:
    backbone = feature_params.get("backbone", {}) or {}
    pca_params = feature_params.get("pca", {}) or {}
    cumulative = pca_summary.get("cumulative_explained_variance") or []
    blocks: list[Block] = [
        Heading("Settings"),
        Bullets(
            [
                f"**Backbone:** `{backbone.get('name')}`, weights "
                f"`{_weights(backbone.get('weights'))}`, pooling `{backbone.get('pooling')}`, "
                f"alpha `{_plain(backbone.get('alpha'))}`, "
                f"input {backbone.get('input_size', '?')} px.",
                f"**PCA:** {pca_summary.get('n_components', pca_params.get('n_components'))} "
                f"components of {pca_summary.get('feature_width', '?')} features "
                f"(solver {pca_summary.get('solver', '?')}, standardised: "
                f"{_yes_no(pca_summary.get('standardize', pca_params.get('standardize')))}), fitted on "
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
    rows = []
    for model, params in model_params.items():
        p = params.get("model", params) if isinstance(params, Mapping) else {}
        opt = p.get("optimizer", {}) or {}
        boosting = p.get("boosting") or {}
        optimizer = f"{opt.get('name', '?')} lr {opt.get('learning_rate', '?')}"
        if opt.get("clip_value"):
            optimizer += f", clip {opt['clip_value']}"
        ensemble = "–"
        if boosting:
            ensemble = f"{boosting.get('variant')}, {boosting.get('n_stages')} stages"
            if boosting.get("variant") == "gradient":
                ensemble += f", shrinkage {boosting.get('shrinkage')}"
        rows.append(
            [
                model,
                _plain(p.get("hidden_sizes")),
                _plain(p.get("init")),
                optimizer,
                _plain(p.get("epochs")),
                _plain(p.get("batch_size")),
                _plain(p.get("early_stopping_patience")),
                _plain(p.get("class_weighting")),
                _yes_no(p.get("balanced_batches")),
                ensemble,
                _plain(p.get("seed")),
            ]
        )
    blocks.append(
        Table(
            [
                "model",
                "hidden layers",
                "init",
                "optimiser",
                "epochs",
                "batch",
                "early stopping (patience)",
                "class weighting",
                "balanced batches",
                "ensemble",
                "seed",
            ],
            rows,
            "Model hyper-parameters (`parameters_<model>.yml`).",
        )
    )
    return blocks


def _caveats(
    split_summary: Mapping[str, Any],
    feature_params: Mapping[str, Any],
    metrics: Mapping[str, Any],
    per_genre: pd.DataFrame,
    study: Mapping[str, Any],
) -> list[Block]:
    strategy = split_summary.get("strategy")
    sizes = split_summary.get("n_images", {})
    backbone = feature_params.get("backbone", {}) or {}
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
    items.append(
        f"Backbone: ours is `{backbone.get('name')}` (pooling `{backbone.get('pooling')}`, "
        f"weights `{_weights(backbone.get('weights'))}`); the study used ResNet50 ImageNet features "
        "flattened to 100,352 numbers. Different features give different scores."
        + (
            " With random weights (`weights: null`) the features carry no learnt "
            "information: the scores only test the plumbing."
            if backbone.get("weights") is None
            else ""
        )
    )
    test_images = study.get("test_images")
    supports = per_genre[
        (per_genre["split"] == "test") & (per_genre["thresholds"] == "tuned")
    ]
    small = supports.drop_duplicates("genre")
    small = small[(small["support"] > 0) & (small["support"] < 10)]
    items.append(
        f"The test split has {sizes.get('test', '?')} images"
        + (f" (the study's: {test_images:,})" if test_images else "")
        + f" and the validation split {sizes.get('val', '?')}: macro-F1 and the tuned "
        "thresholds are noisy"
        + (
            f"; {len(small)} genre(s) have fewer than 10 test images."
            if len(small)
            else "."
        )
    )
    items.append(
        "The PCA is fitted on the training split only; the study fitted it on all images, "
        "test included (leakage), so its numbers are slightly optimistic."
    )
    items.append(
        "Any-match accuracy is lenient: the top-1 genre only has to be one of the artist's "
        "genres. Thresholds are tuned per genre on the validation split, never on test."
    )
    items.append(
        "`bnn` is real gradient boosting (the fix); `bnn_study` is the study's residual scheme, "
        "so the study's BNN numbers are shown beside both. `adam` counts Adam's steps "
        "correctly (the study advanced the counter twice per batch)."
        if {"bnn", "bnn_study"} & set(metrics)
        else "`adam` counts Adam's steps correctly (the study advanced the counter twice per batch)."
    )
    return [Heading("Caveats"), Bullets(items)]


def build_report(
    metrics: Mapping[str, Any],
    per_genre_metrics: pd.DataFrame,
    thresholds: Mapping[str, Any],
    timings: Mapping[str, Any],
    histories: Mapping[str, Any],
    model_params: Mapping[str, Any],
    split_summary: Mapping[str, Any],
    data_quality_report: pd.DataFrame,
    feature_issues: pd.DataFrame,
    pca_summary: Mapping[str, Any],
    feature_engineering_params: Mapping[str, Any],
    reporting_params: Mapping[str, Any],
    **plots: bytes,
) -> tuple[str, str]:
    """The run's report, as Markdown and as a self-contained HTML page.

    Args:
        metrics: ``metrics.json``.
        per_genre_metrics: ``per_genre_metrics.csv``.
        thresholds: ``thresholds.json``.
        timings: ``timings.json``.
        histories: ``{model: <model>.history}``.
        model_params: ``{model: params:<model>}``.
        split_summary: ``split_summary.json``.
        data_quality_report: Inputs skipped by ``data_processing`` (stage, file, reason).
        feature_issues: Images skipped by ``feature_engineering`` (stage, file, reason).
        pca_summary: ``pca_summary.json``.
        feature_engineering_params: ``params:feature_engineering``.
        reporting_params: ``params:reporting`` (``data_dir``, ``max_listed_issues``,
            ``plots_dir``, ``title``, ``study``).
        **plots: ``{name: PNG bytes}``, the saved plot files (``FigurePNGDataset``).

    Returns:
        ``(markdown, html)``.
    """
    feature_engineering_params = plain_data(feature_engineering_params)
    model_params = plain_data(model_params)
    reporting_params = plain_data(reporting_params)
    study = reporting_params.get("study") or {}
    plots_dir = str(reporting_params.get("plots_dir", "plots")).rstrip("/")
    title = reporting_params.get("title", "Art genre classification: report")
    columns = ["stage", "file", "reason"]
    frames = [
        df.reindex(columns=columns)
        for df in (data_quality_report, feature_issues)
        if df is not None and len(df)
    ]
    issues = (
        pd.concat(frames, ignore_index=True).fillna("")
        if frames
        else pd.DataFrame(columns=columns)
    )

    def image(name: str) -> list[Block]:
        if name not in plots:
            return []
        return [
            Image(
                name,
                PLOT_CAPTIONS.get(name, name.replace("_", " ")),
                plots[name],
                f"{plots_dir}/{name}.png",
            )
        ]

    models = list(metrics)
    blocks: list[Block] = [
        Heading(title, 1),
        Paragraph(
            f"Models: {', '.join(f'`{m}`' for m in models)}. Features: "
            f"`{_get(feature_engineering_params, 'backbone', 'name')}` → PCA "
            f"({pca_summary.get('n_components', '?')} components, fitted on train) → NumPy "
            "networks; multi-label genres. Metrics: `metrics.json` (no timings, identical "
            "across reruns), `timings.json`, `per_genre_metrics.csv`, `thresholds.json`."
        ),
    ]
    blocks += _data_section(
        split_summary,
        issues,
        reporting_params.get("data_dir", "?"),
        int(reporting_params.get("max_listed_issues", 50)),
    )
    blocks += image("genre_distribution") + image("genre_cooccurrence")
    blocks += _settings_section(
        feature_engineering_params, pca_summary, split_summary, model_params
    )
    blocks += image("pca_variance")
    blocks += [Heading("Results")]
    blocks += _comparison(metrics, timings, histories, study)
    blocks += image("model_comparison")
    blocks += [Heading("All metrics", 3)] + _metric_tables(metrics)
    blocks += [Heading("Per genre", 3)] + _per_genre_table(
        per_genre_metrics, thresholds
    )
    blocks += image("per_genre_f1") + image("top1_confusion")
    blocks += (
        [Heading("Training", 3)] + image("training_curves") + image("bnn_residuals")
    )
    extra = [n for n in plots if n not in PLOT_CAPTIONS]
    if extra:
        blocks += [Heading("More plots", 3)] + [b for n in extra for b in image(n)]
    blocks += _caveats(
        split_summary, feature_engineering_params, metrics, per_genre_metrics, study
    )
    return render_markdown(blocks), render_html(blocks, title)
