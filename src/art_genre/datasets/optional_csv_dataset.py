"""A CSV file that a dataset may or may not have."""

from __future__ import annotations

import logging

import pandas as pd
from kedro_datasets.pandas import CSVDataset

logger = logging.getLogger(__name__)


class OptionalCSVDataset(CSVDataset):
    """``pandas.CSVDataset`` that loads an empty table when the file does not exist.

    Painting collections come in two kinds: the Kaggle archive, where ``artists.csv`` maps
    artists to genres, and labelled folders (``images/<Genre>/*.jpg``, as WikiArt-style
    collections come), which have no CSV at all. The catalog declares ``artists.csv`` for
    both; with this class a missing file is a normal, logged case instead of an error.
    Everything else (load and save arguments, previews in kedro-viz) is ``CSVDataset``'s.
    """

    def load(self) -> pd.DataFrame:
        """Load the CSV, or an empty ``DataFrame`` (no columns) when the file is absent."""
        if not self._exists():
            logger.info("No %s: continuing without it.", self._filepath)
            return pd.DataFrame()
        return super().load()
