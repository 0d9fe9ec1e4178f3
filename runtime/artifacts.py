"""The run summary: counts, who is neglected, who cancels, where the dashboard is.

`run_markdown` is pure; `publish_summary` writes it beside the dashboard and, under
Prefect, as the run's markdown artifact. Nothing here ever holds a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from reports.files import write_private
from runtime.engine import orchestrated

ARTIFACT_KEY = "weekly-report"
TOP = 10  # rows of each list in the summary; the dashboard has them all


@dataclass(frozen=True)
class RunReport:
    """What one weekly run did and found."""

    as_of: date
    outcome: str  # complete | partial
    sandbox: bool
    calendars_synced: int
    calendars_failed: list[str]
    events_read: int
    occurrences: int
    dashboard: Path
    neglected: pl.DataFrame = field(default_factory=pl.DataFrame)
    chronic: pl.DataFrame = field(default_factory=pl.DataFrame)
    waited_on_limits_s: float = 0.0  # summed over the sync threads
    waited_on_retries_s: float = 0.0


def run_markdown(report: RunReport) -> str:
    """The summary as markdown (also readable as plain text in an email)."""
    lines = [
        f"# 1:1 report as of {report.as_of.isoformat()}: {report.outcome}",
        "",
        *_counts(report),
        "",
        *_failed(report.calendars_failed),
        *_neglected(report.neglected.head(TOP), report.neglected.height),
        *_chronic(report.chronic.head(TOP), report.chronic.height),
        f"Dashboard: `{report.dashboard}`",
    ]
    if report.sandbox:
        lines += ["", "_Data from the built-in sandbox organisation (synthetic)._"]
    return "\n".join(lines) + "\n"


def _counts(report: RunReport) -> list[str]:
    return [
        "| calendars synced | calendars failed | events read | occurrences |",
        "|---:|---:|---:|---:|",
        f"| {report.calendars_synced} | {len(report.calendars_failed)} "
        f"| {report.events_read} | {report.occurrences} |",
        "",
        f"The sync waited {report.waited_on_limits_s:.1f} s on provider limits and "
        f"{report.waited_on_retries_s:.1f} s on retries (summed over its threads).",
    ]


def _failed(emails: list[str]) -> list[str]:
    if not emails:
        return []
    return [
        "## Calendars that failed (their data is missing from this run)",
        "",
        *(f"- {email}" for email in sorted(emails)),
        "",
    ]


def _neglected(rows: pl.DataFrame, total: int) -> list[str]:
    if rows.is_empty():
        return ["## Neglected reports", "", "None.", ""]
    lines = [f"## Neglected reports (top {rows.height} of {total})", ""]
    lines += ["| report | manager | days since last 1:1 |", "|---|---|---:|"]
    for row in rows.iter_rows(named=True):
        days = "never met" if row["days_since_last"] is None else str(row["days_since_last"])
        lines.append(f"| {row['report_email']} | {row['manager_email']} | {days} |")
    return [*lines, ""]


def _chronic(rows: pl.DataFrame, total: int) -> list[str]:
    if rows.is_empty():
        return ["## Chronic cancelers", "", "None.", ""]
    lines = [f"## Chronic cancelers (top {rows.height} of {total})", ""]
    lines += ["| person | cancelled | of scheduled | rate |", "|---|---:|---:|---:|"]
    for row in rows.iter_rows(named=True):
        lines.append(
            f"| {row['person_email']} | {row['initiated']} | {row['exposure']} "
            f"| {row['initiated_rate']:.0%} |"
        )
    return [*lines, ""]


def publish_summary(report: RunReport, out_dir: Path) -> str:
    """Write `run-summary.md` beside the dashboard; under Prefect also the artifact."""
    markdown = run_markdown(report)
    write_private(out_dir / "run-summary.md", markdown.encode())
    if orchestrated():
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            markdown, key=ARTIFACT_KEY, description=f"1:1 report as of {report.as_of}"
        )
    return markdown
