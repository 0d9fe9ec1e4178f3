"""The Dask executor: the sync tasks (and the build's partitions) on Dask workers.

`[run] executor = "dask"`. With `dask_address` a run attaches to a running scheduler
(a `dask scheduler` on a VM, dask-kubernetes, dask-gateway); without it, a local
cluster of worker processes is started for the flow and stopped at its end.

Orchestrated by a Prefect server (a deployment, or `PREFECT_API_URL` set), the tasks
are Prefect task runs on Prefect's DaskTaskRunner (prefect-dask). A plain CLI run has
no API for workers to report task runs to, so it submits the same task functions to
the same cluster through Dask's client.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from runtime.config import RunConfig

R = TypeVar("R")


def _local_cluster(threads: int) -> dict[str, Any]:
    workers = max(1, min(os.cpu_count() or 1, 4))
    return {
        "n_workers": workers,
        "processes": True,
        # Sync tasks wait on the network: more threads than cores, as with threads.
        "threads_per_worker": max(1, threads // workers),
        "dashboard_address": "127.0.0.1:0",  # its HTTP server on a free port, on loopback
    }


def dask_runner(run: RunConfig, threads: int) -> Any:
    """Prefect's DaskTaskRunner for `run` (prefect-dask loads only when Dask is used)."""
    from prefect_dask import DaskTaskRunner

    if run.dask_address:
        return DaskTaskRunner(address=run.dask_address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs=_local_cluster(threads)
    )


@contextmanager
def dask_client(run: RunConfig, threads: int) -> Iterator[Any]:
    """A Dask client on the configured scheduler, or on a local cluster for the while."""
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)  # its INFO is not ours
    if run.dask_address:
        with Client(run.dask_address) as client:
            yield client
        return
    with LocalCluster(**_local_cluster(threads)) as cluster, Client(cluster) as client:
        yield client


def dask_map(
    fn: Callable[..., R], calls: Iterable[tuple[Any, ...]], run: RunConfig, threads: int
) -> Iterator[R]:
    """Run `fn` once per argument tuple on the cluster; yield results as they finish."""
    from distributed import as_completed

    with dask_client(run, threads) as client:
        futures = [client.submit(fn, *args, pure=False) for args in calls]
        for future in as_completed(futures):
            yield future.result()
