"""The Prefect flows: thin wiring of settings → connectors → warehouse → reports.

`weekly_report` is what the deployment schedules and `oneonone run` calls. It holds
the warehouse's write lock for the whole run, so a second run fails fast and changes
nothing; a calendar that fails makes the run partial (a Completed state named
"Partial", `runs.outcome = 'partial'`, the failed mailboxes named in the summary and
on the dashboard) rather than failed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from core.errors import OneOnOneError
from flows.backfill import backfill_new_install
from flows.build import build_flow, build_warehouse
from flows.sync import (
    CalendarFailure,
    SyncJob,
    SyncSummary,
    plan_jobs,
    sync_calendars,
    sync_flow,
    sync_job,
)
from reports import ReportMeta, check_out_dir, render_reports
from runtime.artifacts import RunReport, publish_summary, run_markdown
from runtime.config import Config, load_config, today_in
from runtime.context import build_context
from runtime.delivery import send_summary, summary_message
from runtime.engine import flow, log, orchestrated, step
from runtime.lock import warehouse_lock
from runtime.resources import check_inputs
from runtime.secrets import check_secret_references
from warehouse import Warehouse
from warehouse.roster import team_manager
from warehouse.schema import DERIVED_TABLES

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State

__all__ = [
    "CalendarFailure",
    "SyncJob",
    "SyncSummary",
    "build_context",
    "build_flow",
    "build_warehouse",
    "plan_jobs",
    "render_reports_flow",
    "report_meta",
    "sync_calendars",
    "sync_flow",
    "sync_job",
    "weekly_report",
]

REPORT_TABLES = (*DERIVED_TABLES, "sync_state", "kpi_history", "org_rollups_history")
PARTIAL = "Partial"


@flow(name="render_reports")
def render_reports_flow(config: Config, as_of: date, manager: str | None = None) -> Path:
    """Render the dashboard, manager pages and CSV exports from the metric tables.

    With `manager` (an email), the one-manager view: the dashboard is that manager's
    team page and no organisation or other manager pages are written. One manager's
    own run (`roster.source` "self" or "ics") shows that view of the roster's manager.
    """
    check_out_dir(config.report.out_dir)
    with Warehouse(config.warehouse.path, read_only=True) as warehouse:
        tables = {name: warehouse.table(name) for name in REPORT_TABLES}
    if manager is None and config.roster.one_manager:
        manager = team_manager(tables["people"])
    meta = report_meta(tables, as_of, config)
    files = render_reports(tables, meta, config.report.out_dir, manager=manager)
    log().info("dashboard written to %s", files.dashboard)
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
def weekly_report(
    config_path: str | None = None,
    as_of: date | None = None,
    notify: bool = False,
    config: Config | None = None,
) -> State[Path] | Path:
    """Sync every calendar, rebuild the warehouse, render the reports and summarise.

    The deployment names the configuration file (`config_path`); the CLI passes the
    configuration it loaded (`config`). `notify` sends the summary by email when
    report.email is configured (the scheduled deployment sets it). The final state is
    Completed, named "Partial" when some calendars failed; run in-process, the
    dashboard's path.
    """
    config = config or load_config(Path(config_path) if config_path else None)
    as_of = as_of or today_in(config.org.timezone)
    check_secret_references(
        {
            "microsoft.client_secret": config.microsoft.client_secret,
            "privacy.key": config.privacy.key if config.privacy.pseudonymize else None,
        }
    )
    check_out_dir(config.report.out_dir)  # before the sync, not after an hour of it
    check_inputs(config)  # a bad roster or key file stops the run before anything is written
    with warehouse_lock(config.warehouse.path):
        report = _run_steps(config, as_of)
    publish_summary(report, config.report.out_dir)
    sent = _deliver(config, report) if notify else None
    return final_state(report, sent) if orchestrated() else report.dashboard


def _run_steps(config: Config, as_of: date) -> RunReport:
    """Sync, backfill the history of a new install, build and render, recording the
    run; a run that raises is recorded failed."""
    with Warehouse(config.warehouse.path) as warehouse:
        run_id = warehouse.start_run(as_of, config.uses_sandbox)
    try:
        summary = step(sync_flow(config), config, as_of)
        step(backfill_new_install, config, as_of)
        counts = step(build_flow(config), config, as_of)
        dashboard = step(render_reports_flow, config, as_of)
    except BaseException:
        _finish(config, run_id, "failed", {})
        raise
    report = run_report(config, as_of, summary, counts.get("occurrences", 0), dashboard)
    _finish(config, run_id, report.outcome, _run_counts(report))
    return report


def _finish(config: Config, run_id: str, outcome: str, counts: dict[str, int]) -> None:
    with Warehouse(config.warehouse.path) as warehouse:
        warehouse.finish_run(run_id, outcome, counts)


def run_report(
    config: Config, as_of: date, summary: SyncSummary, occurrences: int, dashboard: Path
) -> RunReport:
    """The run's summary, with the top of the neglected and chronic-canceler lists."""
    with Warehouse(config.warehouse.path, read_only=True) as warehouse:
        neglected = warehouse.table("neglected_reports")
        chronic = warehouse.table("chronic_cancelers")
    return RunReport(
        as_of=as_of,
        outcome="partial" if summary.calendars_failed else "complete",
        sandbox=config.uses_sandbox,
        calendars_synced=summary.calendars_synced,
        calendars_failed=sorted(summary.calendars_failed),
        events_read=summary.events_read,
        occurrences=occurrences,
        dashboard=dashboard,
        neglected=neglected,
        chronic=chronic,
        waited_on_limits_s=summary.waited_on_limits_s,
        waited_on_retries_s=summary.waited_on_retries_s,
    )


def _run_counts(report: RunReport) -> dict[str, int]:
    return {
        "calendars_synced": report.calendars_synced,
        "calendars_failed": len(report.calendars_failed),
        "events_read": report.events_read,
        "occurrences": report.occurrences,
    }


def _deliver(config: Config, report: RunReport) -> bool | None:
    """Email the summary if report.email is set (None if not); a failure is logged."""
    email = config.report.email
    if email is None:
        return None
    subject = f"1:1 report as of {report.as_of.isoformat()} ({report.outcome})"
    message = summary_message(email, subject, run_markdown(report), report.dashboard)
    try:
        send_summary(email, message, config.http.ca_bundle)
    except OneOnOneError as error:
        log().error("%s", error)
        return False
    log().info("summary sent to %d recipients", len(email.to))
    return True


def final_state(report: RunReport, sent: bool | None = None) -> State[Path]:
    """Completed, named "Partial" with the failed mailboxes when some calendars failed."""
    message = f"{report.calendars_synced} calendars synced; dashboard {report.dashboard}"
    if report.calendars_failed:
        shown = ", ".join(report.calendars_failed[:5])
        more = len(report.calendars_failed) - 5
        message = f"{len(report.calendars_failed)} calendars failed: {shown}" + (
            f" and {more} more" if more > 0 else ""
        )
    if sent is False:
        message += "; the summary email was not sent"
    from prefect.states import Completed

    name = PARTIAL if report.calendars_failed else "Completed"
    return Completed(name=name, message=message, data=report.dashboard)
