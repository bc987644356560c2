"""The report node: the sections in reading order, rendered as Markdown and HTML.

The content lives in :mod:`.sections` (one function per section) and :mod:`.summary`
(the Summary's rules), the document model and its renderers in
:mod:`art_genre.document`; this module only decides the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic_core import to_jsonable_python

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
from art_genre.features.params import FeatureEngineeringParams

from .params import ReportingParams
from .sections import (
    calibration_section,
    caveats_section,
    comparison_section,
    data_section,
    group_issues,
    manifest_section,
    metric_tables,
    pairwise_section,
    per_genre_section,
    seeds_section,
    settings_section,
    study_section,
)
from .summary import HEADLINE_METRIC, summary_sentences

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
    "(first seed); stars: each ensemble's validation any-match in the results table.",
    "bnn_residuals": "Residual norm of the training targets after each ensemble stage.",
    "genre_distribution": "Images per genre in each split.",
    "genre_cooccurrence": "How often two genres label the same image (all splits).",
    "pca_variance": "Variance of the backbone features explained by each PCA component.",
    "reliability": "Reliability diagram of the test probabilities (every painting, genre "
    "and seed): on the diagonal a probability comes true as often as it says; right "
    "panel after temperature scaling (where switched on).",
    "cam_gallery": "Why this genre: test paintings of `reporting.gallery_model` (first seed), "
    "its most confident right answers and mistakes, each with the class activation maps "
    "of two genres on one colour scale (true and predicted for a mistake).",
}


def _issues(*frames: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["stage", "file", "reason"]
    used = [df.reindex(columns=columns) for df in frames if df is not None and len(df)]
    return pd.concat(used, ignore_index=True).fillna("") if used else pd.DataFrame(columns=columns)


# long: 16 catalog inputs, each documented; the body only lists the sections in order
def build_report(
    results: pd.DataFrame,
    intervals: pd.DataFrame,
    pairwise: pd.DataFrame,
    per_genre_metrics: pd.DataFrame,
    thresholds: Mapping[str, Any],
    timings: Mapping[str, Any],
    histories: Mapping[str, Any],
    model_params: Mapping[str, Any],
    calibrations: Mapping[str, Any],
    split_summary: Mapping[str, Any],
    data_quality_report: pd.DataFrame,
    feature_issues: pd.DataFrame,
    pca_summary: Mapping[str, Any],
    feature_engineering_params: FeatureEngineeringParams,
    reporting_params: ReportingParams,
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
        calibrations: ``{model: <model>.calibration}``.
        split_summary: ``split_summary.json``.
        data_quality_report: Inputs skipped by ``data_processing`` (stage, file, reason).
        feature_issues: Images skipped by ``feature_engineering`` (stage, file, reason).
        pca_summary: ``pca_summary.json``.
        feature_engineering_params: ``params:feature_engineering``.
        reporting_params: ``params:reporting`` (the run hook adds ``run_manifest``, so
            it may arrive as a dict).
        **plots: ``{name: PNG bytes}``, the saved plot files (``FigurePNGDataset``).

    Returns:
        ``(markdown, html)``.
    """
    feature_params = FeatureEngineeringParams.model_validate(
        feature_engineering_params
    ).model_dump()
    params = ReportingParams.model_validate(reporting_params)
    network_params = to_jsonable_python(model_params)  # pydantic models inside dicts
    study = params.study.model_dump()
    plots_dir = params.plots_dir.rstrip("/")
    summary = summarise(results)
    models = list(dict.fromkeys(results["model"]))
    units_reason = str(intervals["units_reason"].iloc[0]) if len(intervals) else ""

    def image(name: str) -> list[Block]:
        if name not in plots:
            return []
        caption = PLOT_CAPTIONS.get(name, name.replace("_", " "))
        return [Image(name, caption, plots[name], f"{plots_dir}/{name}.png")]

    blocks: list[Block] = [
        Heading(params.title, 1),
        Heading("Summary"),
        Paragraph(" ".join(summary_sentences(summary, intervals, pairwise, split_summary))),
        Paragraph(
            f"Models: {', '.join(f'`{m}`' for m in models)}. Features: "
            f"`{dig(feature_params, 'backbone', 'name')}` → PCA "
            f"({pca_summary.get('n_components', '?')} components) → NumPy networks and "
            "scikit-learn baselines; multi-label genres. Every number below derives from "
            "`results.csv` (one row per model, seed, split, threshold setting and metric); "
            "`metrics.json`, `intervals.csv`, `pairwise.csv`, `per_genre_metrics.csv`, "
            "`thresholds.json` and `timings.json` are beside this report."
        ),
        Heading("Results"),
    ]
    blocks += comparison_section(summary, intervals, timings, histories, HEADLINE)
    blocks += pairwise_section(pairwise, HEADLINE, params.bootstrap.n_boot, HEADLINE_METRIC)
    blocks += image("model_comparison")
    blocks += calibration_section(summary, calibrations, params.calibration.n_bins)
    blocks += image("reliability")
    blocks += study_section(summary, study)
    blocks += [Heading("Seeds", 3)] + seeds_section(results, HEADLINE)
    blocks += [Heading("All metrics", 3)] + metric_tables(summary)
    blocks += [Heading("Per genre", 3)] + per_genre_section(per_genre_metrics, thresholds)
    blocks += image("per_genre_f1") + image("top1_confusion")
    blocks += [Heading("Why this genre", 3)] + image("cam_gallery")
    blocks += [Heading("Training", 3)] + image("training_curves") + image("bnn_residuals")
    blocks += data_section(
        split_summary,
        _issues(data_quality_report, feature_issues),
        params.data_dir,
        params.max_listed_issues,
    )
    blocks += image("genre_distribution") + image("genre_cooccurrence")
    blocks += settings_section(feature_params, pca_summary, split_summary, network_params)
    blocks += image("pca_variance")
    extra = [n for n in plots if n not in PLOT_CAPTIONS]
    if extra:
        blocks += [Heading("More plots", 3)] + [b for n in extra for b in image(n)]
    blocks += caveats_section(split_summary, feature_params, models, per_genre_metrics,
                              study, network_params, units_reason)
    blocks += manifest_section(params.run_manifest)
    return render_markdown(blocks), render_html(blocks, params.title)
