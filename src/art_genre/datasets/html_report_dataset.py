"""An HTML file dataset that kedro-viz shows as a rendered preview."""

from __future__ import annotations

from kedro_datasets._typing import HTMLPreview
from kedro_datasets.text import TextDataset


class HTMLReportDataset(TextDataset):
    """``text.TextDataset`` for an HTML document, previewed as HTML in kedro-viz.

    kedro-viz (≥ 12.2) renders a dataset's ``preview()`` as HTML when its return type is
    ``HTMLPreview``: clicking the report in the DAG shows the report itself, plots
    included (``kedro viz build --include-previews`` puts it in the static site too).
    Saving and loading are the parent's.

    Example (catalog)::

        report_html:
          type: art_genre.datasets.HTMLReportDataset
          filepath: data/08_reporting/report.html
          fs_args:
            open_args_save: {mode: w, encoding: utf-8}
            open_args_load: {encoding: utf-8}
    """

    def preview(self) -> HTMLPreview:
        """The document as it was saved, for kedro-viz to render.

        Returns:
            The HTML text.
        """
        return HTMLPreview(self.load())
