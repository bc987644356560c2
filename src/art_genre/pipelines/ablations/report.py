"""The ablations' plot and report section (Markdown and HTML, like the main report)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from art_genre.document import (
    Bullets,
    Heading,
    Image,
    Paragraph,
    Table,
    render_html,
    render_markdown,
)

METRIC_TITLES = {"macro_f1": "Δ macro-F1 (test)", "any_match_accuracy": "Δ any-match (test)"}


def plot_ablation_effects(effects: pd.DataFrame) -> Figure:
    """Each fix's effect on each model it touches: the difference of seed-means against
    the study's configuration with its paired 95 % bootstrap interval.

    Args:
        effects: ``ablation_effects``.

    Returns:
        One figure, a panel per metric.
    """
    rows = effects[["configuration", "model"]].drop_duplicates()
    labels = [f"{c} · {m}" for c, m in rows.itertuples(index=False)]
    fig = Figure(figsize=(12, max(3.0, 0.32 * len(labels) + 1.5)), layout="constrained")
    axes = fig.subplots(1, len(METRIC_TITLES), sharey=True)
    y = np.arange(len(labels))
    for ax, (metric, title) in zip(axes, METRIC_TITLES.items(), strict=True):
        part = effects[effects["metric"] == metric].set_index(["configuration", "model"])
        part = part.reindex(list(rows.itertuples(index=False, name=None)))
        colours = ["#55A868" if d else "#999999" for d in part["distinguishable"].fillna(False)]
        diff = part["difference"].to_numpy(float)
        err = np.vstack([diff - part["low"].to_numpy(float), part["high"].to_numpy(float) - diff])
        ax.barh(y, diff, color=colours)
        ax.errorbar(diff, y, xerr=np.clip(err, 0, None), fmt="none", ecolor="black", capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("fixed − study (mean over seeds)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels)
    axes[0].invert_yaxis()
    axes[0].set_ylabel("configuration · model")
    fig.suptitle("What each fix changes (green: distinguishable after Holm adjustment)")
    return fig


def _effect_rows(effects: pd.DataFrame) -> list[list[str]]:
    rows = []
    for (config, model), group in effects.groupby(["configuration", "model"], sort=False):
        cells = [config, model]
        for metric in METRIC_TITLES:
            r = group[group["metric"] == metric].iloc[0]
            mark = " ✓" if r["distinguishable"] else ""
            cells += [f"{r['study']:.3f} → {r['fixed']:.3f}",
                      f"{r['difference']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}]{mark}"]
        rows.append(cells)
    return rows


def largest_effect(effects: pd.DataFrame) -> str:
    """The Summary's rule: the single fix with the largest distinguishable macro-F1 effect
    (``all_fixes`` aside), or that no single fix is distinguishable."""
    single = effects[(effects["configuration"] != "all_fixes")
                     & (effects["metric"] == "macro_f1")]
    real = single[single["distinguishable"].astype(bool)]
    if real.empty:
        return "No single fix changes macro-F1 distinguishably after adjustment."
    r = real.loc[real["difference"].abs().idxmax()]
    return (
        f"The largest effect of a single fix: `{r['configuration']}` changes `{r['model']}`'s "
        f"macro-F1 by {r['difference']:+.3f} (95 % interval {r['low']:+.3f} to "
        f"{r['high']:+.3f}; {r['study']:.3f} → {r['fixed']:.3f}). "
        f"{int(real.shape[0])} of {len(single)} single-fix effects on macro-F1 are "
        "distinguishable after adjustment; the rest are not distinguishable from no change."
    )


def ablation_report(
    effects: pd.DataFrame, results: pd.DataFrame, plot: bytes, data_dir: str
) -> tuple[str, str]:
    """The ablation section as Markdown and as a self-contained HTML page.

    Args:
        effects: ``ablation_effects``.
        results: ``ablation_results`` (for the seeds).
        plot: The saved ``plot_ablation_effects`` PNG.
        data_dir: The data folder the run used.

    Returns:
        ``(markdown, html)``.
    """
    seeds = [int(s) for s in dict.fromkeys(results["seed"])]
    real = effects[effects["distinguishable"].astype(bool)]
    words = [
        f"`{r.configuration}` on `{r.model}`: {METRIC_TITLES[r.metric]} {r.difference:+.3f} "
        f"[{r.low:+.3f}, {r.high:+.3f}], adjusted p {r.p_adjusted:.3g}"
        for r in real.itertuples(index=False)
    ]
    blocks = [
        Heading("Ablations: what each fix to the study changes", 1),
        Heading("Summary"),
        Paragraph(largest_effect(effects)),
        Paragraph(
            f"Data: `{data_dir}`. Every configuration trains the study's three networks "
            f"(`snn`, `adam`, the boosted `bnn`) over {len(seeds)} seeds ({', '.join(map(str, seeds))}) "
            "on the same split; `study` is the study's configuration (small init, Adam's "
            "double step counter, PCA fitted on all images, no class weighting, the study's "
            "boosting, threshold 0.5), each other row changes one thing, `all_fixes` all of "
            "them. Effects are differences of seed-means against `study` on the same test "
            "images, with 95 % intervals from a two-level bootstrap (seeds and test images "
            "redrawn together, paired by seed and image); ✓: distinguishable, its p-value "
            "Holm-adjusted over every effect on that metric below 0.05."
        ),
        Paragraph(f"**Distinguishable effects ({len(real)} of {len(effects)}):**"),
        Bullets(words or ["none"]),
        Table(
            ["configuration", "model", "macro-F1: study → fixed", "Δ macro-F1 [95 %]",
             "any-match: study → fixed", "Δ any-match [95 %]"],
            _effect_rows(effects),
            "`ablation_effects.csv`; every metric of every seed: `ablation_results.csv`.",
        ),
        Image("ablation_effects", "Each fix's effect with its 95 % interval.", plot,
              "plots/ablation_effects.png"),
    ]
    return render_markdown(blocks), render_html(blocks, "Ablations")
