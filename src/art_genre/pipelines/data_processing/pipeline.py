"""Wiring of the ``data_processing`` pipeline (no logic here: see ``nodes.py``)."""

from kedro.pipeline import Node, Pipeline

from art_genre.tags import PREPARE

from .nodes import (
    build_data_quality_report,
    clean_artists,
    label_images,
    scan_image_files,
    split_paintings,
    verify_images,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Painting folder + ``artists.csv`` → labelled, split index, genre vocabulary, report."""
    return Pipeline(
        [
            Node(
                scan_image_files,
                inputs=["painting_images", "params:data_processing"],
                outputs=["image_files", "scan_issues"],
                name="scan_image_files",
            ),
            Node(
                clean_artists,
                inputs=["artists", "params:data_processing"],
                outputs=["artist_genres", "artist_issues"],
                name="clean_artists",
            ),
            Node(
                label_images,
                inputs=["image_files", "artist_genres", "artists", "params:data_processing"],
                outputs=["labelled_images", "label_issues"],
                name="label_images",
            ),
            Node(
                verify_images,
                inputs=["painting_images", "labelled_images", "params:data_processing"],
                outputs=["verified_images", "decode_issues"],
                name="verify_images",
            ),
            Node(
                split_paintings,
                inputs=["verified_images", "params:data_processing"],
                outputs=["painting_index", "genre_vocabulary", "split_summary"],
                name="split_paintings",
            ),
            Node(
                build_data_quality_report,
                inputs=["scan_issues", "artist_issues", "label_issues", "decode_issues"],
                outputs="data_quality_report",
                name="build_data_quality_report",
            ),
        ],
        # One collapsible group in kedro-viz; the dataset names stay as they are.
        namespace="data_processing",
        prefix_datasets_with_namespace=False,
        tags=PREPARE,
    )
