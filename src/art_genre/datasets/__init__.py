"""Project datasets: small extensions of kedro-datasets classes where none fits as is."""

from .artefacts import (
    ArrayBundleDataset,
    ArtefactDatasetError,
    BoundThresholdsDataset,
    GenreClassifierDataset,
    GenreVocabularyDataset,
    TransformDataset,
)
from .atomic import (
    AtomicCSVDataset,
    AtomicJSONDataset,
    AtomicSaveMixin,
)
from .bundle import ModelBundleDataset, RegisteredBundleDataset
from .concurrent_partitioned_dataset import ConcurrentPartitionedDataset
from .figure_png_dataset import FigurePNGDataset
from .file_digest_dataset import FileDigestDataset
from .html_report_dataset import HTMLReportDataset
from .lazy_image_dataset import LazyImageDataset
from .optional_csv_dataset import OptionalCSVDataset
from .optional_json_dataset import OptionalJSONDataset
from .partitioned_cache_dataset import PartitionedCacheDataset

__all__ = [
    "ModelBundleDataset",
    "RegisteredBundleDataset",
    "ArrayBundleDataset",
    "ArtefactDatasetError",
    "BoundThresholdsDataset",
    "GenreClassifierDataset",
    "GenreVocabularyDataset",
    "TransformDataset",
    "AtomicCSVDataset",
    "AtomicJSONDataset",
    "AtomicSaveMixin",
    "ConcurrentPartitionedDataset",
    "FigurePNGDataset",
    "FileDigestDataset",
    "HTMLReportDataset",
    "LazyImageDataset",
    "OptionalCSVDataset",
    "OptionalJSONDataset",
    "PartitionedCacheDataset",
]
