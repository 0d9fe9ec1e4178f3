"""The Prefect flows: thin wiring of settings → connectors → warehouse → reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from connectors.errors import CursorExpiredError, SourceError
from connectors.model import CalendarBatch, CalendarSource, Person
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


@task(cache_policy=NONE, task_run_name="sync-{person.email}")
def sync_calendar(
    source: CalendarSource, person: Person, cursor: str | None
) -> CalendarBatch | CalendarFailure:
    """Read one calendar; an expired cursor means a full resync of that calendar only."""
    try:
        try:
            return source.sync_calendar(person.email, cursor)
        except CursorExpiredError:
            get_run_logger().info("cursor expired for %s: full resync", person.email)
            return source.sync_calendar(person.email, None)
    except SourceError as error:
        get_run_logger().warning("calendar %s failed: %s", person.email, error)
        return CalendarFailure(source.provider, person.email, str(error))


@flow(name="sync_calendars")
def sync_calendars(config: Config, as_of: date) -> SyncSummary:
    """Read the roster, sync every member's calendar concurrently, store each batch."""
    summary = SyncSummary(sandbox=config.uses_sandbox)
    with open_sources(config, as_of) as sources, Warehouse(config.warehouse.path) as warehouse:
        warehouse.snapshot_roster(sources.people, as_of)
        futures = [
            sync_calendar.submit(
                sources.calendars[person.provider],
                person,
                warehouse.cursor_for(person.provider, person.email),
            )
            for person in sources.people
        ]
        for future in as_completed(futures):
            _store(warehouse, future.result(), summary, _observed_at(config, as_of))
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
    runner = ThreadPoolTaskRunner(max_workers=config.http.max_concurrency)
    summary = sync_calendars.with_options(task_runner=runner)(config, as_of)
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
