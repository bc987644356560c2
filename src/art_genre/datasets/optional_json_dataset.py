"""A JSON file that may or may not be there."""

from __future__ import annotations

from typing import Any

from kedro_datasets.json import JSONDataset


class OptionalJSONDataset(JSONDataset):
    """``json.JSONDataset`` that loads ``{}`` when the file does not exist.

    For records a run may read but not every run has: a model's calibration (none: the
    model is not calibrated) or the training run's manifest. The reader says what an
    empty record means; loading and saving are otherwise ``JSONDataset``'s.
    """

    def load(self) -> Any:
        """The record, or ``{}`` when the file is absent."""
        if not self._exists():
            return {}
        return super().load()
