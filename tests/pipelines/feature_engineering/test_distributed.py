"""Feature extraction on a Dask cluster (``backbone.executor: dask``), offline.

Real ``LocalCluster`` s of two worker processes and the random-weight tiny backbone: the
shards equal local extraction, a worker killed mid-run costs nothing, a resumed run
submits only the missing shards. The cluster's lifecycle (closed after the last shard, on
an error, when abandoned) is also checked without a cluster, with fakes.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest

from art_genre.datasets import PartitionedCacheDataset
from art_genre.features import distributed as dist
from art_genre.features.params import FeatureEngineeringParams
from art_genre.pipelines.data_processing.params import DataProcessingParams
from art_genre.pipelines.feature_engineering.nodes import (
    assemble_features,
    extract_features,
)
from tests.pipelines.data_processing.test_nodes import _index, _partitions

TINY = {"name": "mobilenet", "weights": None, "alpha": 0.25, "input_size": 64, "batch_size": 8}


def _params(dask: dict[str, Any] | None = None, **backbone) -> FeatureEngineeringParams:
    return FeatureEngineeringParams.model_validate(
        {
            "backbone": {**TINY, "executor": "dask" if dask is not None else "local", **backbone},
            "dask": dask or {},
            "pca": {"n_components": 8},
        }
    )


class SlowLoader:
    """A picklable image loader that takes its time (so a worker dies mid-task)."""

    def __init__(self, load: Callable[[], Any], seconds: float) -> None:
        self.load = load
        self.seconds = seconds

    def __call__(self) -> Any:
        time.sleep(self.seconds)
        return self.load()


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_generator):
    """A small Kaggle-layout folder (40 images: 5 shards of 8), partitions and index."""
    root = tmp_path_factory.mktemp("paintings")
    sample_generator.make_sample(root, images_per_artist=4)
    index, _, _, _ = _index(root, DataProcessingParams())
    return _partitions(root), index


@pytest.fixture(scope="module")
def local_shards(sample) -> dict[str, dict[str, Any]]:
    """Every shard of the sample, extracted locally (the reference)."""
    parts, index = sample
    return {key: make() for key, make in extract_features(parts, index, {}, _params()).items()}


@pytest.fixture(scope="module")
def cluster():
    """A running two-worker cluster the runs reach by address (as a remote one)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
    ) as running:
        yield running


def _extraction(shards: dict[str, partial]) -> dist.DaskBatchExtraction:
    return next(iter(shards.values())).func.__self__.extraction


def _assert_same_shards(got: dict[str, dict], expected: dict[str, dict]) -> None:
    assert sorted(got) == sorted(expected)
    for key, shard in expected.items():
        assert got[key].keys() == shard.keys()
        assert got[key]["image_ids"] == shard["image_ids"]
        assert got[key]["failures"] == shard["failures"]
        assert got[key]["fingerprint"] == shard["fingerprint"]
        assert got[key]["backbone"] == shard["backbone"]
        assert got[key]["features"].dtype == shard["features"].dtype
        np.testing.assert_allclose(got[key]["features"], shard["features"], rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ with a cluster


@pytest.mark.slow
def test_a_local_cluster_gives_the_local_shards_and_closes_after_the_last(
    sample, local_shards, tmp_path
):
    parts, index = sample
    params = _params({"n_workers": 2})
    shards = extract_features(parts, index, {}, params)
    extraction = _extraction(shards)
    assert extraction.cluster is not None
    assert len(extraction.client.nthreads()) == 2
    assert extraction.n_submitted == len(shards) == len(local_shards)
    got: dict[str, dict] = {}
    keys = sorted(shards)
    for key in keys[:-1]:
        got[key] = shards[key]()
    builds = extraction.client.run(dist.backbone_builds)
    fingerprint = params.backbone.settings().fingerprint()
    assert all(b == {fingerprint: 1} for b in builds.values() if b), builds  # once each
    assert not extraction.closed
    got[keys[-1]] = shards[keys[-1]]()
    assert extraction.closed
    assert extraction.cluster.status.name == "closed"
    _assert_same_shards(got, local_shards)
    # and through the cache, as Kedro writes it: the same features in the same order
    cache = PartitionedCacheDataset(
        path=str(tmp_path / "cache"), dataset="pickle.PickleDataset", filename_suffix=".pkl"
    )
    cache.save(got)
    features, issues = assemble_features(cache.load(), index, params)
    assert features["image_ids"] == list(index["image_id"])
    assert issues.empty


@pytest.mark.slow
def test_a_resumed_run_submits_only_the_missing_shards(sample, local_shards, cluster, tmp_path):
    parts, index = sample
    cache = PartitionedCacheDataset(
        path=str(tmp_path / "cache"),
        dataset="pickle.PickleDataset",
        filename_suffix=".pkl",
        save_lazily=True,
    )
    keys = sorted(local_shards)
    cache.save({key: local_shards[key] for key in keys[:2]})  # a run killed after two
    params = _params({"address": cluster.scheduler_address})
    shards = extract_features(parts, index, cache.load(), params)
    extraction = _extraction(shards)
    assert extraction.cluster is None  # an address: nothing started here
    assert sorted(shards) == keys[2:]
    assert extraction.n_submitted == len(keys) - 2
    cache.save(shards)
    assert extraction.closed  # the client; the cluster is not ours and keeps running
    assert cluster.status.name == "running"
    on_disk = {key: load() for key, load in cache.load().items()}
    _assert_same_shards(on_disk, local_shards)
    assert extract_features(parts, index, cache.load(), params) == {}  # nothing to do


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing(sample, local_shards, cluster):
    parts, index = sample
    slow = {image_id: SlowLoader(parts[image_id], 0.08) for image_id in index["image_id"]}
    params = _params({"address": cluster.scheduler_address, "retries": 1})
    shards = extract_features(slow, index, {}, params)
    extraction = _extraction(shards)
    keys = sorted(shards)
    got = {keys[0]: shards[keys[0]]()}
    client = extraction.client
    pending = {extraction._futures[key].key for key in keys[1:]}  # noqa: SLF001
    busy = {address: len(pending & set(tasks)) for address, tasks in client.processing().items()}
    for holders in client.who_has(list(pending)).values():
        for address in holders:
            busy[address] = busy.get(address, 0) + 1
    victim = max(busy, key=busy.get)
    assert busy[victim] > 0, f"the killed worker should run or hold a shard: {busy}"
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
    for key in keys[1:]:
        got[key] = shards[key]()
    assert extraction.closed
    _assert_same_shards(got, local_shards)


# ------------------------------------------------------------------ without a cluster


class _FakeFuture:
    def __init__(self, fn: Callable[..., Any], args: tuple, key: str, fail: bool) -> None:
        self.fn, self.args, self.key, self.fail = fn, args, key, fail

    def result(self) -> Any:
        if self.fail:
            raise RuntimeError("worker exploded")
        return self.fn(*self.args)


class _FakeClient:
    def __init__(self, target: Any, fail: set[str]) -> None:
        self.status = "running"
        self.cancelled: list[str] = []
        self.fail = fail
        self.submitted: list[dict[str, Any]] = []

    def submit(self, fn, *args, key, retries, priority, pure):
        self.submitted.append({"key": key, "retries": retries, "priority": priority})
        fail = any(part in key for part in self.fail)
        return _FakeFuture(fn, args, key, fail)

    def nthreads(self) -> dict[str, int]:
        return {"tcp://fake:1": 1}

    dashboard_link = "http://fake/status"

    def cancel(self, futures) -> None:
        self.cancelled.extend(f.key for f in futures)

    def close(self) -> None:
        self.status = "closed"


class _FakeCluster:
    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs
        self.status = "running"

    def close(self) -> None:
        self.status = "closed"


@pytest.fixture
def fake_dask(monkeypatch):
    """Replace Client and LocalCluster; tasks run in-process, ``fail`` ones raise."""
    import distributed

    made: dict[str, Any] = {"fail": set()}

    def client(target):
        made["client"] = _FakeClient(target, made["fail"])
        return made["client"]

    def cluster(**kwargs):
        made["cluster"] = _FakeCluster(**kwargs)
        return made["cluster"]

    monkeypatch.setattr(distributed, "Client", client)
    monkeypatch.setattr(distributed, "LocalCluster", cluster)
    monkeypatch.setattr(dist, "extract_batch", lambda items, *_: ("batch", [i for i, _ in items]))
    return made


def _batches(n: int) -> list[tuple[str, list[tuple[str, Callable[[], Any]]]]]:
    return [(f"fp/{k}", [(f"img{k}", dict)]) for k in range(n)]


def _fake_extraction(**kwargs) -> dist.DaskBatchExtraction:
    settings = _params().backbone.settings()
    return dist.DaskBatchExtraction(_batches(3), settings, progress=False, **kwargs)


def test_the_last_result_closes_the_cluster(fake_dask):
    extraction = _fake_extraction(n_workers=3, threads_per_worker=2, retries=4)
    assert fake_dask["cluster"].kwargs["n_workers"] == 3
    assert fake_dask["cluster"].kwargs["processes"] is True
    assert [s["retries"] for s in fake_dask["client"].submitted] == [4, 4, 4]
    priorities = [s["priority"] for s in fake_dask["client"].submitted]
    assert priorities == sorted(priorities, reverse=True)  # the first asked, first run
    assert extraction.result("fp/1") == ("batch", ["img1"])
    assert extraction.result("fp/0") == ("batch", ["img0"])
    assert fake_dask["cluster"].status == "running"
    with pytest.raises(KeyError, match="already handed out"):
        extraction.result("fp/0")
    extraction.result("fp/2")
    assert extraction.closed
    assert fake_dask["cluster"].status == fake_dask["client"].status == "closed"


def test_a_failed_task_closes_the_cluster_and_cancels_the_rest(fake_dask):
    fake_dask["fail"].add("fp-1")
    extraction = _fake_extraction()
    extraction.result("fp/0")
    with pytest.raises(RuntimeError, match="worker exploded"):
        extraction.result("fp/1")
    assert fake_dask["cluster"].status == "closed"
    assert len(fake_dask["client"].cancelled) == 1  # fp/2, never asked for


def test_an_abandoned_run_still_closes_its_cluster(fake_dask):
    extraction = _fake_extraction()
    extraction.result("fp/0")
    cluster = fake_dask["cluster"]
    del extraction  # Kedro stopped before the last shard (e.g. a failed save)
    gc.collect()
    assert cluster.status == "closed"


def test_an_address_starts_no_cluster(fake_dask):
    extraction = _fake_extraction(address="tcp://scheduler:8786")
    assert "cluster" not in fake_dask
    assert extraction.cluster is None
    extraction.close()
    assert fake_dask["client"].status == "closed"


def test_unpicklable_loaders_are_refused_before_any_cluster_starts(fake_dask):
    settings = _params().backbone.settings()
    with pytest.raises(TypeError, match="cannot be pickled"):
        dist.DaskBatchExtraction([("fp/0", [("img", lambda: None)])], settings)
    assert "cluster" not in fake_dask


def test_partition_loaders_survive_pickling(sample):
    parts, index = sample
    image_id = index["image_id"].iloc[0]
    loader = pickle.loads(pickle.dumps(parts[image_id]))
    assert loader().size == parts[image_id]().size


# ------------------------------------------------------------------ parameters


def test_dask_parameters_default_to_local_extraction():
    params = FeatureEngineeringParams()
    assert params.backbone.executor == "local"
    assert params.dask.address is None
    assert params.dask.n_workers >= 1


@pytest.mark.parametrize("address", [None, "null", ""])
def test_no_address_means_a_local_cluster(address):
    assert _params({"address": address}).dask.address is None


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"backbone": {"executor": "ray"}}, "'local' or 'dask'"),
        ({"dask": {"address": "host:8786"}}, "scheduler URL"),
        ({"dask": {"n_workers": 0}}, "greater than or equal to 1"),
        ({"dask": {"threads_per_worker": 0}}, "greater than or equal to 1"),
        ({"dask": {"retries": -1}}, "greater than or equal to 0"),
        ({"dask": {"workers": 2}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_dask_parameters_fail_validation(override, match):
    from pydantic import ValidationError

    raw = {"backbone": {**TINY, **override.get("backbone", {})}, "dask": override.get("dask", {})}
    with pytest.raises(ValidationError, match=match):
        FeatureEngineeringParams.model_validate(raw)


def test_a_bounded_window_keeps_few_tasks_in_flight(fake_dask):
    """A synthetic plan of 10,000 batches: never more than 8 tasks submitted at once."""
    settings = _params().backbone.settings()
    n = 10_000
    extraction = dist.DaskBatchExtraction(
        _batches(n), settings, progress=False, max_in_flight=8
    )
    client = fake_dask["client"]
    assert len(client.submitted) == 8 and extraction.in_flight == 8
    assert len(extraction.pending) == n
    most = 0
    for k in range(n):
        assert extraction.result(f"fp/{k}") == ("batch", [f"img{k}"])
        most = max(most, extraction.in_flight)
        assert len(client.submitted) <= k + 1 + 8
    assert most <= 8
    assert len(client.submitted) == n
    priorities = [s["priority"] for s in client.submitted]
    assert priorities == sorted(priorities, reverse=True)
    assert extraction.closed


def test_a_bounded_window_serves_a_result_asked_out_of_order(fake_dask):
    settings = _params().backbone.settings()
    extraction = dist.DaskBatchExtraction(
        _batches(20), settings, progress=False, max_in_flight=2
    )
    assert extraction.result("fp/10") == ("batch", ["img10"])  # submitted on demand
    assert extraction.in_flight <= 11
    with pytest.raises(KeyError, match="not planned"):
        extraction.result("fp/99")
    for k in [*range(10), *range(11, 20)]:
        extraction.result(f"fp/{k}")
    assert extraction.closed


def test_max_in_flight_is_validated():
    with pytest.raises(ValueError, match="max_in_flight"):
        FeatureEngineeringParams.model_validate({"dask": {"max_in_flight": 0}})
