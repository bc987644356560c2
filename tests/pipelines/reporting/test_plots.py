"""Every plot: one non-empty figure with a title and labelled axes, saved as a PNG."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from art_genre.datasets import FigurePNGDataset
from art_genre.pipelines.reporting.nodes import collect_timings
from art_genre.pipelines.reporting.plots import (
    plot_bnn_residuals,
    plot_genre_cooccurrence,
    plot_genre_distribution,
    plot_model_comparison,
    plot_pca_variance,
    plot_per_genre_f1,
    plot_top1_confusion,
    plot_training_curves,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures(
    predictions,
    evaluated,
    histories,
    timings,
    split_summary,
    pca_summary,
    painting_index,
    reporting_params,
):
    return {
        "training_curves": plot_training_curves(histories),
        "model_comparison": plot_model_comparison(
            evaluated["intervals"],
            evaluated["results"],
            collect_timings(timings, histories),
            reporting_params,
        ),
        "per_genre_f1": plot_per_genre_f1(evaluated["per_genre_metrics"]),
        "genre_distribution": plot_genre_distribution(split_summary),
        "pca_variance": plot_pca_variance(pca_summary),
        "bnn_residuals": plot_bnn_residuals(histories),
        "genre_cooccurrence": plot_genre_cooccurrence(painting_index),
        "top1_confusion": plot_top1_confusion(predictions),
    }


def assert_readable(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    axes = [
        ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"
    ]
    assert axes, "no axes"
    assert any(ax.has_data() or ax.images for ax in axes), "nothing drawn"
    title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    assert title or any(ax.get_title() for ax in axes), "no title"
    assert any(ax.get_xlabel() for ax in axes), "no x label"
    assert any(ax.get_ylabel() for ax in axes), "no y label"


def test_every_plot_is_readable_and_saves_as_png(figures, tmp_path):
    assert len(figures) == 8
    for name, fig in figures.items():
        assert_readable(fig)
        dataset = FigurePNGDataset(
            filepath=str(tmp_path / f"{name}.png"), save_args={"format": "png"}
        )
        dataset.save(fig)
        written = (tmp_path / f"{name}.png").read_bytes()
        assert written.startswith(PNG_SIGNATURE) and len(written) > 5_000, name
        assert dataset.load() == written  # what the report embeds is the file


def test_a_palette_png_is_much_smaller_and_looks_the_same(tmp_path):
    """``colours``: the figure of photographs saved with a 256-colour palette."""
    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    rng = np.random.default_rng(0)
    figure = Figure(figsize=(6, 3))
    for n, ax in enumerate(figure.subplots(1, 2)):
        # a smooth "photograph" with fine texture, as the CAM gallery shows
        y, x = np.mgrid[0:200, 0:300] / 50.0
        picture = np.stack([np.sin(x + n), np.cos(y), np.sin(x * y / 4)], axis=-1) * 0.4 + 0.5
        ax.imshow(np.clip(picture + rng.normal(0, 0.03, picture.shape), 0, 1))
        ax.set_title(f"painting {n}")
    plain = FigurePNGDataset(filepath=str(tmp_path / "rgb.png"), save_args={"dpi": 100})
    small = FigurePNGDataset(filepath=str(tmp_path / "p.png"), save_args={"dpi": 100}, colours=256)
    plain.save(figure)
    small.save(figure)
    written = (tmp_path / "p.png").read_bytes()
    assert written.startswith(PNG_SIGNATURE) and small.load() == written
    assert len(written) < 0.6 * (tmp_path / "rgb.png").stat().st_size
    with Image.open(tmp_path / "p.png") as p, Image.open(tmp_path / "rgb.png") as rgb:
        assert p.mode == "P" and p.size == rgb.size
        diff = np.abs(np.asarray(p.convert("RGB"), float) - np.asarray(rgb.convert("RGB"), float))
    assert diff.mean() < 6.0  # out of 255: a few levels per channel
    with pytest.raises(ValueError, match="colours"):
        FigurePNGDataset(filepath=str(tmp_path / "x.png"), colours=1)


def test_training_curves_mark_ensemble_stages(histories):
    fig = plot_training_curves(histories)
    loss = fig.axes[0]
    dotted = [line for line in loss.get_lines() if line.get_linestyle() == ":"]
    assert len(dotted) == 2 + 1  # bnn: 3 stages, bnn_study: 2 stages
    assert "below 0" in loss.get_title()  # bnn_study's fake loss goes negative


def test_residual_plot_without_ensembles_still_draws(histories):
    fig = plot_bnn_residuals({"snn": histories["snn"]})
    assert fig.axes[0].texts and fig.get_suptitle()


def test_confusion_with_an_odd_number_of_models(predictions):
    three = {m: predictions[m] for m in ("snn", "bnn", "adam")}
    fig = plot_top1_confusion(three)
    visible = [
        ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"
    ]
    assert len(visible) == 3
    # the panel above the empty slot keeps its genre names
    assert visible[1].get_xlabel() and any(
        t.get_visible() for t in visible[1].get_xticklabels()
    )


def test_training_curves_agree_with_the_results_table(histories):
    """An ensemble whose per-epoch any-match is not the ensemble's (the study's later
    stages fit residuals) is drawn to the end of stage 1 only, with the table's value
    as a star."""
    import pandas as pd

    history = dict(histories["bnn_study"])
    n = len(history["val_any_match"])
    history["val_any_match"] = [0.9] * 3 + [0.04] * (n - 3)
    history["train_any_match"] = [0.9] * 3 + [0.0] * (n - 3)
    history["seed"] = 42
    results = pd.DataFrame(
        [["bnn_study", "main", 42, "val", "none", "any_match_accuracy", 0.93]],
        columns=["model", "configuration", "seed", "split", "thresholds", "metric", "value"],
    )
    fig = plot_training_curves({"bnn_study": history}, results)
    ax_acc = fig.axes[1]
    lengths = sorted(len(line.get_xdata()) for line in ax_acc.lines
                     if line.get_linestyle() in ("-", "--"))
    assert lengths == [3, 3]  # train and validation, stage 1 only
    stars = [line for line in ax_acc.lines if line.get_marker() == "*"]
    assert len(stars) == 1 and stars[0].get_ydata()[0] == 0.93
