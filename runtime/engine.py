"""Run the same flow code orchestrated by Prefect or plainly in-process.

A deployment (and any run with a Prefect API configured, `PREFECT_API_URL`) runs the
flows under Prefect: subflows, task runs, logs and artifacts recorded by the server.
Without an API, Prefect would start a temporary server for every run (12–16 s);
instead `run_flow` calls the flow's own function, and the helpers below run its steps
as plain calls, its tasks on a thread pool and its logs through the standard library.
The flow bodies are the same code either way.

A flow is declared with `flow(name=...)`, which keeps its function and name
(`FlowSpec`) and imports nothing; `prefect_flow` makes the Prefect flow of it when one
is needed. So a run without an API never imports Prefect (2–4 s of start-up).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import as_completed as pool_completed
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from runtime import heap
from runtime.config import RunConfig

if TYPE_CHECKING:
    from prefect import Flow

R = TypeVar("R")

_local_logger = logging.getLogger("oneonone")


@dataclass(frozen=True)
class FlowSpec(Generic[R]):
    """A flow: its function (`fn`), its name and, when orchestrated, a maker of its
    Prefect task runner (None: Prefect's default)."""

    fn: Callable[..., R]
    name: str
    task_runner: Callable[[], Any] | None = None

    def with_task_runner(self, make: Callable[[], Any]) -> FlowSpec[R]:
        """The same flow, run on the task runner `make()` returns when orchestrated."""
        return replace(self, task_runner=make)


def flow(name: str) -> Callable[[Callable[..., R]], FlowSpec[R]]:
    """Declare `fn` a flow named `name` (Prefect is not imported; see `prefect_flow`)."""

    def declare(fn: Callable[..., R]) -> FlowSpec[R]:
        return FlowSpec(fn, name)

    return declare


def prefect_flow(spec: FlowSpec[R]) -> Flow[..., R]:
    """The Prefect flow of `spec` (its task runner made now, if it has one)."""
    base = _prefect_flow(spec.fn, spec.name)
    if spec.task_runner is None:
        return base
    return base.with_options(task_runner=spec.task_runner())


@cache
def _prefect_flow(fn: Callable[..., R], name: str) -> Flow[..., R]:
    from prefect import flow as prefect_decorator

    return prefect_decorator(name=name)(fn)


def orchestrated() -> bool:
    """Whether we are inside a Prefect flow or task run (never, if Prefect is not loaded)."""
    if "prefect.context" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def api_configured() -> bool:
    """Whether a Prefect API is configured (a server to record runs in). Prefect is
    asked only where its settings could name one (`_settings_may_name_api`)."""
    if "prefect.settings" not in sys.modules and not _settings_may_name_api():
        return False
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _settings_may_name_api() -> bool:
    """False only when no place Prefect reads its settings from can set an API URL: not
    the environment, nor a `.env`, `prefect.toml` or `pyproject.toml` ([tool.prefect])
    in the working directory, nor a profiles file that mentions PREFECT_API_URL. Where
    one might, Prefect itself is asked (it resolves profiles and precedence)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "PREFECT_API_URL" in os.environ:
        return False  # set empty: no API, whatever a file says
    if any(os.environ.get(name) for name in ("PREFECT_PROFILE", "PREFECT_PROFILES_PATH")):
        return True
    here = Path.cwd()
    if (here / ".env").is_file() or (here / "prefect.toml").is_file():
        return True
    if _mentions(here / "pyproject.toml", "tool.prefect"):
        return True
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect")
    return _mentions(home / "profiles.toml", "PREFECT_API_URL")


def _mentions(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def run_flow(flow: FlowSpec[Any], **parameters: Any) -> Any:
    """Entry point for the CLI: orchestrated when an API is configured, else in-process
    (the console's process first sets its garbage collector for the run: runtime.heap)."""
    heap.settle()
    if not api_configured():
        return flow.fn(**parameters)
    from prefect.client.schemas.objects import State

    result = prefect_flow(flow)(**parameters)
    return result.data if isinstance(result, State) else result


def step(flow: FlowSpec[R], *args: Any, **kwargs: Any) -> R:
    """Run a flow as a step of another: a subflow when orchestrated, else a plain call."""
    if orchestrated():
        return prefect_flow(flow)(*args, **kwargs)
    return flow.fn(*args, **kwargs)


def map_concurrently(
    fn: Callable[..., R],
    calls: Iterable[tuple[Any, ...]],
    max_workers: int,
    run: RunConfig | None = None,
    task_run_name: str | None = None,
) -> Iterator[R]:
    """Run `fn` once per argument tuple, at most `max_workers` at a time; yield as done.

    Orchestrated, each call is a Prefect task run (named `task_run_name`, formatted
    with the call's parameters) on the flow's task runner (threads, or Prefect's
    DaskTaskRunner, which the caller sets up). In-process, `fn` runs on a thread pool
    of `max_workers`, or with `run.executor == "dask"` on the Dask cluster through
    Dask's own client (Prefect's task runs on Dask workers need an API server).
    """
    if orchestrated():
        from prefect import Task
        from prefect.cache_policies import NONE
        from prefect.futures import as_completed

        task = Task(fn, cache_policy=NONE, task_run_name=task_run_name)
        futures = [task.submit(*args) for args in calls]
        for future in as_completed(futures):
            yield future.result()
        return
    if run is not None and run.executor == "dask":
        from runtime.dask import dask_map

        yield from dask_map(fn, calls, run, max_workers)
        return
    yield from _pool_map(fn, calls, max_workers)


def task_mapper(
    run: RunConfig, max_workers: int
) -> Callable[[Callable[..., Any], Iterable[tuple[Any, ...]]], Iterator[Any]]:
    """A mapper for work handed to it as a plain function (the warehouse's build
    partitions): each call a task run by `map_concurrently`; results in the order
    they finish."""

    def mapper(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        return map_concurrently(fn, calls, max_workers, run)

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
        from prefect import get_run_logger

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
