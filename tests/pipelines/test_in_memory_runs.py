"""Pipelines run the Kedro way: ``SequentialRunner`` over an in-memory ``DataCatalog``.

As in Kedro's spaceflights starter, each test builds a catalog of ``MemoryDataset``
inputs (``params:`` entries included: the validated parameter models Kedro would hand
the nodes), runs one registered pipeline with ``SequentialRunner`` and checks what it
wrote. No project, session, hooks or files: the pipeline's wiring and nodes only.

In Kedro 1.x ``SequentialRunner().run(pipeline, catalog)`` returns
``{output name: dataset}`` for the pipeline's free outputs (the datasets, not their
data), so each output is loaded from the returned dataset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.partitions import PartitionedDataset

from art_genre.labels import genre_lists
from art_genre.modelling import SNN
from art_genre.modelling.params import ModelParams
from art_genre.pipelines.data_processing import create_pipeline as data_processing
from art_genre.pipelines.data_processing.params import DataProcessingParams
from art_genre.pipelines.networks import network_pipeline
from tests.conftest import ROOT
from tests.synthetic import synthetic_model_input

SAMPLE = ROOT / "data/01_raw/sample"


def _run(pipeline: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run ``pipeline`` on in-memory ``inputs``; the loaded data of its free outputs."""
    catalog = DataCatalog(
        datasets={name: MemoryDataset(data, copy_mode="assign") for name, data in inputs.items()}
    )
    outputs = SequentialRunner().run(pipeline, catalog)
    assert set(outputs) == pipeline.outputs()
    return {name: dataset.load() for name, dataset in outputs.items()}


def test_data_processing_indexes_the_sample_in_memory():
    images = PartitionedDataset(
        path=str(SAMPLE), dataset="art_genre.datasets.LazyImageDataset"
    ).load()
    artists = pd.read_csv(SAMPLE / "artists.csv", encoding="utf-8-sig", skipinitialspace=True)
    params = DataProcessingParams()

    out = _run(
        data_processing(),
        {"painting_images": images, "artists": artists, "params:data_processing": params},
    )

    index = out["painting_index"]
    assert len(index) == artists["paintings"].sum() == len(images) - 1  # less artists.csv
    assert out["data_quality_report"].empty
    assert set(index["split"]) == {"train", "val", "test"}
    sizes = out["split_summary"]["n_images"]
    assert sum(sizes.values()) == len(index)
    assert sizes["test"] == round(params.split.test_size * len(index) + 0.4999)
    vocabulary = out["genre_vocabulary"]
    assert set(vocabulary.classes_) == {g for genres in genre_lists(index) for g in genres}


def _model_input() -> dict[str, Any]:
    """Separable synthetic features: each genre is a cluster in feature space."""
    return synthetic_model_input(
        (90, 30, 30), width=8, genres=[f"genre_{g}" for g in range(3)]
    )


def test_a_model_pipeline_trains_and_predicts_in_memory():
    seeds = [42, 7]
    model_input = _model_input()
    params = ModelParams.model_validate(
        {"hidden_sizes": [16], "init": "he", "epochs": 30, "batch_size": 16,
         "optimizer": {"learning_rate": 0.05}, "seeds": seeds, "n_jobs": 1}
    )

    out = _run(
        network_pipeline(SNN),
        {"model_input": model_input, f"params:{SNN}.model": params, f"params:{SNN}.name": SNN},
    )

    assert set(out) == {f"{SNN}.{kind}" for kind in ("model", "history", "predictions", "timing")}
    predictions = out[f"{SNN}.predictions"]
    assert predictions["seeds"] == seeds
    for split in ("val", "test"):
        logits, Y = predictions[split]["logits"], predictions[split]["Y"]
        assert logits.shape == (len(seeds), *model_input[split]["Y"].shape)
        np.testing.assert_array_equal(Y, model_input[split]["Y"])
        # the genres are separable: every seed's top-1 genre is right on most images
        top1 = logits.argmax(axis=2)
        assert (top1 == Y.argmax(axis=1)).mean(axis=1).min() > 0.8
    assert out[f"{SNN}.model"].genres == model_input["genres"]
    assert len(out[f"{SNN}.history"]["train_loss"]) >= 1
