"""The model bundle as an MLflow pyfunc model: image paths in, genres out.

:class:`GenreModel` is an ``mlflow.pyfunc.PythonModel`` logged "from code"
(:mod:`art_genre.serving_entry` is the code, the bundle ``.npz`` its one artifact): MLflow
pickles nothing, and loading reads the bundle with ``allow_pickle=False``. Its input is a
DataFrame with a ``path`` column (image files); its output has the columns of
``predict``'s ``predictions.csv``: ``file``, ``model``, ``genre_1``, ``probability_1`` ...
``genres`` (every genre at or above its tuned threshold) and ``error``.

Usage, in any process with art_genre installed::

    import mlflow, pandas as pd
    model = mlflow.pyfunc.load_model("models:/art_genre/1")
    model.predict(pd.DataFrame({"path": ["a.jpg", "b.png"]}))
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema
from PIL import Image

from art_genre.evaluation.decision import decide, ranked_cells, ranked_columns
from art_genre.modelling.bundle import ModelBundle, read_bundle

BUNDLE_ARTIFACT = "bundle"
"""The artifact key (and file stem) of the bundle inside the logged model."""
TOP_K = 3
"""Genres listed per image unless ``params={"top_k": k}``."""
LISTED = ("genre", "probability")
"""What the table shows of each listed genre (``predictions.csv`` also shows the
threshold and the decision)."""


def output_columns(top_k: int) -> list[str]:
    """The output table's columns for ``top_k`` listed genres (a subset of
    ``predictions.csv``'s)."""
    return ["file", "model", *ranked_columns(top_k, LISTED), "error"]


def signature(top_k: int = TOP_K) -> ModelSignature:
    """The logged model's signature: ``path`` in, the prediction table out."""
    outputs = [ColSpec("string", c) if not c.startswith("probability") else
               ColSpec("double", c) for c in output_columns(top_k)]
    return ModelSignature(
        inputs=Schema([ColSpec("string", "path")]),
        outputs=Schema(outputs),
        params=ParamSchema([ParamSpec("top_k", "long", top_k)]),
    )


def _opener(path: str) -> Any:
    """A loader of the file's image, opened on its bytes and decoded on first use
    (as the ``predict`` pipeline's ``LazyImageDataset``)."""
    return lambda: Image.open(io.BytesIO(Path(path).read_bytes()))


def predict_paths(bundle: ModelBundle, paths: list[str], top_k: int = TOP_K) -> pd.DataFrame:
    """The prediction table of image files, in input order (failures have ``error``)."""
    from art_genre.features import (
        BackboneSettings,
        build_backbone,
        iter_feature_batches,
    )

    settings = BackboneSettings(**bundle.backbone)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    failures: dict[str, str] = {}
    if paths:
        backbone = build_backbone(settings)
        for batch in iter_feature_batches(
            [(p, _opener(p)) for p in paths], backbone, settings,
            batch_size=bundle.batch_size, progress=False,
        ):
            ids.extend(batch.ids)
            parts.append(batch.features)
            failures.update(batch.failures)
    features = np.concatenate(parts) if parts else None
    return prediction_table(bundle, paths, ids, features, failures, top_k)


def prediction_table(
    bundle: ModelBundle, paths: list[str], ids: list[str], features: np.ndarray | None,
    failures: dict[str, str], top_k: int = TOP_K,
) -> pd.DataFrame:
    """:func:`predict_paths`'s table from the backbone features of ``ids``.

    The genres are decided as ``predict`` decides them
    (:func:`~art_genre.evaluation.decision.decide`, on the logits of all the features
    at once: the same floats to the bit) and written as its table writes them
    (:func:`~art_genre.evaluation.decision.ranked_cells`).

    Args:
        bundle: The model bundle.
        paths: Every input file, in input order (the table's rows).
        ids: The files with features, row-aligned with ``features``.
        features: Their backbone features (``None`` without any).
        failures: ``{file: why it has no features}``.
        top_k: Genres listed per file.
    """
    k = min(top_k, len(bundle.genres))
    columns = output_columns(k)
    rows = {file: [file, bundle.model, *([""] * (len(columns) - 3)), reason]
            for file, reason in failures.items()}
    if ids:
        decisions = decide(bundle.logits(features), bundle.thresholds, bundle.temperature)
        for i, image_id in enumerate(ids):
            cells = ranked_cells(decisions, i, bundle.genres, k, LISTED)
            rows[image_id] = [image_id, bundle.model, *cells, ""]
    table = pd.DataFrame([rows[p] for p in paths], columns=columns)
    for column in columns:
        if column.startswith("probability"):
            table[column] = pd.to_numeric(table[column]).astype(np.float64)
    return table


with warnings.catch_warnings():
    # MLflow derives a schema from ``predict``'s type hints; a DataFrame hint gives none
    # ("inferred as AnyType"): the explicit :func:`signature` is logged instead.
    warnings.filterwarnings("ignore", ".*Any type hint is inferred as AnyType", UserWarning)

    class GenreModel(mlflow.pyfunc.PythonModel):
        """The bundle behind MLflow's pyfunc interface (see the module doc)."""

        def __init__(self) -> None:
            self.bundle: ModelBundle | None = None

        def load_context(self, context: Any) -> None:
            """Read the bundle artifact (no pickle; every hash checked)."""
            path = context.artifacts[BUNDLE_ARTIFACT]
            with open(path, "rb") as file:
                self.bundle = read_bundle(file, path)

        def predict(
            self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
        ) -> pd.DataFrame:
            """Genres of the images named in ``model_input["path"]``.

            Raises:
                ValueError: If ``model_input`` has no ``path`` column.
            """
            if self.bundle is None:
                raise RuntimeError("The bundle is not loaded (load the model with MLflow).")
            if "path" not in model_input.columns:
                raise ValueError(
                    f"The input needs a 'path' column of image files; it has "
                    f"{list(model_input.columns)}."
                )
            top_k = int((params or {}).get("top_k", TOP_K))
            return predict_paths(self.bundle, [str(p) for p in model_input["path"]], top_k)
