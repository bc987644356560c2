"""Nodes of ``feature_engineering``: backbone features (batched, cached), their assembly,
the PCA and the model input.

The PCA and model-input nodes are thin: the work is :mod:`art_genre.features.reduction`
(shared with ``predict`` and ``ablations``).

The feature cache is a partitioned dataset of shards, one per batch, under a folder named
by the backbone's fingerprint (:meth:`~art_genre.features.BackboneSettings.fingerprint`):

    data/04_feature/feature_cache/<fingerprint>/<shard>.npz

Each shard holds the image ids, their features, the images that failed, the backbone
settings and a content digest of each image file (:func:`digest_images`): an image
replaced under the same name with other content no longer matches its cached digest and
is extracted again. :func:`extract_features` returns the shards still missing as *lazy* callables:
Kedro's ``PartitionedDataset`` computes and writes them one at a time, so a run that is
killed keeps every finished batch and the next run does only what is missing; images added
later are extracted alone; other backbone settings write to another folder and never mix.

With ``backbone.executor: dask`` the missing shards are submitted at once as Dask tasks
(:mod:`art_genre.features.distributed`) and each lazy callable waits for its own task: the
shards are still written one by one, as they finish, in key order, with the same content.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from art_genre.features import (
    BackboneSettings,
    FeatureBatch,
    build_backbone,
    feature_width,
    iter_feature_batches,
    reduction,
)
from art_genre.features.params import FeatureEngineeringParams
from art_genre.features.reduction import check_n_components
from art_genre.quality import IssueLog, describe_error

logger = logging.getLogger(__name__)



# -------------------------------------------------------------------- the cache


def shard_key(fingerprint: str, image_ids: list[str]) -> str:
    """Partition id of the shard holding ``image_ids`` for a backbone fingerprint."""
    digest = hashlib.sha1("\n".join(image_ids).encode()).hexdigest()[:16]
    return f"{fingerprint}/{digest}"


def _manifest(load: Callable[[], Any]) -> Any:
    """A shard's ids, failures and digests without its features, where the dataset can.

    ``load`` is a ``PartitionedDataset`` loader, the bound ``load`` of an
    :class:`~art_genre.datasets.ArrayBundleDataset`, whose ``load_manifest`` reads only
    the shard's JSON member; any other loader is simply called.
    """
    read = getattr(getattr(load, "__self__", None), "load_manifest", None)
    return read() if callable(read) else load()


def _current_shards(
    shards: dict[str, Callable[[], Any]], fingerprint: str, manifest: bool = False
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Load the readable shards of one fingerprint; an unreadable one is logged, not used.

    With ``manifest``, only what :func:`_manifest` reads (no feature array).
    """
    for key in sorted(k for k in shards if k.split("/", 1)[0] == fingerprint):
        try:
            yield key, (_manifest(shards[key]) if manifest else shards[key]())
        except Exception as error:  # noqa: BLE001 - a half-written shard is redone
            logger.warning("Ignoring unreadable feature shard %s: %s", key, describe_error(error))


def digest_images(
    painting_digests: dict[str, Callable[[], str]], painting_index: pd.DataFrame
) -> dict[str, str]:
    """The content digest of every indexed image file (what the feature cache compares).

    Args:
        painting_digests: The image folder as a partitioned dataset of
            :class:`~art_genre.datasets.FileDigestDataset`: relative path → lazy digest.
        painting_index: The index from ``data_processing``.

    Returns:
        ``{image_id: digest}`` in index order.

    Raises:
        FileNotFoundError: If an indexed image is gone, naming it and the command that
            indexes the folder again.
    """
    digests = {}
    for image_id in painting_index["image_id"]:
        if image_id not in painting_digests:
            raise FileNotFoundError(
                f"{image_id} is in the painting index but no longer in the data folder; "
                f"run `kedro run --pipelines data_processing` to index it again."
            )
        digests[image_id] = painting_digests[image_id]()
    return digests


def _matches(shard: dict[str, Any], image_id: str, digests: dict[str, str] | None) -> bool:
    """Whether a cached entry is for the image's current content (always without digests)."""
    if digests is None:
        return True
    return (shard.get("digests") or {}).get(image_id) == digests.get(image_id)


def cached_image_ids(
    shards: dict[str, Callable[[], Any]],
    fingerprint: str,
    digests: dict[str, str] | None = None,
) -> set[str]:
    """Ids of the images that the cache already holds (features or a listed failure).

    With ``digests`` (:func:`digest_images`), only entries cached for the image's current
    content count: a replaced image is not "done".
    """
    done: set[str] = set()
    for _, shard in _current_shards(shards, fingerprint, manifest=True):
        ids = list(shard["image_ids"]) + [image_id for image_id, _ in shard["failures"]]
        done.update(i for i in ids if _matches(shard, i, digests))
    return done


def _shard_content(
    key: str,
    planned_ids: list[str],
    batch: FeatureBatch,
    settings: BackboneSettings,
    digests: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The cache shard of one extracted batch (the same for every executor)."""
    got = set(batch.ids) | {image_id for image_id, _ in batch.failures}
    if got != set(planned_ids):  # pragma: no cover - a broken invariant
        raise RuntimeError(f"Feature batch {key} came back with other images.")
    return {
        "image_ids": list(batch.ids),
        "features": batch.features,
        "failures": [list(f) for f in batch.failures],
        "fingerprint": settings.fingerprint(),
        "backbone": settings.to_dict(),
        "digests": {i: digests[i] for i in planned_ids} if digests else {},
    }


class _ShardProducer:
    """Computes the shards of a run in one stream, handing each out when it is saved.

    One backbone is built for the whole run, and the next batch is decoded while the model
    runs on the current one. The stream yields the planned batches in order (it chunks the
    same id list by the same size); Kedro asks for the shards one by one, and the producer
    runs the extraction just far enough to answer.
    """

    def __init__(
        self,
        batches: list[tuple[str, list[str]]],
        painting_images: dict[str, Callable[[], Any]],
        settings: BackboneSettings,
        batch_size: int,
        decode_workers: int,
        digests: dict[str, str] | None = None,
    ) -> None:
        self._digests = digests
        self._batches = batches
        self._images = painting_images
        self._settings = settings
        self._batch_size = batch_size
        self._decode_workers = decode_workers
        self._stream: Iterator[Any] | None = None
        # Built now, inside the node, so that missing ImageNet weights fail the node with
        # their own message rather than later, wrapped in the cache's save error.
        self._model = build_backbone(settings)
        self._produced = 0
        self._ready: dict[str, dict[str, Any]] = {}

    def _start(self) -> Iterator[Any]:
        items = [(i, self._images[i]) for _, ids in self._batches for i in ids]
        return iter_feature_batches(
            items,
            self._model,
            self._settings,
            batch_size=self._batch_size,
            decode_workers=self._decode_workers,
            total=len(items),
        )

    def get(self, key: str) -> dict[str, Any]:
        """The shard ``key``, extracting batches up to it if needed."""
        if self._stream is None:
            self._stream = self._start()
        while key not in self._ready:
            batch = next(self._stream)
            planned_key, planned_ids = self._batches[self._produced]
            self._produced += 1
            self._ready[planned_key] = _shard_content(
                planned_key, planned_ids, batch, self._settings, self._digests
            )
        return self._ready.pop(key)


class _DaskShardProducer:
    """Submits every planned shard as a Dask task now; hands each out when Kedro asks.

    Kedro saves the shards in sorted key order, so they are submitted in that order (the
    first asked for run first). The cluster is closed when the last shard is handed out
    or a task fails (see :class:`~art_genre.features.distributed.DaskBatchExtraction`).
    """

    def __init__(
        self,
        batches: list[tuple[str, list[str]]],
        painting_images: dict[str, Callable[[], Any]],
        params: FeatureEngineeringParams,
        digests: dict[str, str] | None = None,
    ) -> None:
        from art_genre.features.distributed import DaskBatchExtraction

        self._digests = digests
        self._settings = params.backbone.settings()
        self._planned = dict(batches)
        dask = params.dask
        self.extraction = DaskBatchExtraction(
            [(key, [(i, painting_images[i]) for i in ids]) for key, ids in sorted(batches)],
            self._settings,
            address=dask.address,
            n_workers=dask.n_workers,
            threads_per_worker=dask.threads_per_worker,
            tf_threads=dask.tf_threads,
            retries=dask.retries,
            decode_workers=params.backbone.decode_workers,
            dashboard_address=dask.dashboard_address,
            max_in_flight=dask.max_in_flight,
        )

    def get(self, key: str) -> dict[str, Any]:
        """The shard ``key`` once its task has finished (each shard once)."""
        batch = self.extraction.result(key)
        return _shard_content(key, self._planned[key], batch, self._settings, self._digests)


def extract_features(
    painting_images: dict[str, Callable[[], Any]],
    painting_index: pd.DataFrame,
    cached_feature_shards: dict[str, Callable[[], Any]],
    params: FeatureEngineeringParams,
    image_digests: dict[str, str] | None = None,
) -> dict[str, Callable[[], dict[str, Any]]]:
    """The cache shards still missing for the indexed images, as lazy callables.

    Args:
        painting_images: The partitioned image dataset: relative path → lazy loader.
        painting_index: The index from ``data_processing``.
        cached_feature_shards: The cache as it is on disk (lazy loaders).
        params: The pipeline's parameters.
        image_digests: The images' content digests (:func:`digest_images`): an image
            cached with another digest is extracted again. ``None``: by name only.

    Returns:
        ``{shard key: callable}``; Kedro calls each one and writes its shard before the
        next. Empty when the cache already holds every image. With the ``dask`` executor
        every shard is already submitted to the cluster when this returns; a callable
        waits for its own shard's task.
    """
    settings = params.backbone.settings()
    _log_engine(params)
    n_fit = (
        int((painting_index["split"] == "train").sum())
        if params.pca.fit_on == "train"
        else len(painting_index)
    )
    check_n_components(params.pca, n_fit, feature_width(settings))  # before any work
    fingerprint = settings.fingerprint()
    done = cached_image_ids(cached_feature_shards, fingerprint, image_digests)
    todo = [i for i in painting_index["image_id"] if i not in done]
    size = params.backbone.batch_size
    batches = [(shard_key(fingerprint, ids), ids) for ids in _chunks(todo, size)]
    logger.info(
        "Backbone %s (fingerprint %s): %d of %d images cached, %d to extract in %d batches.",
        settings.name,
        fingerprint,
        len(painting_index) - len(todo),
        len(painting_index),
        len(todo),
        len(batches),
    )
    if not batches:
        return {}
    if params.backbone.executor == "dask":
        dask_producer = _DaskShardProducer(batches, painting_images, params, image_digests)
        return {key: partial(dask_producer.get, key) for key, _ in batches}
    producer = _ShardProducer(
        batches,
        painting_images,
        settings,
        size,
        params.backbone.decode_workers,
        image_digests,
    )
    return {key: (lambda key=key: producer.get(key)) for key, _ in batches}


def _log_engine(params: FeatureEngineeringParams) -> None:
    engine, why = params.backbone.engine_choice()
    logger.info(
        "Backbone engine %s, precision %s (%s).", engine, params.backbone.precision, why
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def assemble_features(
    feature_shards: dict[str, Callable[[], Any]],
    painting_index: pd.DataFrame,
    params: FeatureEngineeringParams,
    image_digests: dict[str, str] | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Gather the cached features of the indexed images, in index order.

    Args:
        feature_shards: The cache after extraction (lazy loaders).
        painting_index: The index from ``data_processing``.
        params: The pipeline's parameters.
        image_digests: The images' content digests: only features cached for an image's
            current content are used. ``None``: by name only.

    Returns:
        ``painting_features`` (``image_ids``, ``features`` float32 ``(n, D)``,
        ``fingerprint``, ``backbone``) and the images without features (failed to decode
        for the backbone), listed as issues.

    Raises:
        ValueError: If an indexed image is in no shard (the extraction did not run), or
            a shard's features cannot be read.

    The shards' manifests (ids, failures, digests: no features) say where each row is;
    the rows are then copied into one preallocated ``(n, D)`` array one shard at a time,
    reading only the shards that hold a needed row: peak memory is about the final
    matrix (``benchmarks/assembly_memory.py``).
    """
    settings = params.backbone.settings()
    fingerprint = settings.fingerprint()
    issues = IssueLog("features", params.on_bad_input)
    where, failed = _locate_rows(feature_shards, fingerprint, image_digests)
    ids: list[str] = []
    for image_id in painting_index["image_id"]:
        if image_id in where:
            ids.append(image_id)
        elif image_id in failed:
            issues.add(image_id, f"no features: {failed[image_id]}")
        else:
            raise ValueError(
                f"{image_id} has no cached features for backbone fingerprint "
                f"{fingerprint}; run the feature_engineering pipeline."
            )
    features = _fill_features(feature_shards, ids, where, feature_width(settings))
    logger.info("Features: %d images x %d.", *features.shape)
    painting_features = {
        "image_ids": ids,
        "features": features,
        "fingerprint": fingerprint,
        "backbone": settings.to_dict(),
    }
    return painting_features, issues.to_frame()


def _locate_rows(
    shards: dict[str, Callable[[], Any]], fingerprint: str, digests: dict[str, str] | None
) -> tuple[dict[str, tuple[str, int]], dict[str, str]]:
    """Pass 1, manifests only: where each image's row is (the first shard in key order),
    and why each image that failed failed: ``({id: (key, row)}, {id: reason})``."""
    where: dict[str, tuple[str, int]] = {}
    failed: dict[str, str] = {}
    for key, shard in _current_shards(shards, fingerprint, manifest=True):
        for row, image_id in enumerate(shard["image_ids"]):
            if _matches(shard, image_id, digests):
                where.setdefault(image_id, (key, row))
        for image_id, reason in shard["failures"]:
            if _matches(shard, image_id, digests):
                failed.setdefault(image_id, reason)
    return where, failed


def _fill_features(
    shards: dict[str, Callable[[], Any]],
    ids: list[str],
    where: dict[str, tuple[str, int]],
    width: int,
) -> np.ndarray:
    """Pass 2: copy the needed rows into one preallocated array, one shard at a time.

    Peak memory is the final ``(n, width)`` matrix plus one shard; a shard none of whose
    rows is needed is never read.
    """
    features = np.empty((len(ids), width), dtype=np.float32)
    by_shard: dict[str, tuple[list[int], list[int]]] = {}
    for out_row, image_id in enumerate(ids):
        key, row = where[image_id]
        outs, rows = by_shard.setdefault(key, ([], []))
        outs.append(out_row)
        rows.append(row)
    for key in sorted(by_shard):
        outs, rows = by_shard[key]
        try:
            shard = shards[key]()
        except Exception as error:
            raise ValueError(
                f"Feature shard {key} lists its images but its features cannot be read "
                f"({describe_error(error)}); delete it and run the feature_engineering "
                "pipeline again."
            ) from error
        block = np.asarray(shard["features"])
        if block.ndim != 2 or block.shape[1] != width:
            raise ValueError(
                f"Feature shard {key} holds features of shape {block.shape}, expected "
                f"(n, {width}); delete it and run the feature_engineering pipeline again."
            )
        features[outs] = block[rows]
        del shard, block
    return features


def describe_backbone(params: FeatureEngineeringParams) -> dict[str, Any]:
    """The backbone settings of this run and their fingerprint, saved with the models.

    ``predict`` rebuilds exactly this backbone for new paintings, whatever the parameters
    say by then, and refuses a PCA or model made from other settings.
    """
    settings = params.backbone.settings()
    return {
        **settings.to_dict(),
        "batch_size": params.backbone.batch_size,
        "fingerprint": settings.fingerprint(),
    }


def fit_pca(
    painting_features: dict[str, Any],
    painting_index: pd.DataFrame,
    params: FeatureEngineeringParams,
) -> tuple[Any, Any, dict[str, Any]]:
    """The scaler, the PCA (fitted on the training split unless ``pca.fit_on: all``) and
    their summary: :func:`art_genre.features.reduction.fit_pca`."""
    return reduction.fit_pca(painting_features, painting_index, params)


def build_model_input(
    painting_features: dict[str, Any],
    painting_index: pd.DataFrame,
    genre_vocabulary: Any,
    feature_scaler: Any,
    pca: Any,
) -> dict[str, Any]:
    """Reduced features and multi-hot targets of every split:
    :func:`art_genre.features.reduction.build_model_input`."""
    return reduction.build_model_input(
        painting_features, painting_index, genre_vocabulary, feature_scaler, pca
    )
