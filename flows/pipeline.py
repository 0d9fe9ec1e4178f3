"""The Prefect flows: thin wiring of settings → connectors → warehouse → reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.errors import CursorExpiredError, SourceError
from connectors.model import CalendarBatch, CalendarSource, Person, Provider
from flows.config import Config, load_config, today_in
from flows.resources import open_sources
from reports import ReportMeta, render_reports
from warehouse import Warehouse
from warehouse.params import BuildContext

REPORT_TABLES = (
    "people",
    "reporting_lines",
    "occurrences",
    "pair_metrics",
    "manager_metrics",
    "cancelers",
    "chronic_cancelers",
    "neglected_reports",
    "weekly_activity",
    "sync_state",
)


@dataclass(frozen=True)
class CalendarFailure:
    provider: str
    calendar_email: str
    reason: str


@dataclass
class SyncSummary:
    calendars_synced: int = 0
    calendars_failed: list[str] = field(default_factory=list)
    events_read: int = 0
    requests: int = 0
    sandbox: bool = False


BATCH_CHUNK = 100  # calendars per batched task: a few $batch requests each


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


def plan_jobs(
    people: list[Person], cursors: dict[str, str | None], batching: set[Provider]
) -> list[SyncJob]:
    """One job per calendar, except incremental rounds of a batching source, chunked."""
    jobs: list[SyncJob] = []
    pending: dict[Provider, list[tuple[str, str | None]]] = {}
    for person in people:
        cursor = cursors.get(person.email)
        if cursor is not None and person.provider in batching:
            pending.setdefault(person.provider, []).append((person.email, cursor))
        else:
            jobs.append(SyncJob(person.provider, ((person.email, cursor),)))
    for provider, items in pending.items():
        for start in range(0, len(items), BATCH_CHUNK):
            jobs.append(SyncJob(provider, tuple(items[start : start + BATCH_CHUNK]), True))
    return jobs


@task(cache_policy=NONE, task_run_name="sync-{job.label}")
def sync_job(source: CalendarSource, job: SyncJob) -> list[CalendarBatch | CalendarFailure]:
    """Sync the job's calendars; a failing calendar is reported, never raised."""
    if job.batched:
        results = source.sync_many(job.calendars)  # type: ignore[attr-defined]
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
            get_run_logger().info("cursor expired for %s: full resync", email)
            return source.sync_calendar(email, None)
    except SourceError as error:
        return error


def _outcome_of(
    provider: str, email: str, result: CalendarBatch | SourceError
) -> CalendarBatch | CalendarFailure:
    if isinstance(result, CalendarBatch):
        return result
    get_run_logger().warning("calendar %s failed: %s", email, result)
    return CalendarFailure(provider, email, str(result))


@flow(name="sync_calendars")
def sync_calendars(config: Config, as_of: date) -> SyncSummary:
    """Read the roster, sync every member's calendar concurrently, store each batch."""
    summary = SyncSummary(sandbox=config.uses_sandbox)
    with open_sources(config, as_of) as sources, Warehouse(config.warehouse.path) as warehouse:
        warehouse.snapshot_roster(sources.people, as_of)
        cursors = {p.email: warehouse.cursor_for(p.provider, p.email) for p in sources.people}
        batching = {
            name for name, source in sources.calendars.items() if hasattr(source, "sync_many")
        }
        jobs = plan_jobs(sources.people, cursors, batching)
        futures = [sync_job.submit(sources.calendars[job.provider], job) for job in jobs]
        for future in as_completed(futures):
            for outcome in future.result():
                _store(warehouse, outcome, summary, _observed_at(config, as_of))
    get_run_logger().info(
        "synced %d calendars (%d failed), %d events read",
        summary.calendars_synced,
        len(summary.calendars_failed),
        summary.events_read,
    )
    return summary


def _store(
    warehouse: Warehouse,
    outcome: CalendarBatch | CalendarFailure,
    summary: SyncSummary,
    observed_at: datetime,
) -> None:
    if isinstance(outcome, CalendarFailure):
        warehouse.record_failure(
            outcome.provider, outcome.calendar_email, outcome.reason, observed_at
        )
        summary.calendars_failed.append(outcome.calendar_email)
        return
    warehouse.store_calendar(outcome, observed_at)
    summary.calendars_synced += 1
    summary.events_read += outcome.events_read
    summary.requests += outcome.requests


def _observed_at(config: Config, as_of: date) -> datetime:
    """When this sync saw the data: now, or the sandbox's own clock (its anchor day)."""
    now = datetime.now(UTC)
    if config.uses_sandbox:
        return datetime.combine(as_of, now.time(), tzinfo=UTC)
    return now


def build_context(config: Config, as_of: date) -> BuildContext:
    """The as_of, org calendar and metric parameters a build runs with."""
    from datetime import timedelta

    return BuildContext(
        as_of=as_of,
        org=config.org.calendar(),
        params=config.metrics.params(),
        history_start=as_of - timedelta(days=config.sync.history_days),
    )


@flow(name="build_warehouse")
def build_warehouse(config: Config, as_of: date) -> dict[str, int]:
    """Rebuild occurrences and every metric table as of `as_of`, in one transaction."""
    with Warehouse(config.warehouse.path) as warehouse:
        counts = warehouse.build(build_context(config, as_of))
    get_run_logger().info("built warehouse: %s", counts)
    return counts


@flow(name="render_reports")
def render_reports_flow(config: Config, as_of: date) -> Path:
    """Render the dashboard, manager pages and CSV exports from the metric tables."""
    with Warehouse(config.warehouse.path, read_only=True) as warehouse:
        tables = {name: warehouse.table(name) for name in REPORT_TABLES}
    meta = report_meta(tables, as_of, config)
    files = render_reports(tables, meta, config.report.out_dir)
    get_run_logger().info("dashboard written to %s", files.dashboard)
    return files.dashboard


def report_meta(tables: dict[str, pl.DataFrame], as_of: date, config: Config) -> ReportMeta:
    """What the dashboard says about the data: as_of, freshness, failed calendars."""
    sync_state = tables["sync_state"]
    failed = sync_state.filter(pl.col("status") == "failed")["calendar_email"].to_list()
    last_sync = sync_state["last_sync"].max() if sync_state.height else None
    return ReportMeta(
        as_of=as_of,
        timezone=config.org.timezone,
        generated_at=datetime.now(UTC),
        sandbox=config.uses_sandbox,
        calendars_total=sync_state.height,
        calendars_failed=sorted(failed),
        last_sync_at=last_sync,  # type: ignore[arg-type]
        window_days=config.metrics.window_days,
        chronic_cancel_rate=config.metrics.chronic_cancel_rate,
        neglect_days=config.metrics.neglect_days,
        impact_days=config.metrics.impact_days,
    )


@flow(name="weekly_report")
def weekly_report(config_path: str | None = None, as_of: date | None = None) -> Path:
    """Sync every calendar, rebuild the warehouse and render the reports."""
    config = load_config(Path(config_path) if config_path else None)
    as_of = as_of or today_in(config.org.timezone)
    with Warehouse(config.warehouse.path) as warehouse:
        run_id = warehouse.start_run(as_of, config.uses_sandbox)
    runner = ThreadPoolTaskRunner[Any](max_workers=config.http.max_concurrency)
    summary = sync_calendars.with_options(task_runner=runner)(config, as_of)  # type: ignore[arg-type]
    counts = build_warehouse(config, as_of)
    dashboard = render_reports_flow(config, as_of)
    with Warehouse(config.warehouse.path) as warehouse:
        warehouse.finish_run(run_id, _outcome(summary), _run_counts(summary, counts))
    return dashboard


def _outcome(summary: SyncSummary) -> str:
    return "partial" if summary.calendars_failed else "complete"


def _run_counts(summary: SyncSummary, counts: dict[str, int]) -> dict[str, int]:
    return {
        "calendars_synced": summary.calendars_synced,
        "calendars_failed": len(summary.calendars_failed),
        "events_read": summary.events_read,
        "occurrences": counts.get("occurrences", 0),
    }
