"""A Matplotlib figure dataset that can also be read back, as the PNG it wrote."""

from __future__ import annotations

from kedro.io.core import get_filepath_str
from kedro_datasets.matplotlib import MatplotlibDataset


class FigurePNGDataset(MatplotlibDataset):
    """``matplotlib.MatplotlibDataset`` whose ``load`` returns the saved image's bytes.

    Kedro hands a node's output to the next node by saving it and loading it again
    from the catalog, and ``MatplotlibDataset`` refuses to load. This subclass saves
    one figure exactly as its parent does (``save_args`` go to ``Figure.savefig``;
    kedro-viz previews it the same way) and loads the written file as ``bytes``, so
    the HTML report embeds the very PNG files under ``data/08_reporting/plots/``.

    Example (catalog)::

        plot_model_comparison:
          type: art_genre.datasets.FigurePNGDataset
          filepath: data/08_reporting/plots/model_comparison.png
          save_args: {format: png, dpi: 110}
    """

    def load(self) -> bytes:  # type: ignore[override]
        """The saved image file, as bytes.

        Returns:
            The file's content (a PNG with the default ``save_args``).

        Raises:
            FileNotFoundError: If the figure has not been saved yet.
        """
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(load_path, mode="rb") as image:
            return image.read()
