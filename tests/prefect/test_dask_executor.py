"""A sync, a build and a backfill with `[run] executor = "dask"` and no Prefect API (as
a plain `oneonone sync`, `oneonone build` and `oneonone backfill` run them): the sync
tasks and the build's and backfill's partitions go to a real distributed.LocalCluster
of worker processes through Dask's client and store what the threaded run stores.
(The weekly deployment on Dask, through Prefect's DaskTaskRunner, is tested with the
other deployments.)"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dask.utils import key_split
from distributed import Client, LocalCluster, get_task_stream
from polars.testing import assert_frame_equal
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.backfill import backfill_history
from flows.build import build_flow
from flows.sync import sync_flow
from runtime.config import Config, load_config
from runtime.engine import FlowSpec, run_flow
from warehouse import Warehouse
from warehouse.rebuild import HISTORY_TABLES
from warehouse.schema import DERIVED_TABLES

AS_OF = date(2026, 11, 16)
SIZE = 40
# When a run happened, not what it found: each run reads the sandbox at its own time.
SEEN = ("first_seen_at", "last_seen_at", "live_seen_at", "cancel_seen_at")
FlowFor = Callable[[Config], FlowSpec[Any]]
VOLATILE = {"raw_observations": SEEN, "sync_state": ("cursor", "last_full_sync", "last_sync")}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=True, dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local) as client,
    ):
        yield client


def _run(
    root: Path,
    make_flow: FlowFor = sync_flow,
    *,
    parameters: dict[str, Any] | None = None,
    **env: str,
) -> None:
    """Run a flow as the CLI does, on the warehouse in `root`; `parameters` besides
    the configuration (default: as_of)."""
    with pytest.MonkeyPatch.context() as patch, temporary_settings({PREFECT_API_URL: ""}):
        patch.setenv("ONEONONE_WAREHOUSE__PATH", str(root / "w.duckdb"))
        patch.setenv("ONEONONE_REPORT__OUT_DIR", str(root / "out"))
        patch.setenv("ONEONONE_SANDBOX_SIZE", str(SIZE))
        for name, value in env.items():
            patch.setenv(name, value)
        config = load_config()
        run_flow(make_flow(config), config=config, **(parameters or {"as_of": AS_OF}))


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse the threaded sync filled (once for the module; tests copy it)."""
    root = tmp_path_factory.mktemp("synced")
    _run(root)
    return root / "w.duckdb"


def _copies(synced: Path, root: Path, *names: str) -> None:
    for name in names:
        (root / name).mkdir()
        shutil.copy(synced, root / name / "w.duckdb")


def _ran_on_workers(stream: Any, cluster: Client, name: str) -> list[dict[str, Any]]:
    """The tasks of function `name` in a task stream: it lists only tasks that ran on
    a worker, none run in this process; each one's worker checked to be the cluster's."""
    ran = [t for t in stream.data if key_split(t["key"]) == name]
    workers = set(cluster.scheduler_info()["workers"])
    assert {t["worker"] for t in ran} <= workers
    return ran


def _tables(path: Path) -> dict[str, pl.DataFrame]:
    found = {}
    with Warehouse(path, read_only=True) as wh:
        for name in ("raw_observations", "sync_state", "roster_snapshots"):
            frame = wh.table(name).drop(VOLATILE.get(name) or ())
            found[name] = frame.sort(frame.columns, nulls_last=True)
    return found


def _tasks_run_by(client: Client) -> dict[str, int]:
    """Tasks each worker process has run, by the task's function name."""

    def counts(dask_scheduler: object) -> dict[str, int]:
        prefixes = dask_scheduler.task_prefixes  # type: ignore[attr-defined]
        return {name: sum(p.state_counts.values()) for name, p in prefixes.items()}

    return client.run_on_scheduler(counts)  # type: ignore[no-any-return]


def test_a_sync_on_a_dask_cluster_stores_what_the_threaded_sync_stores(
    cluster: Client, tmp_path: Path
) -> None:
    _run(tmp_path / "threads")
    address = cluster.scheduler.address  # type: ignore[union-attr]
    _run(tmp_path / "dask", ONEONONE_RUN__EXECUTOR="dask", ONEONONE_RUN__DASK_ADDRESS=address)
    assert _tasks_run_by(cluster).get("sync_job", 0) > 0, "no sync task ran on the cluster"
    worker_pids = cluster.run(os.getpid)
    assert len(set(worker_pids.values()) - {os.getpid()}) == 2  # worker processes
    threads, dask = (
        _tables(tmp_path / "threads" / "w.duckdb"),
        _tables(tmp_path / "dask" / "w.duckdb"),
    )
    differing = [name for name in threads if not threads[name].equals(dask[name])]
    assert differing == []
    assert dask["raw_observations"].height > 0


def _derived(path: Path) -> dict[str, pl.DataFrame]:
    with Warehouse(path, read_only=True) as wh:
        frames = {name: wh.table(name) for name in DERIVED_TABLES}
    return {name: f.sort(f.columns, nulls_last=True) for name, f in frames.items()}


def test_a_build_on_a_dask_cluster_computes_its_partitions_on_the_workers(
    cluster: Client, synced: Path, tmp_path: Path
) -> None:
    _copies(synced, tmp_path, "threads", "dask")
    three = {"ONEONONE_RUN__BUILD_PARTITIONS": "3"}
    _run(tmp_path / "threads", build_flow, **three)
    staging = tmp_path / "shared" / "staging"
    address = cluster.scheduler.address  # type: ignore[union-attr]
    with get_task_stream(client=cluster) as stream:
        _run(
            tmp_path / "dask",
            build_flow,
            ONEONONE_RUN__EXECUTOR="dask",
            ONEONONE_RUN__DASK_ADDRESS=address,
            ONEONONE_RUN__STAGING_DIR=str(staging),
            **three,
        )
    assert len(_ran_on_workers(stream, cluster, "compute_partition_files")) == 3
    assert not staging.exists()  # the build's folder and the staging directory it made
    threads, dask = (
        _derived(tmp_path / "threads" / "w.duckdb"),
        _derived(tmp_path / "dask" / "w.duckdb"),
    )
    for name in DERIVED_TABLES:
        assert_frame_equal(dask[name], threads[name], check_exact=True)
    assert threads["occurrences"].height > 0


def _history(path: Path) -> dict[str, pl.DataFrame]:
    with Warehouse(path, read_only=True) as wh:
        frames = {name: wh.table(name) for name in HISTORY_TABLES}
        assert not wh.has_table("occurrences")  # a backfill writes the history alone
    return {name: f.sort(f.columns, nulls_last=True) for name, f in frames.items()}


def test_a_backfill_on_a_dask_cluster_computes_each_partition_and_date_on_the_workers(
    cluster: Client, synced: Path, tmp_path: Path
) -> None:
    _copies(synced, tmp_path, "threads", "dask")
    three_weeks = {"start": AS_OF - timedelta(weeks=2), "end": AS_OF, "every_days": 7}
    two = {"ONEONONE_RUN__BUILD_PARTITIONS": "2"}
    _run(tmp_path / "threads", lambda _: backfill_history, parameters=three_weeks, **two)
    staging = tmp_path / "shared" / "staging"
    address = cluster.scheduler.address  # type: ignore[union-attr]
    with get_task_stream(client=cluster) as stream:
        _run(
            tmp_path / "dask",
            lambda _: backfill_history,
            parameters=three_weeks,
            ONEONONE_RUN__EXECUTOR="dask",
            ONEONONE_RUN__DASK_ADDRESS=address,
            ONEONONE_RUN__STAGING_DIR=str(staging),
            **two,
        )
    # 2 partitions × 3 dates, each a task of its own.
    assert len(_ran_on_workers(stream, cluster, "compute_partition_files")) == 6
    assert not staging.exists()  # the backfill's folder and the staging directory it made
    threads, dask = (
        _history(tmp_path / "threads" / "w.duckdb"),
        _history(tmp_path / "dask" / "w.duckdb"),
    )
    for name in HISTORY_TABLES:
        assert_frame_equal(dask[name], threads[name], check_exact=True)
    weekly = threads["weekly_activity_history"]
    assert weekly["as_of"].unique().sort().to_list() == [
        AS_OF - timedelta(weeks=n) for n in (2, 1, 0)
    ]
