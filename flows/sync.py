"""The sync flow: one task per calendar (or per batch of incremental rounds), run
concurrently within http.max_concurrency; each request keeps to its provider's limits
(the sources' own, shared by every task); a failing calendar is recorded in
`sync_state` and reported, never raised."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import zip_longest
from typing import Any, TypeVar

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.model import BatchingSource, CalendarBatch, CalendarSource, Person, Provider
from core.errors import AuthError, CursorExpiredError, SourceError
from runtime.config import Config
from runtime.engine import log, map_concurrently, progress
from runtime.lock import warehouse_lock
from runtime.privacy import PlainIngest, Pseudonymizer, ingest_for
from runtime.resources import Sources, open_sources
from runtime.secrets import resolve_secret
from runtime.terminal import plain
from warehouse import Warehouse

BATCH_CHUNK = 100  # calendars per batched task: a few $batch requests each
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

    @property
    def label(self) -> str:
        first = self.calendars[0][0]
        return first if len(self.calendars) == 1 else f"{first} +{len(self.calendars) - 1}"


def interleave(groups: Iterable[list[T]]) -> Iterator[T]:
    """Round-robin over groups so that one provider's calendars do not queue the other's."""
    for row in zip_longest(*groups):
        yield from (item for item in row if item is not None)


def plan_jobs(
    people: list[Person], cursors: dict[str, str | None], batching: set[Provider]
) -> list[SyncJob]:
    """One job per calendar, except incremental rounds of a batching source, chunked;
    providers interleaved so that both make progress from the start."""
    single: dict[Provider, list[SyncJob]] = {}
    pending: dict[Provider, list[tuple[str, str | None]]] = {}
    for person in people:
        cursor = cursors.get(person.email)
        if cursor is not None and person.provider in batching:
            pending.setdefault(person.provider, []).append((person.email, cursor))
        else:
            job = SyncJob(person.provider, ((person.email, cursor),))
            single.setdefault(person.provider, []).append(job)
    jobs = list(interleave(single.values()))
    for provider, items in pending.items():
        for start in range(0, len(items), BATCH_CHUNK):
            jobs.append(SyncJob(provider, tuple(items[start : start + BATCH_CHUNK]), True))
    return jobs


@task(cache_policy=NONE, task_run_name="sync-{job.label}")
def sync_job(source: CalendarSource, job: SyncJob) -> list[CalendarBatch | CalendarFailure]:
    """Sync the job's calendars; a failing calendar is reported, never raised."""
    if job.batched and isinstance(source, BatchingSource):
        results = source.sync_many(job.calendars)
    else:
        results = [_sync_one(source, email, cursor) for email, cursor in job.calendars]
    return [
        _outcome_of(job.provider, email, result)
        for (email, _), result in zip(job.calendars, results, strict=True)
    ]


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


def _outcome_of(
    provider: str, email: str, result: CalendarBatch | SourceError
) -> CalendarBatch | CalendarFailure:
    if isinstance(result, CalendarBatch):
        return result
    auth = isinstance(result, AuthError)
    return CalendarFailure(provider, email, str(result), auth)  # logged by _store


def sync_runner(config: Config) -> ThreadPoolTaskRunner[Any]:
    """The task runner of an orchestrated sync: http.max_concurrency threads."""
    return ThreadPoolTaskRunner[Any](max_workers=config.http.max_concurrency)


@flow(name="sync_calendars")
def sync_calendars(config: Config, as_of: date) -> SyncSummary:
    """Read the roster, sync every member's calendar concurrently, store each batch."""
    summary = SyncSummary(sandbox=config.uses_sandbox)
    limit = config.http.max_concurrency
    with (
        open_sources(config, as_of) as sources,  # a bad roster stops here, nothing written
        warehouse_lock(config.warehouse.path),
        Warehouse(config.warehouse.path) as warehouse,
    ):
        ingest = _ingest(config)
        warehouse.snapshot_roster([ingest.person(p) for p in sources.people], as_of)
        cursors = _cursors(sources, warehouse, ingest)
        batching = {n for n, src in sources.calendars.items() if isinstance(src, BatchingSource)}
        calls = [
            (sources.calendars[job.provider], job)
            for job in plan_jobs(sources.people, cursors, batching)
        ]
        total, step = len(sources.people), max(1, len(sources.people) // 10)
        for outcomes in map_concurrently(sync_job, calls, limit):
            for outcome in outcomes:
                _store(warehouse, outcome, summary, sources.clock(as_of), ingest)
                done = summary.calendars_synced + len(summary.calendars_failed)
                if progress(done, total, summary.events_read):
                    continue
                if done % step == 0 or done == total:
                    log().info("%d/%d calendars, %d events read", done, total, summary.events_read)
        summary.waited_on_limits_s = sum(s.waits.limits_s for s in sources.calendars.values())
        summary.waited_on_retries_s = sum(s.waits.retries_s for s in sources.calendars.values())
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
    return {
        p.email: ingest.replay_cursor(
            warehouse.cursor_for(p.provider, ingest.email(p.email)), p.email
        )
        for p in sources.people
    }


def _store(
    warehouse: Warehouse,
    outcome: CalendarBatch | CalendarFailure,
    summary: SyncSummary,
    observed_at: datetime,
    ingest: Pseudonymizer | PlainIngest,
) -> None:
    if isinstance(outcome, CalendarFailure):
        email = outcome.calendar_email
        shown, reason = ingest.email(email), ingest.text(outcome.reason, email)
        log().warning("calendar %s failed: %s", plain(shown), plain(reason))
        warehouse.record_failure(outcome.provider, shown, reason, observed_at)
        summary.calendars_failed.append(shown)
        if outcome.auth:
            summary.auth_refused.setdefault(outcome.provider, reason)
        return
    warehouse.store_calendar(ingest.batch(outcome), observed_at)
    summary.calendars_synced += 1
    counts = summary.synced_by_provider
    counts[outcome.provider] = counts.get(outcome.provider, 0) + 1
    summary.events_read += outcome.events_read
    summary.requests += outcome.requests
