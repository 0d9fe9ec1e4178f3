"""Rows of the HTML tables: frames → display rows, then one shared template (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from reports import fmt
from reports.meta import ReportMeta


@dataclass(frozen=True)
class Cell:
    """One table cell: display text, an optional link and an optional CSS class."""

    text: str
    href: str | None = None
    cls: str = ""
    sort: str | float | None = None  # value used by column sorting, when not the text


@dataclass(frozen=True)
class Table:
    """A table to render: an id (also the test hook), headers, rows, paging size."""

    id: str
    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    page_size: int = 50
    total: int | None = None  # rows before truncation, when the table was cut


def flag(on: bool | None, text: str) -> Cell:
    """A warning shown as words (never colour alone)."""
    return Cell(f"⚠ {text}", cls="flag") if on else Cell("")


def days_cell(days: int | None) -> Cell:
    """Days since the last 1:1; 'never met' sorts above any number."""
    if days is None:
        return Cell("never met", cls="flag", sort=1e9)
    return Cell(f"{days:,}", sort=float(days))


def _next(value: datetime | None, tz: str) -> Cell:
    return Cell(fmt.local_dt(value, tz)) if value else Cell("none scheduled", cls="muted")


def _day(value: date | None) -> Cell:
    return Cell(fmt.day(value))


def _unscheduled(hours: float | None) -> Cell:
    """Hours of calls with reports outside any 1:1; a dash without call records."""
    return Cell(fmt.hours(hours), sort=hours) if hours is not None else Cell(fmt.DASH, cls="muted")


def _adherence(value: float | None, behind: bool | None) -> Cell:
    text = fmt.pct(value)
    return Cell(f"⚠ {text} behind", cls="flag", sort=value) if behind else Cell(text, sort=value)


def sort_neglected(neglected: pl.DataFrame) -> pl.DataFrame:
    """Never met first, then the longest since the last 1:1."""
    return neglected.sort(
        ["days_since_last", "report_email"], descending=[True, False], nulls_last=False
    )


def neglected_table(
    neglected: pl.DataFrame,
    pages: Mapping[str, str],
    meta: ReportMeta,
    limit: int = 2000,
    with_manager: bool = True,
) -> Table:
    """Neglected reports with manager (linked to their page), cadence and next 1:1.

    `with_manager=False` leaves the manager column out (one manager's own page).
    """
    rows = sort_neglected(neglected)
    cells = [
        [
            Cell(r["report_name"] or r["report_email"], cls="person"),
            Cell(r["manager_name"] or r["manager_email"], href=pages.get(r["manager_email"])),
            days_cell(r["days_since_last"]),
            _day(r["last_held_date"]),
            Cell(r["cadence"] or "none"),
            _next(r["next_scheduled_at"], meta.timezone),
            flag(r["intro_overdue"], "intro overdue"),
        ]
        for r in rows.head(limit).iter_rows(named=True)
    ]
    headers = [
        "Report",
        "Manager",
        "Days since 1:1",
        "Last 1:1",
        "Cadence",
        f"Next 1:1 ({meta.timezone})",
        "New report",
    ]
    if not with_manager:
        del headers[1]
        cells = [[row[0], *row[2:]] for row in cells]
    caption = (
        f"Neglected reports: no held 1:1 for more than {meta.neglect_days} days (never met first)"
    )
    return Table("neglected", caption, headers, cells, total=rows.height)


def manager_index(
    managers: pl.DataFrame, names: Mapping[str, str], pages: Mapping[str, str], limit: int = 5000
) -> Table:
    """Every manager with their team figures, linked to their page; most neglect first.

    `managers` has `unscheduled_call_hours` (`frames.with_unscheduled_call_hours`)."""
    rows = managers.filter(pl.col("reports") > 0).sort(
        ["neglected_reports", "mean_coverage", "manager_email"],
        descending=[True, False, False],
        nulls_last=True,
    )
    cells = [
        [
            Cell(
                names.get(r["manager_email"], r["manager_email"]),
                href=pages.get(r["manager_email"]),
            ),
            Cell(f"{r['reports']:,}", sort=r["reports"]),
            Cell(f"{r['reports_met']:,}", sort=r["reports_met"]),
            Cell(f"{r['neglected_reports']:,}", sort=r["neglected_reports"]),
            Cell(fmt.pct(r["mean_coverage"]), sort=r["mean_coverage"]),
            Cell(fmt.hours(r["held_hours"]), sort=r["held_hours"]),
            _unscheduled(r["unscheduled_call_hours"]),
            Cell(fmt.pct(r["cancel_rate"]), sort=r["cancel_rate"]),
            flag(r["chronic_canceler"], "chronic canceler"),
        ]
        for r in rows.head(limit).iter_rows(named=True)
    ]
    headers = (
        "Manager",
        "Reports",
        "Met",
        "Neglected",
        "Coverage",
        "Hours in 1:1s",
        "Unscheduled calls",
        "Cancel rate",
        "Cancels",
    )
    return Table("managers", "Managers (open a team's page)", headers, cells, 25, rows.height)


def team_table(pairs: pl.DataFrame, names: Mapping[str, str], meta: ReportMeta) -> Table:
    """A manager's reporting lines: cadence, last and next 1:1, coverage, flags."""
    rows = pairs.sort(
        ["days_since_last", "report_email"], descending=[True, False], nulls_last=False
    )
    cells = [
        [
            Cell(names.get(r["report_email"], r["report_email"]), cls="person"),
            Cell(r["cadence"] or "none"),
            Cell(f"{r['held'] or 0} of {r['scheduled'] or 0}"),
            _day(r["last_held_date"]),
            days_cell(r["days_since_last"]),
            _next(r["next_scheduled_at"], meta.timezone),
            Cell(fmt.pct(r["coverage"]), sort=r["coverage"]),
            Cell(fmt.pct(r["cancel_rate"]), sort=r["cancel_rate"]),
            Cell(fmt.phase(r["phase"])),
            _adherence(r["adherence"], r["behind_phase"]),
            flag(r["neglected"], "neglected"),
            flag(r["intro_overdue"], "intro overdue"),
        ]
        for r in rows.iter_rows(named=True)
    ]
    headers: tuple[str, ...] = (
        "Report",
        "Cadence",
        "Held of scheduled",
        "Last 1:1",
        "Days since",
        f"Next 1:1 ({meta.timezone})",
        "Coverage",
        "Cancel rate",
        "Phase",
        "Adherence",
        "Neglected",
        "New report",
    )
    if has_call_records(pairs):
        cells = [
            [*row, _joined(r["attended"], r["no_show"]), _unscheduled(r["unscheduled_call_hours"])]
            for row, r in zip(cells, rows.iter_rows(named=True), strict=True)
        ]
        headers = (*headers, "Both joined (call records)", "Unscheduled calls")
    return Table("team", f"Your team, last {meta.window_days} days", headers, cells, 100)


def has_call_records(pairs: pl.DataFrame) -> bool:
    """True when attendance was read for these lines: a held 1:1 with call records, or
    unscheduled call hours (null on every line when no call records were read)."""
    evidence = pl.col("attended").fill_null(0) + pl.col("no_show").fill_null(0)
    hours = pl.col("unscheduled_call_hours").is_not_null()
    found = pairs.select((evidence > 0).any() | hours.any())
    return bool(found.item()) if pairs.height else False


def _joined(attended: int | None, no_show: int | None) -> Cell:
    """Held 1:1s both people joined, of those with call records; no-shows flagged."""
    joined, missed = attended or 0, no_show or 0
    seen = joined + missed
    if not seen:
        return Cell(fmt.DASH, cls="muted")
    text = f"{joined} of {seen}"
    if missed:
        return Cell(f"⚠ {text}, {missed} no-show", cls="flag", sort=joined / seen)
    return Cell(text, sort=joined / seen)


def sync_failures(sync_state: pl.DataFrame, meta: ReportMeta) -> Table:
    """Calendars whose last sync failed: their data is missing from every figure."""
    failed = sync_state.filter(pl.col("status") == "failed").sort("calendar_email")
    has = set(failed.columns)
    cells = [
        [
            Cell(r["calendar_email"]),
            Cell(str(r["provider"]) if "provider" in has else ""),
            Cell(fmt.local_dt(r["last_sync"], meta.timezone) if "last_sync" in has else ""),
            Cell(str(r["error"] or "")[:200] if "error" in has else ""),
        ]
        for r in failed.iter_rows(named=True)
    ]
    headers = ("Calendar", "Provider", f"Last attempt ({meta.timezone})", "Error")
    return Table("sync-failures", "Calendars that failed to sync", headers, cells)
