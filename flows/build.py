"""The build flows: the current tables, and the history tables as of past dates.

`build_warehouse` rebuilds occurrences and every metric table from what was synced;
`build_history` (the backfill's work) computes the history tables as of a list of
dates. With `[run] executor = "dask"` their partitions are computed on the Dask
cluster's workers (Prefect task runs on the DaskTaskRunner when orchestrated), their
files in the staging directory; this process stays the warehouse's one writer. Kept
apart from flows/pipeline.py and flows/backfill.py so that workers can import what
Prefect sends them (a deployment loads its entrypoint's file as a top-level module
they cannot import).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

from runtime.config import Config
from runtime.context import build_context
from runtime.dask import dask_runner
from runtime.engine import FlowSpec, flow, log, task_mapper
from runtime.lock import warehouse_lock
from warehouse import Warehouse
from warehouse.rebuild import PartitionMapper
from warehouse.staging import staging_area

R = TypeVar("R")

# Threads per worker process of a local cluster while it builds (see _on_cluster).
BUILD_THREADS = 1


def build_flow(config: Config) -> FlowSpec[dict[str, int]]:
    """The build flow, on the task runner `config` asks for (see `_on_cluster`)."""
    return _on_cluster(build_warehouse, config)


def history_flow(config: Config) -> FlowSpec[dict[date, int]]:
    """The backfill's history build, on the task runner `config` asks for."""
    return _on_cluster(build_history, config)


def _on_cluster(build: FlowSpec[R], config: Config) -> FlowSpec[R]:
    """`build` as it is, or with `[run] executor = "dask"` on a DaskTaskRunner whose
    workers compute the partitions (a local cluster: one partition at a time per
    worker process, each being CPU- and memory-bound)."""
    if config.run.executor == "dask":
        return build.with_task_runner(lambda: dask_runner(config.run, BUILD_THREADS))
    return build


@contextmanager
def _partition_work(config: Config) -> Iterator[tuple[PartitionMapper | None, Path | None]]:
    """Where a build's partitions are computed: in this process (None, None), or
    with executor "dask" on the cluster's workers, their files in the staging
    directory (the workers reach it; removed after if the build leaves it empty)."""
    if config.run.executor != "dask":
        yield None, None
        return
    with staging_area(config.run.staging_for(config.warehouse.path)) as folder:
        yield task_mapper(config.run, BUILD_THREADS), folder


@flow(name="build_warehouse")
def build_warehouse(config: Config, as_of: date) -> dict[str, int]:
    """Rebuild occurrences and every metric table as of `as_of`, in one transaction
    (the partitions on the Dask cluster with executor "dask"; see `build_flow`)."""
    with (
        warehouse_lock(config.warehouse.path),
        Warehouse(config.warehouse.path) as warehouse,
        _partition_work(config) as (mapper, workdir),
    ):
        ctx = build_context(config, as_of)
        counts = warehouse.build(ctx, config.run.build_partitions, mapper, workdir)
    log().info(
        "built the warehouse: %d occurrences, %d reporting lines",
        counts.get("occurrences", 0),
        counts.get("pair_metrics", 0),
    )
    return counts


@flow(name="build_history")
def build_history(config: Config, dates: list[date]) -> dict[date, int]:
    """Compute the history tables as of each of `dates`, in one transaction (the
    partitions on the Dask cluster with executor "dask"; see `history_flow`); weekly
    rows per date."""
    contexts = [build_context(config, day) for day in dates]
    with (
        warehouse_lock(config.warehouse.path),
        Warehouse(config.warehouse.path) as warehouse,
        _partition_work(config) as (mapper, workdir),
    ):
        return warehouse.build_history(contexts, config.run.build_partitions, mapper, workdir)
