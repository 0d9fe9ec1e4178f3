"""Run the same flow code orchestrated by Prefect or plainly in-process.

A deployment (and any run with `PREFECT_API_URL` set) runs the flows under Prefect:
subflows, task runs, logs and artifacts recorded by the server. Without an API, Prefect
would start a temporary server for every run (12–16 s); instead `run_flow` calls the
flow's own function (`.fn`), and the helpers below run its steps as plain calls, its
tasks on a thread pool and its logs through the standard library. The flow bodies are
the same code either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed as pool_completed
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from prefect import Flow, Task, get_run_logger
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext, TaskRunContext
from prefect.futures import as_completed
from prefect.settings import PREFECT_API_URL

from runtime.config import RunConfig

T = TypeVar("T")
R = TypeVar("R")

_local_logger = logging.getLogger("oneonone")


def orchestrated() -> bool:
    """Whether we are inside a Prefect flow or task run."""
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def api_configured() -> bool:
    """Whether a Prefect API is configured (a server to record runs in)."""
    return bool(PREFECT_API_URL.value())


def run_flow(flow: Flow[..., Any], **parameters: Any) -> Any:
    """Entry point for the CLI: orchestrated when an API is configured, else in-process."""
    result = flow(**parameters) if api_configured() else flow.fn(**parameters)
    return result.data if isinstance(result, State) else result


def step(flow: Flow[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a flow as a step of another: a subflow when orchestrated, else a plain call."""
    if orchestrated():
        return flow(*args, **kwargs)
    return flow.fn(*args, **kwargs)


def map_concurrently(
    task: Task[..., R],
    calls: Iterable[tuple[Any, ...]],
    max_workers: int,
    run: RunConfig | None = None,
) -> Iterator[R]:
    """Run `task` once per argument tuple, at most `max_workers` at a time; yield as done.

    Orchestrated, each call is a Prefect task run on the flow's task runner (threads,
    or Prefect's DaskTaskRunner, which the caller sets up). In-process, `.fn` runs on a
    thread pool of `max_workers`, or with `run.executor == "dask"` on the Dask cluster
    through Dask's own client (Prefect's task runs on Dask workers need an API server).
    """
    if orchestrated():
        futures = [task.submit(*args) for args in calls]
        for future in as_completed(futures):
            yield future.result()
        return
    if run is not None and run.executor == "dask":
        from runtime.dask import dask_map

        yield from dask_map(task.fn, calls, run, max_workers)
        return
    yield from _pool_map(task.fn, calls, max_workers)


def task_mapper(
    run: RunConfig, max_workers: int
) -> Callable[[Callable[..., Any], Iterable[tuple[Any, ...]]], Iterator[Any]]:
    """A mapper for work handed to it as a plain function (the warehouse's build
    partitions): each call a Prefect task named after the function, run by
    `map_concurrently`; results in the order they finish."""

    def mapper(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        return map_concurrently(Task(fn, cache_policy=NONE), calls, max_workers, run)

    return mapper


def _pool_map(
    fn: Callable[..., R], calls: Iterable[tuple[Any, ...]], max_workers: int
) -> Iterator[R]:
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="sync") as pool:
        futures = [pool.submit(fn, *args) for args in calls]
        for future in pool_completed(futures):
            yield future.result()


def log() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger when orchestrated (logs reach the server), else ours."""
    if orchestrated():
        return get_run_logger()
    return _local_logger


# (calendars done, calendars in all, events read so far)
ProgressSink = Callable[[int, int, int], None]
_progress: ContextVar[ProgressSink | None] = ContextVar("oneonone_progress", default=None)


@contextmanager
def showing_progress(sink: ProgressSink) -> Iterator[None]:
    """Send a sync's progress to `sink` (the CLI's progress bar) instead of the log."""
    token = _progress.set(sink)
    try:
        yield
    finally:
        _progress.reset(token)


def progress(done: int, total: int, events: int) -> bool:
    """Report progress to the installed sink; False when none is (then log it)."""
    sink = _progress.get()
    if sink is None:
        return False
    sink(done, total, events)
    return True
