"""An image file loaded as a PIL image that is opened but not yet decoded."""

from __future__ import annotations

import io

from kedro.io.core import get_filepath_str
from kedro_datasets.pillow import ImageDataset
from PIL import Image


class LazyImageDataset(ImageDataset):
    """kedro-datasets' ``pillow.ImageDataset``, but ``load`` does not decode the pixels.

    ``pillow.ImageDataset.load`` returns ``Image.open(f).copy()``: every pixel is decoded
    at full size at once. This dataset reads the file's bytes and returns
    ``Image.open(BytesIO(bytes))``: size, mode, format and EXIF are there, the pixels are
    decoded on first use (``load()``, ``convert``, ``resize``, ``np.asarray``). That lets
    feature extraction decode a large JPEG at 1/2, 1/4 or 1/8 scale
    (``feature_engineering.backbone.jpeg_draft``); decoded normally, the pixels are the
    same as ``pillow.ImageDataset``'s. Only the compressed bytes are held until then.

    Example (catalog)::

        painting_images:
          type: partitions.PartitionedDataset
          path: ${_data_dir}
          dataset: art_genre.datasets.LazyImageDataset
    """

    def load(self) -> Image.Image:
        """The image, opened on its bytes, not decoded yet."""
        load_path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(load_path, **self._fs_open_args_load) as fs_file:
            data = fs_file.read()
        return Image.open(io.BytesIO(data))
