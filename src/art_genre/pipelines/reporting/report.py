"""The report node: the sections in reading order, rendered as Markdown and HTML.

The content lives in :mod:`.sections` (one function per section), the document model
and its renderers in :mod:`.document`; this module only decides the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from art_genre.document import (
    Block,
    Heading,
    Image,
    Paragraph,
    dig,
    render_html,
    render_markdown,
)
from art_genre.evaluation.results import HEADLINE, summarise

from .sections import (
    caveats_section,
    comparison_section,
    data_section,
    group_issues,
    manifest_section,
    metric_tables,
    pairwise_section,
    per_genre_section,
    plain_data,
    seeds_section,
    settings_section,
    study_section,
)

__all__ = ["PLOT_CAPTIONS", "build_report", "group_issues"]

#: Plots the report knows: input name -> caption. Others are appended at the end.
PLOT_CAPTIONS = {
    "model_comparison": "Test any-match accuracy, test macro-F1 at both thresholds (mean "
    "over seeds, 95 % bootstrap interval, one dot per seed) and training time per model; "
    "black diamonds: the study's published any-match accuracy.",
    "per_genre_f1": "Per-genre F1 on the test split at the thresholds tuned on validation "
    "(mean over seeds).",
    "top1_confusion": "Top-1 genre of the single-genre test images: which genre each "
    "model (first seed) picks for images of one genre.",
    "training_curves": "Loss and any-match accuracy per epoch, training and validation "
    "(first seed).",
    "bnn_residuals": "Residual norm of the training targets after each ensemble stage.",
    "genre_distribution": "Images per genre in each split.",
    "genre_cooccurrence": "How often two genres label the same image (all splits).",
    "pca_variance": "Variance of the backbone features explained by each PCA component.",
    "cam_gallery": "Why this genre: test paintings of `reporting.gallery_model` (first seed), "
    "its most confident right answers and mistakes, each with the class activation maps "
    "of two genres on one colour scale (true and predicted for a mistake).",
}


def _issues(*frames: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["stage", "file", "reason"]
    used = [df.reindex(columns=columns) for df in frames if df is not None and len(df)]
    return pd.concat(used, ignore_index=True).fillna("") if used else pd.DataFrame(columns=columns)


# long: 15 catalog inputs, each documented; the body only lists the sections in order
def build_report(
    results: pd.DataFrame,
    intervals: pd.DataFrame,
    pairwise: pd.DataFrame,
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
        results: The results table (``results.csv``).
        intervals: Bootstrap intervals of the headline metrics (``intervals.csv``).
        pairwise: Paired differences between models (``pairwise.csv``).
        per_genre_metrics: ``per_genre_metrics.csv``.
        thresholds: ``thresholds.json``.
        timings: ``timings.json``.
        histories: ``{model: <model>.history}`` (networks only).
        model_params: ``{model: params:<model>}`` (networks only).
        split_summary: ``split_summary.json``.
        data_quality_report: Inputs skipped by ``data_processing`` (stage, file, reason).
        feature_issues: Images skipped by ``feature_engineering`` (stage, file, reason).
        pca_summary: ``pca_summary.json``.
        feature_engineering_params: ``params:feature_engineering``.
        reporting_params: ``params:reporting`` (``data_dir``, ``max_listed_issues``,
            ``plots_dir``, ``title``, ``study``, ``bootstrap``).
        **plots: ``{name: PNG bytes}``, the saved plot files (``FigurePNGDataset``).

    Returns:
        ``(markdown, html)``.
    """
    feature_params = plain_data(feature_engineering_params)
    params = plain_data(reporting_params)
    study = params.get("study") or {}
    plots_dir = str(params.get("plots_dir", "plots")).rstrip("/")
    title = params.get("title", "Art genre classification: report")
    summary = summarise(results)
    models = list(dict.fromkeys(results["model"]))

    def image(name: str) -> list[Block]:
        if name not in plots:
            return []
        caption = PLOT_CAPTIONS.get(name, name.replace("_", " "))
        return [Image(name, caption, plots[name], f"{plots_dir}/{name}.png")]

    blocks: list[Block] = [
        Heading(title, 1),
        Paragraph(
            f"Models: {', '.join(f'`{m}`' for m in models)}. Features: "
            f"`{dig(feature_params, 'backbone', 'name')}` → PCA "
            f"({pca_summary.get('n_components', '?')} components) → NumPy networks and "
            "scikit-learn baselines; multi-label genres. Every number below derives from "
            "`results.csv` (one row per model, seed, split, threshold setting and metric); "
            "`metrics.json`, `intervals.csv`, `pairwise.csv`, `per_genre_metrics.csv`, "
            "`thresholds.json` and `timings.json` are beside this report."
        ),
    ]
    blocks += data_section(
        split_summary,
        _issues(data_quality_report, feature_issues),
        params.get("data_dir", "?"),
        int(params.get("max_listed_issues", 50)),
    )
    blocks += image("genre_distribution") + image("genre_cooccurrence")
    blocks += settings_section(feature_params, pca_summary, split_summary, plain_data(model_params))
    blocks += image("pca_variance")
    blocks += [Heading("Results")]
    blocks += comparison_section(summary, intervals, timings, histories, HEADLINE)
    blocks += pairwise_section(pairwise, HEADLINE, int(dig(params, "bootstrap", "n_boot") or 0))
    blocks += image("model_comparison")
    blocks += study_section(summary, study)
    blocks += [Heading("Seeds", 3)] + seeds_section(results, HEADLINE)
    blocks += [Heading("All metrics", 3)] + metric_tables(summary)
    blocks += [Heading("Per genre", 3)] + per_genre_section(per_genre_metrics, thresholds)
    blocks += image("per_genre_f1") + image("top1_confusion")
    blocks += [Heading("Why this genre", 3)] + image("cam_gallery")
    blocks += [Heading("Training", 3)] + image("training_curves") + image("bnn_residuals")
    extra = [n for n in plots if n not in PLOT_CAPTIONS]
    if extra:
        blocks += [Heading("More plots", 3)] + [b for n in extra for b in image(n)]
    blocks += caveats_section(split_summary, feature_params, models, per_genre_metrics, study)
    blocks += manifest_section(params.get("run_manifest"))
    return render_markdown(blocks), render_html(blocks, title)
