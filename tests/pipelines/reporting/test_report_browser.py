"""``report.html`` as a reader sees it: real Chromium through Playwright, 1,280 px wide.

Skipped where Playwright or Chromium is missing, except under
``ART_GENRE_REQUIRE_BROWSER=1`` (as the kedro-viz browser tests).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest

from art_genre.pipelines.reporting.nodes import collect_timings
from art_genre.pipelines.reporting.plots import plot_model_comparison, plot_reliability
from art_genre.pipelines.reporting.report import build_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # a report rendered in Chromium

VIEWPORT = {"width": 1280, "height": 900}
DPI = 110  # the catalog's save_args for the plots
LABEL_POINTS = 7  # the smallest value labels of the report's figures


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, or a skip naming what is missing."""
    executable = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = [w for w, ok in (("playwright", sync_playwright), ("chromium", executable)) if not ok]
    if missing:
        if os.environ.get("ART_GENRE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no {' and no '.join(missing)}")
        pytest.skip(f"no {' and no '.join(missing)}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


def _png(fig) -> bytes:
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


@pytest.fixture
def page(browser, tmp_path, evaluated, predictions, calibrations, histories, timings,
         model_params, split_summary, issues, pca_summary, feature_params, reporting_params):
    timing = collect_timings(timings, histories)
    plots = {
        "model_comparison": _png(plot_model_comparison(
            evaluated["intervals"], evaluated["results"], timing, reporting_params)),
        "reliability": _png(plot_reliability(predictions, calibrations,
                                             reporting_params["calibration"])),
    }
    _, html = build_report(
        evaluated["results"], evaluated["intervals"], evaluated["pairwise"],
        evaluated["per_genre_metrics"], evaluated["thresholds"], timing, histories,
        model_params, calibrations, split_summary, issues[0], issues[1], pca_summary,
        feature_params, reporting_params, **plots,
    )
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    view = browser.new_page(viewport=VIEWPORT)
    view.goto(path.as_uri())
    yield view
    view.close()


def test_summary_comes_first(page):
    headings = page.eval_on_selector_all("h1, h2", "hs => hs.map(h => h.textContent)")
    assert headings[1] == "Summary"
    first_table = page.eval_on_selector("table", "t => t.getBoundingClientRect().top")
    summary = page.eval_on_selector("h2 + p", "p => p.getBoundingClientRect().top")
    assert summary < first_table


def test_nothing_is_wider_than_the_page(page):
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"horizontal overflow: {scroll} px in a {client} px window"
    too_wide = page.eval_on_selector_all(
        "table", "ts => ts.filter(t => t.getBoundingClientRect().right > "
        "document.documentElement.clientWidth).length"
    )
    assert too_wide == 0


def test_no_literal_asterisks_and_emphasis_rendered(page):
    text = page.evaluate("document.body.innerText")
    assert "*" not in text
    assert page.eval_on_selector_all("strong", "s => s.length") > 0


def test_figure_labels_stay_legible_at_page_width(page):
    """The smallest value label (7 pt at 110 dpi, 10.7 px in the file) is at least 9 px
    on screen: the figure is shown at >= 84 % of its size."""
    scales = page.eval_on_selector_all(
        "figure img", "is => is.map(i => i.getBoundingClientRect().width / i.naturalWidth)"
    )
    assert scales
    for scale in scales:
        assert LABEL_POINTS * DPI / 72 * scale >= 9
