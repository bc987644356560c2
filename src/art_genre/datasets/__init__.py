"""Project datasets, for the few inputs no kedro-datasets class covers as they are."""

from .optional_csv_dataset import OptionalCSVDataset
from .partitioned_cache_dataset import PartitionedCacheDataset

__all__ = ["OptionalCSVDataset", "PartitionedCacheDataset"]
