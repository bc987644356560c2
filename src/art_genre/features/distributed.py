"""Feature extraction on a Dask cluster: one task per batch, one backbone per worker.

The client side (:class:`DaskBatchExtraction`) submits every batch as its own task, in the
order the results will be asked for, and hands each result out when asked, releasing it
on the cluster. The worker side (:func:`extract_batch`) runs the batch through
:func:`~art_genre.features.extraction.iter_feature_batches` with a backbone it builds once
per worker process and settings (a module-level cache keyed by the fingerprint), so
thousands of tasks cost one model build per worker, not one per task.

A worker that dies loses its running tasks and its unfetched results: the scheduler
reruns them on the other workers (Dask's ``distributed.scheduler.allowed-failures``);
a task that *raises* is retried ``retries`` times. A ``LocalCluster`` started here is
closed when the last result is handed out, when a result fails, on :meth:`close`, when
the extraction object is garbage collected, or at interpreter exit, whichever is first.

Workers must be able to import ``art_genre`` (the task function is sent by reference)
and to call the items' loaders (``PartitionedDataset`` loaders are bound ``load``
methods of picklable kedro datasets: local paths are absolute, so remote workers need
them on a shared mount, or fsspec URLs such as ``s3://``).
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import pickle
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from art_genre.features.backbones import build_backbone, run_backbone
from art_genre.features.extraction import FeatureBatch, iter_feature_batches
from art_genre.features.settings import BackboneSettings, feature_width

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client, Future, LocalCluster

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ worker side

_MODELS: dict[str, _SerialModel] = {}
_BUILDS: dict[str, int] = {}
_MODELS_LOCK = threading.Lock()
_MAX_MODELS = 2
"""Backbones a worker keeps (runs with other settings may share long-lived workers)."""


class _SerialModel:
    """A backbone whose model calls take turns (tasks of one worker share it).

    Only ``predict_on_batch`` is guarded: tasks running on other threads of the worker
    decode their images meanwhile, and TensorFlow already uses every core it may.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self._lock = threading.Lock()

    def predict_on_batch(self, x: np.ndarray) -> Any:
        with self._lock:
            return run_backbone(self.model, x)


def _limit_tf_threads(n: int | None) -> None:
    if n is None:
        return
    import tensorflow as tf  # noqa: PLC0415 - heavy import, deferred on purpose

    threading_config = tf.config.threading
    if threading_config.get_intra_op_parallelism_threads() == n:
        return
    try:
        threading_config.set_intra_op_parallelism_threads(n)
        threading_config.set_inter_op_parallelism_threads(n)
    except RuntimeError as error:  # TF already ran something in this process
        logger.warning("Cannot limit TensorFlow to %d threads here: %s", n, error)


_EXIT_HOOK: list[bool] = []


def _exit_quickly() -> None:
    """Skip the final garbage collection when this worker process exits (once).

    With TensorFlow loaded, that collection takes seconds, longer than the nanny waits
    (it then kills the worker, with a warning), and a ``LocalCluster`` would hold the last
    shard of a run for that long. Freezing the heap at exit skips it: the work is done
    and the operating system frees the memory anyway.
    """
    if not _EXIT_HOOK:
        _EXIT_HOOK.append(True)
        atexit.register(gc.freeze)


def _build_in_worker(settings: BackboneSettings, threads: int | None = None) -> Any:
    """Build the backbone in this process (random weights depend on ``seed`` alone)."""
    try:
        from distributed import get_worker  # noqa: PLC0415

        get_worker()
    except (ImportError, ValueError):  # not in a Dask worker
        return build_backbone(settings, threads=threads)
    _exit_quickly()
    return build_backbone(settings, threads=threads)


def cached_backbone(
    settings: BackboneSettings, fingerprint: str, tf_threads: int | None = None
) -> _SerialModel:
    """The backbone of ``settings`` in this process, built on first use only.

    Args:
        settings: Backbone settings.
        fingerprint: ``settings.fingerprint()`` as the client computed it (the key).
        tf_threads: TensorFlow threads to set before the first build (``None``: TF's).

    Returns:
        The shared model (``predict_on_batch`` serialised between threads).

    Raises:
        RuntimeError: If this process computes another fingerprint for the settings
            (another Keras version for random weights, another weights file): its
            features would not be the ones the cache folder promises.
    """
    with _MODELS_LOCK:
        model = _MODELS.get(fingerprint)
        if model is None:
            here = settings.fingerprint()
            if here != fingerprint:
                raise RuntimeError(
                    f"Backbone fingerprint {here} on this worker differs from the "
                    f"client's {fingerprint} (another Keras version or weights file?)."
                )
            _limit_tf_threads(tf_threads)
            model = _SerialModel(_build_in_worker(settings, tf_threads))
            while len(_MODELS) >= _MAX_MODELS:  # another run's settings: make room
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[fingerprint] = model
            _BUILDS[fingerprint] = _BUILDS.get(fingerprint, 0) + 1
    return model


def backbone_builds() -> dict[str, int]:
    """How many backbones this process built, by fingerprint (for checks and tests).

    Lock-free: ``client.run`` calls it on the event loop, which a build may be waiting on.
    """
    return dict(_BUILDS)


def warm_up(settings: BackboneSettings, fingerprint: str, tf_threads: int | None = None) -> int:
    """Build (or find) the cached backbone; submit it as a task to each worker.

    Returns:
        The worker's process id.
    """
    cached_backbone(settings, fingerprint, tf_threads)
    return os.getpid()


def extract_batch(
    items: Sequence[tuple[str, Callable[[], Any]]],
    settings: BackboneSettings,
    fingerprint: str,
    decode_workers: int = 1,
    tf_threads: int | None = None,
) -> FeatureBatch:
    """The features of one batch, computed with this process's cached backbone.

    This is the task function: the items are ``(image_id, load_fn)`` pairs whose loaders
    the worker calls (an image that fails to load is a failure of the batch, as locally).

    Returns:
        One :class:`~art_genre.features.FeatureBatch` for all the items.
    """
    if not items:
        return FeatureBatch([], np.empty((0, feature_width(settings)), np.float32))
    model = cached_backbone(settings, fingerprint, tf_threads)
    batches = list(
        iter_feature_batches(
            list(items),
            model,  # type: ignore[arg-type] - iter_feature_batches only predicts
            settings,
            batch_size=len(items),
            progress=False,
            decode_workers=decode_workers,
        )
    )
    (batch,) = batches
    return batch


# ------------------------------------------------------------------ client side


def _shutdown(
    futures: dict[str, Future], client: Client | None, cluster: LocalCluster | None
) -> None:
    """Cancel what is left, close the client and the cluster we started (once)."""
    pending = list(futures.values())
    futures.clear()
    try:
        if pending and client is not None and client.status == "running":
            client.cancel(pending)
    except Exception as error:  # noqa: BLE001 - shutting down: report, keep going
        logger.debug("Cancelling Dask tasks failed: %s", error)
    for name, resource in (("client", client), ("cluster", cluster)):
        if resource is None:
            continue
        try:
            resource.close()
        except Exception as error:  # noqa: BLE001
            logger.debug("Closing the Dask %s failed: %s", name, error)


def _check_picklable(items: Sequence[tuple[str, Any]]) -> None:
    if not items:
        return
    image_id, loader = items[0]
    try:
        pickle.dumps(loader)
    except Exception as error:
        raise TypeError(
            f"The loader of {image_id!r} ({loader!r}) cannot be pickled, so it cannot be "
            "sent to Dask workers; use a catalog dataset (a PartitionedDataset's "
            f"loaders are picklable): {error}"
        ) from error


def _connect(
    address: str | None, n_workers: int, threads_per_worker: int, dashboard_address: str | None
) -> tuple[LocalCluster | None, Client]:
    """A client of the scheduler at ``address``, or of a new ``LocalCluster`` (closed
    again if the client cannot connect): ``(cluster or None, client)``."""
    from distributed import Client, LocalCluster  # noqa: PLC0415 - optional, heavy

    if address is not None:
        return None, Client(address)
    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        dashboard_address=dashboard_address,
    )
    try:
        return cluster, Client(cluster)
    except BaseException:
        cluster.close()
        raise


class DaskBatchExtraction:
    """Extract planned batches on a Dask cluster; hand out each result once, in any order.

    Args:
        batches: ``(key, items)`` per batch, ``items`` being ``(image_id, load_fn)``
            pairs; submitted in this order (give the order results will be asked for).
        settings: Backbone settings.
        address: A running scheduler, or ``None`` to start a ``LocalCluster``.
        n_workers: ``LocalCluster`` worker processes.
        threads_per_worker: ``LocalCluster`` threads per worker.
        tf_threads: TensorFlow threads per worker process (``None``: TF's default).
        retries: Extra attempts of a task that raised.
        decode_workers: Threads decoding a batch's images on the worker.
        dashboard_address: ``LocalCluster`` dashboard (``None``: none).
        progress: Show a progress bar of the images handed out.
        max_in_flight: At most this many tasks submitted and not yet handed out
            (``None``: every batch at once). The next batch is submitted as each result
            is handed out, so a plan of a million images neither floods the scheduler
            nor holds every task (and its result) on the cluster at once.
    """

    def __init__(
        self,
        batches: Sequence[tuple[str, Sequence[tuple[str, Callable[[], Any]]]]],
        settings: BackboneSettings,
        *,
        address: str | None = None,
        n_workers: int = 2,
        threads_per_worker: int = 2,
        tf_threads: int | None = None,
        retries: int = 2,
        decode_workers: int = 1,
        dashboard_address: str | None = None,
        progress: bool = True,
        max_in_flight: int | None = None,
    ) -> None:
        _check_picklable(batches[0][1] if batches else [])
        self.settings = settings
        self.fingerprint = settings.fingerprint()
        self._sizes = {key: len(items) for key, items in batches}
        self._futures: dict[str, Future] = {}
        self.n_submitted = 0
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {max_in_flight}.")
        self.max_in_flight = max_in_flight
        self._queue: deque[tuple[str, Sequence[tuple[str, Callable[[], Any]]]]] = deque()
        self._task_args: tuple[int, int, int | None] = (retries, decode_workers, tf_threads)
        self._run = uuid.uuid4().hex[:8]
        started = time.perf_counter()
        self.cluster, self.client = _connect(
            address, n_workers, threads_per_worker, dashboard_address
        )
        self._finalizer = weakref.finalize(
            self, _shutdown, self._futures, self.client, self.cluster
        )
        try:
            self._queue.extend(batches)
            self._top_up()
        except BaseException:
            self.close()
            raise
        workers = len(self.client.nthreads())
        logger.info(
            "Dask %s (%d workers, dashboard %s): %d feature batches submitted in %.1f s.",
            address or "LocalCluster",
            workers,
            self.client.dashboard_link if dashboard_address or address else "off",
            len(batches),
            time.perf_counter() - started,
        )
        if not workers:
            logger.warning("The Dask scheduler has no workers yet: the tasks wait for one.")
        total = sum(self._sizes.values())
        self._bar = tqdm(
            total=total,
            desc="Extracting features (dask)",
            unit="img",
            disable=not progress,
            smoothing=0.1,
        )

    def _submit_next(self) -> None:
        key, items = self._queue.popleft()
        retries, decode_workers, tf_threads = self._task_args
        n = self.n_submitted
        self._futures[key] = self.client.submit(
            extract_batch,
            list(items),
            self.settings,
            self.fingerprint,
            decode_workers,
            tf_threads,
            key=f"extract_batch-{key.replace('/', '-')}-{self._run}",
            retries=retries,
            priority=-n,  # the first asked for first
            pure=False,
        )
        self.n_submitted += 1

    def _top_up(self) -> None:
        """Submit queued batches until ``max_in_flight`` tasks are on the cluster."""
        limit = self.max_in_flight
        while self._queue and (limit is None or len(self._futures) < limit):
            self._submit_next()

    @property
    def closed(self) -> bool:
        """True once the client (and a ``LocalCluster`` started here) are closed."""
        return not self._finalizer.alive

    @property
    def pending(self) -> list[str]:
        """Keys of the batches not handed out yet (submitted, then still queued)."""
        return list(self._futures) + [key for key, _ in self._queue]

    @property
    def in_flight(self) -> int:
        """Tasks submitted to the cluster and not handed out yet."""
        return len(self._futures)

    def result(self, key: str) -> FeatureBatch:
        """Wait for batch ``key`` and return it (once); the last one closes the cluster.

        Raises:
            KeyError: If ``key`` was not planned or was already handed out.
            Exception: The task's error (after its retries); the cluster is closed.
        """
        while key not in self._futures and any(k == key for k, _ in self._queue):
            self._submit_next()  # asked out of order: submit up to it
        try:
            future = self._futures.pop(key)
        except KeyError:
            raise KeyError(
                f"Feature batch {key!r} was not planned or was already handed out."
            ) from None
        try:
            batch = future.result()
        except BaseException:
            self.close()
            raise
        finally:
            del future  # releases the result on the cluster
        self._bar.update(self._sizes[key])
        if not self._futures and not self._queue:
            self.close()
        else:
            self._top_up()
        return batch

    def close(self) -> None:
        """Cancel the tasks left, close the client and a ``LocalCluster`` started here."""
        self._bar_close()
        self._finalizer()

    def _bar_close(self) -> None:
        bar = getattr(self, "_bar", None)
        if bar is not None:
            bar.close()
