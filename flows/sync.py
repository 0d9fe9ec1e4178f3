"""The sync flow: one task per calendar (or per batch of incremental rounds), run
concurrently within http.max_concurrency, each request within its provider's limits
(the sources' own, shared by every task); each task stages what it read and one
writer merges the staged files in bulk. A failing calendar is recorded in
`sync_state` and reported, never raised."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.model import BatchingSource, CalendarBatch, CalendarSource, Person, Provider
from core.errors import AuthError, CursorExpiredError, SourceError
from flows.calls import sync_calls
from runtime.config import Config
from runtime.dask import dask_runner
from runtime.engine import FlowSpec, flow, log, map_concurrently, progress
from runtime.lock import warehouse_lock
from runtime.privacy import PlainIngest, Pseudonymizer, ingest_for
from runtime.resources import Sources, open_sources
from runtime.secrets import resolve_secret
from runtime.terminal import plain
from warehouse import Warehouse
from warehouse.staging import StagedFile, stage, staging_directory
from warehouse.writer import StagedWriter

if TYPE_CHECKING:
    from prefect.task_runners import TaskRunner

BATCH_CHUNK = 100  # calendars per batched task: a few $batch requests each
# Calendars per task (at most) outside batched rounds. Each task stages one file, and a
# staged file's fixed cost (Parquet's metadata, an fsync) is several times what one
# calendar's rows cost to write, so a thread's task takes a few calendars; a task on a
# Dask cluster ships its source's recipe (the roster included) to a worker process, so
# tasks there are larger still.
THREAD_CALENDARS_PER_TASK = 10
DASK_CALENDARS_PER_TASK = 20
T = TypeVar("T")


@dataclass(frozen=True)
class CalendarFailure:
    provider: str
    calendar_email: str
    reason: str
    auth: bool = False  # the app's credentials were refused, not this calendar


@dataclass
class SyncSummary:
    calendars_synced: int = 0
    calendars_failed: list[str] = field(default_factory=list)
    events_read: int = 0
    requests: int = 0
    sandbox: bool = False
    synced_by_provider: dict[str, int] = field(default_factory=dict)
    auth_refused: dict[str, str] = field(default_factory=dict)  # provider -> first reason
    waited_on_limits_s: float = 0.0  # summed over the sync threads
    waited_on_retries_s: float = 0.0
    call_presences: int = 0  # attendance evidence read (with `[attendance] enabled`)
    calls_failed: dict[str, str] = field(default_factory=dict)  # provider -> reason

    _waits: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def note_waits(self, copy: str, limits_s: float, retries_s: float) -> None:
        """Take a source copy's cumulative waits (the latest report of each copy counts)."""
        if not copy:
            return
        old = self._waits.get(copy, (0.0, 0.0))
        self._waits[copy] = (max(old[0], limits_s), max(old[1], retries_s))
        self.waited_on_limits_s = sum(w[0] for w in self._waits.values())
        self.waited_on_retries_s = sum(w[1] for w in self._waits.values())

    def check_credentials(self) -> None:
        """Raise when a provider's credentials were refused and none of its calendars
        synced: a dashboard of people whose calendars were never read would be wrong."""
        for provider, reason in sorted(self.auth_refused.items()):
            if not self.synced_by_provider.get(provider):
                raise AuthError(f"every {provider} calendar failed: {reason}")


@dataclass(frozen=True)
class SyncJob:
    """Calendars one task syncs: one alone, or many through the source's batch API."""

    provider: Provider
    calendars: tuple[tuple[str, str | None], ...]  # (email, cursor)
    batched: bool = False
    number: int = 0  # names the task run: no address, even in a pseudonymised run


@dataclass(frozen=True)
class JobResult:
    """What a sync task hands to the writer: its staged file and what went wrong."""

    provider: Provider
    staged: StagedFile | None
    failures: tuple[CalendarFailure, ...]
    synced: int
    events_read: int
    requests: int
    # The source's waits so far, in the process that ran the task (a Dask worker keeps
    # its own copy of the source): (which copy, seconds on limits, seconds on retries).
    waits: tuple[str, float, float] = ("", 0.0, 0.0)


def interleave(groups: Iterable[list[T]]) -> Iterator[T]:
    """Round-robin over groups so that one provider's calendars do not queue the other's."""
    for row in zip_longest(*groups):
        yield from (item for item in row if item is not None)


def calendars_per_task(calendars: int, workers: int, most: int) -> int:
    """Calendars per task: `most`, unless that leaves fewer than four tasks per worker
    (a small org keeps every worker busy to the end)."""
    return max(1, min(most, calendars // (4 * workers)))


def plan_jobs(
    people: list[Person],
    cursors: dict[str, str | None],
    batching: set[Provider],
    per_job: int = 1,
) -> list[SyncJob]:
    """Jobs of `per_job` calendars of a provider, except incremental rounds of a
    batching source, chunked by BATCH_CHUNK; providers interleaved so that both make
    progress from the start (and one's waits on its API overlap the other's work)."""
    single: dict[Provider, list[SyncJob]] = {}
    pending: dict[Provider, list[tuple[str, str | None]]] = {}
    for person in people:
        cursor = cursors.get(person.email)
        if cursor is not None and person.provider in batching:
            pending.setdefault(person.provider, []).append((person.email, cursor))
        else:
            jobs_of = single.setdefault(person.provider, [])
            if jobs_of and len(jobs_of[-1].calendars) < per_job:
                last = jobs_of[-1]
                jobs_of[-1] = replace(last, calendars=(*last.calendars, (person.email, cursor)))
            else:
                jobs_of.append(SyncJob(person.provider, ((person.email, cursor),)))
    batched = [
        [
            SyncJob(provider, tuple(items[start : start + BATCH_CHUNK]), True)
            for start in range(0, len(items), BATCH_CHUNK)
        ]
        for provider, items in pending.items()
    ]
    jobs = [*interleave(single.values()), *interleave(batched)]
    return [replace(job, number=n) for n, job in enumerate(jobs, 1)]


SYNC_TASK_NAME = "sync-{job.provider}-{job.number}"  # a task run's name, when orchestrated


def sync_job(
    source: CalendarSource,
    job: SyncJob,
    stage_in: Path,
    ingest: Pseudonymizer | PlainIngest,
    clock: Callable[[date], datetime],
    as_of: date,
) -> JobResult:
    """Sync the job's calendars and stage what they returned for the writer; a
    failing calendar is reported, never raised."""
    if job.batched and isinstance(source, BatchingSource):
        results = source.sync_many(job.calendars)
    else:
        results = [_sync_one(source, email, cursor) for email, cursor in job.calendars]
    batches = [r for r in results if isinstance(r, CalendarBatch)]
    failures = tuple(
        CalendarFailure(job.provider, email, str(r), isinstance(r, AuthError))
        for (email, _), r in zip(job.calendars, results, strict=True)
        if not isinstance(r, CalendarBatch)
    )
    staged = stage(stage_in, [ingest.batch(b) for b in batches], clock(as_of)) if batches else None
    waits = getattr(source, "waits", None)
    copy = f"{os.getpid()}:{id(waits)}"
    return JobResult(
        job.provider,
        staged,
        failures,
        len(batches),
        sum(b.events_read for b in batches),
        sum(b.requests for b in batches),
        (copy, waits.limits_s, waits.retries_s) if waits is not None else ("", 0.0, 0.0),
    )


def _sync_one(
    source: CalendarSource, email: str, cursor: str | None
) -> CalendarBatch | SourceError:
    try:
        try:
            return source.sync_calendar(email, cursor)
        except CursorExpiredError:
            # No address here: the task does not know whether the run pseudonymises.
            log().info("a calendar's cursor expired: full resync")
            return source.sync_calendar(email, None)
    except SourceError as error:
        return error


def sync_runner(config: Config) -> TaskRunner[Any]:
    """The task runner of an orchestrated sync: http.max_concurrency threads, or the
    Dask cluster of `[run] executor = "dask"`."""
    if config.run.executor == "dask":
        return dask_runner(config.run, config.http.max_concurrency)
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner[Any](max_workers=config.http.max_concurrency)


def sync_flow(config: Config) -> FlowSpec[SyncSummary]:
    """The sync flow with the configured task runner."""
    return sync_calendars.with_task_runner(lambda: sync_runner(config))


@flow(name="sync_calendars")
def sync_calendars(config: Config, as_of: date) -> SyncSummary:
    """Read the roster, sync every member's calendar concurrently, merge what the
    tasks stage into the warehouse in bulk."""
    summary = SyncSummary(sandbox=config.uses_sandbox)
    limit = config.http.max_concurrency
    staging = config.run.staging_for(config.warehouse.path)
    with (
        open_sources(config, as_of) as sources,  # a bad roster stops here, nothing written
        warehouse_lock(config.warehouse.path),
        Warehouse(config.warehouse.path) as warehouse,
    ):
        writer = StagedWriter(warehouse, staging_directory(staging))
        writer.merge_leftovers()  # a killed run's staged calendars, before their cursors
        ingest = _ingest(config)
        warehouse.snapshot_roster([ingest.person(p) for p in sources.people], as_of)
        cursors = _cursors(sources, warehouse, ingest)
        batching = {n for n, src in sources.calendars.items() if isinstance(src, BatchingSource)}
        dask = config.run.executor == "dask"
        most = DASK_CALENDARS_PER_TASK if dask else THREAD_CALENDARS_PER_TASK
        per_job = calendars_per_task(len(sources.synced_people), limit, most)
        calls = [
            (sources.calendars[job.provider], job, staging, ingest, sources.clock, as_of)
            for job in plan_jobs(sources.synced_people, cursors, batching, per_job)
        ]
        total = len(sources.synced_people)
        step, logged = max(1, total // 10), 0
        for result in map_concurrently(sync_job, calls, limit, config.run, SYNC_TASK_NAME):
            _record(warehouse, result, summary, sources.clock(as_of), ingest)
            writer.add(result.staged)
            done = summary.calendars_synced + len(summary.calendars_failed)
            if progress(done, total, summary.events_read):
                continue
            if done // step > logged or done == total:
                logged = done // step
                log().info("%d/%d calendars, %d events read", done, total, summary.events_read)
        writer.finish()
        evidence = sync_calls(config, as_of, sources, warehouse, ingest)
        summary.call_presences, summary.calls_failed = evidence.presences, evidence.failed
    log().info(
        "synced %d calendars (%d failed), %d events read; waited %.1f s on provider limits,"
        " %.1f s on retries",
        summary.calendars_synced,
        len(summary.calendars_failed),
        summary.events_read,
        summary.waited_on_limits_s,
        summary.waited_on_retries_s,
    )
    summary.check_credentials()
    return summary


def _ingest(config: Config) -> Pseudonymizer | PlainIngest:
    key = config.privacy.key
    secret = resolve_secret(key, "privacy.key") if key else None
    return ingest_for(config.privacy.pseudonymize, secret)


def _cursors(
    sources: Sources, warehouse: Warehouse, ingest: Pseudonymizer | PlainIngest
) -> dict[str, str | None]:
    """Stored cursors to resume from, where the sources can replay them."""
    if not sources.resumable:
        return {}
    stored = warehouse.cursors()
    return {
        p.email: ingest.replay_cursor(stored.get((p.provider, ingest.email(p.email))), p.email)
        for p in sources.synced_people
    }


def _record(
    warehouse: Warehouse,
    result: JobResult,
    summary: SyncSummary,
    observed_at: datetime,
    ingest: Pseudonymizer | PlainIngest,
) -> None:
    """Count a job's calendars and record its failures (its staged data is merged by
    the writer)."""
    for failure in result.failures:
        email = failure.calendar_email
        shown, reason = ingest.email(email), ingest.text(failure.reason, email)
        log().warning("calendar %s failed: %s", plain(shown), plain(reason))
        warehouse.record_failure(failure.provider, shown, reason, observed_at)
        summary.calendars_failed.append(shown)
        if failure.auth:
            summary.auth_refused.setdefault(failure.provider, reason)
    summary.calendars_synced += result.synced
    counts = summary.synced_by_provider
    counts[result.provider] = counts.get(result.provider, 0) + result.synced
    summary.events_read += result.events_read
    summary.requests += result.requests
    summary.note_waits(*result.waits)
