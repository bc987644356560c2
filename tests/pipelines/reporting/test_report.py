"""The Markdown and HTML report on fake inputs."""

from __future__ import annotations

import base64
import re

import pytest

from art_genre.pipelines.reporting.nodes import collect_timings
from art_genre.pipelines.reporting.report import PLOT_CAPTIONS, build_report
from tests.reporting_fakes import MODELS, png_bytes


def _build(evaluated, histories, timings, model_params, split_summary, issues,
           pca_summary, feature_params, reporting_params, calibrations=None, **plots):
    return build_report(
        evaluated["results"],
        evaluated["intervals"],
        evaluated["pairwise"],
        evaluated["per_genre_metrics"],
        evaluated["thresholds"],
        collect_timings(timings, histories),
        histories,
        model_params,
        calibrations or {},
        split_summary,
        issues[0],
        issues[1],
        pca_summary,
        feature_params,
        reporting_params,
        **plots,
    )


@pytest.fixture
def report(
    evaluated,
    histories,
    timings,
    model_params,
    split_summary,
    pca_summary,
    issues,
    feature_params,
    reporting_params,
):
    from matplotlib.figure import Figure

    plots = {}
    for k, name in enumerate(PLOT_CAPTIONS):
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, k])
        plots[name] = png_bytes(fig)
    md, html = _build(evaluated, histories, timings, model_params, split_summary, issues,
                      pca_summary, feature_params, reporting_params, **plots)
    return md, html, plots


def test_report_names_every_model(report):
    md, html, _ = report
    for model in MODELS:
        assert f"| {model} |" in md
        assert f"<td>{model}</td>" in html


def test_html_embeds_every_plot_and_md_links_them(report):
    md, html, plots = report
    assert len(plots) == len(PLOT_CAPTIONS) == 10  # nine plots and the CAM gallery
    for name, png in plots.items():
        assert f'src="data:image/png;base64,{base64.b64encode(png).decode()}"' in html
        assert f"(plots/{name}.png)" in md
    assert html.count("<img ") == len(plots)
    assert not re.search(r'src="(?!data:)', html)  # self-contained


def test_report_contents(report):
    md, html, _ = report
    assert "data/01_raw/sample" in md
    assert (
        "56" in md and "The first 50 of 56 kinds." in md
    )  # skipped files: listed and counted
    assert "71.04–73.19 %" in md and "0.61 / 0.68" in md  # the study beside ours
    assert "artist recognition" in md and "leakage" in md  # caveats
    assert "study_protocol" in md and "80 %" in md  # the protocol caveat
    assert "mobilenet" in md and "[8, 4]" in md  # settings
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert "&lt;" not in md


def test_report_without_skipped_files(
    evaluated, histories, timings, model_params, split_summary, pca_summary,
    feature_params, reporting_params,
):
    import pandas as pd

    empty = pd.DataFrame(columns=["stage", "file", "reason"])
    md, html = _build(evaluated, histories, timings, model_params, split_summary,
                      (empty, empty), pca_summary, feature_params, reporting_params)
    assert "none: every file found was used" in md
    assert "<img" not in html


def test_report_takes_validated_parameter_models(
    evaluated, histories, timings, model_params, split_summary, pca_summary, issues,
    feature_params, reporting_params,
):
    """Kedro may hand parameters over as the pydantic models other nodes annotate."""
    from art_genre.features.params import FeatureEngineeringParams
    from art_genre.modelling.params import ModelParams

    as_models = {
        m: {"name": m, "model": ModelParams.model_validate(p["model"])}
        for m, p in model_params.items()
    }
    md, _ = _build(evaluated, histories, timings, as_models, split_summary, issues,
                   pca_summary, FeatureEngineeringParams.model_validate(feature_params),
                   reporting_params)
    assert "`mobilenet`" in md and "| adam | [8, 4] | he | adam lr 0.001 |" in md


def test_report_states_spread_intervals_and_real_differences(report, evaluated):
    md, _, _ = report
    assert "mean ± sd" in md and "95 % interval" in md
    # every model's headline cell is "mean ± sd" and its interval "[low, high]"
    for model in MODELS:
        row = next(
            line
            for line in md.splitlines()
            if line.startswith((f"| {model} | network |", f"| {model} | baseline |"))
        )
        assert re.search(r"\d\.\d{3} ± \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", row)
    assert "Which differences are real" in md
    pairwise = evaluated["pairwise"]
    tuned = pairwise[(pairwise["metric"] == "macro_f1") & (pairwise["thresholds"] == "tuned")]
    n_real = int(tuned["distinguishable"].sum())
    if n_real:
        assert f"{n_real} of {len(tuned)} pairs are distinguishable after adjustment" in md
    else:
        assert "no two models are distinguishable" in md
    assert "| snn | macro-F1 tuned | 42: " in md  # per-seed values
    assert "macro f1 vocabulary" in md or "macro f1 (all three)" in md
    assert "macro-F1 vocabulary @0.5 (ours)" in md  # the study's definition beside its


def test_issues_of_one_kind_in_one_file_are_grouped():
    import pandas as pd

    from art_genre.pipelines.reporting.report import group_issues

    issues = pd.DataFrame(
        [
            ("labels", "artists.csv", "artist 'A' has no image in the painting folder"),
            ("labels", "artists.csv", "artist 'B' has no image in the painting folder"),
            ("decode", "x.jpg", "unreadable image (OSError: truncated)"),
            ("labels", "artists.csv", "artist 'C' has no image in the painting folder"),
        ],
        columns=["stage", "file", "reason"],
    )
    grouped = group_issues(issues)
    assert grouped.values.tolist() == [
        ["labels", "artists.csv", "artist '…' has no image in the painting folder: A, B, C", 3],
        ["decode", "x.jpg", "unreadable image (OSError: truncated)", 1],
    ]


def test_report_opens_with_its_summary(report):
    md, html, _ = report
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Summary"
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    first = summary.strip().split("\n\n")[0]
    assert "scores highest" in first and "95 % interval" in first
    assert len(re.findall(r"[.:;]\s+(?=[A-Z`])", first)) + 1 <= 8 * 2  # short
    assert html.index("<h2>Summary</h2>") < html.index("<table")


def test_no_literal_asterisks_in_the_html(report):
    _, html, _ = report
    text = re.sub(r"<[^>]+>", "", html.split("<body>", 1)[1])
    assert "*" not in text


def test_one_seed_says_so_instead_of_a_zero_spread():
    import pandas as pd

    from art_genre.pipelines.reporting.sections import mean_sd

    summary = pd.DataFrame(
        [["m", "main", "test", "none", "any_match_accuracy", 0.8, 0.0, 1],
         ["n", "main", "test", "none", "any_match_accuracy", 0.7, 0.0, 5],
         ["o", "main", "test", "none", "any_match_accuracy", 0.6, 0.01, 5]],
        columns=["model", "configuration", "split", "thresholds", "metric", "mean", "sd",
                 "n_seeds"],
    )
    assert mean_sd(summary, "m", "test", "none", "any_match_accuracy") == "0.800 (1 seed)"
    assert mean_sd(summary, "n", "test", "none", "any_match_accuracy") == (
        "0.700 (all 5 seeds equal)"
    )
    assert mean_sd(summary, "o", "test", "none", "any_match_accuracy") == "0.600 ± 0.010"


def test_skipped_inputs_say_what_was_skipped():
    import pandas as pd

    from art_genre.pipelines.reporting.sections import skipped_section

    issues = pd.DataFrame(
        [("labels", "artists.csv", f"artist 'A{i}' has no image in the painting folder")
         for i in range(46)],
        columns=["stage", "file", "reason"],
    )
    text = skipped_section(issues, 50)[0].text
    assert "46 × artists.csv: artist has no image in the painting folder" in text
