"""A Matplotlib figure dataset that can also be read back, as the PNG it wrote."""

from __future__ import annotations

import io
from typing import Any

from kedro.io.core import get_filepath_str
from kedro_datasets.matplotlib import MatplotlibDataset
from matplotlib.figure import Figure
from PIL import Image


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

    With ``colours`` (e.g. 256) the PNG is written with a palette of that many colours
    (fast octree, no dithering): a figure made mostly of photographs (the report's
    class activation map gallery) then takes a fraction of the bytes of its RGBA PNG, with
    no difference a reader would notice::

        plot_cam_gallery:
          type: art_genre.datasets.FigurePNGDataset
          filepath: data/08_reporting/plots/cam_gallery.png
          save_args: {format: png, dpi: 90}
          colours: 256
    """

    def __init__(self, *, colours: int | None = None, **kwargs: Any) -> None:
        if colours is not None and not 2 <= int(colours) <= 256:
            raise ValueError(f"colours must be between 2 and 256, got {colours}.")
        super().__init__(**kwargs)
        self._colours = None if colours is None else int(colours)

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "colours": self._colours}

    def _save_to_fs(self, full_key_path: str, plot: Figure) -> None:
        if self._colours is None:
            super()._save_to_fs(full_key_path, plot)
            return
        buffer = io.BytesIO()
        plot.savefig(buffer, **{**self._save_args, "format": "png"})
        with Image.open(buffer) as image:
            palette = image.convert("RGB").quantize(
                self._colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
            )
        out = io.BytesIO()
        palette.save(out, format="PNG", optimize=True)
        with self._fs.open(full_key_path, **self._fs_open_args_save) as fs_file:
            fs_file.write(out.getvalue())

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
