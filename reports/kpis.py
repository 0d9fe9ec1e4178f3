"""Headline figures (KPI tiles) computed from the metric tables (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from reports import fmt
from reports.meta import ReportMeta

MAX_NAMED_FAILURES = 10
SPARK_WEEKS = 12
SPARK_WIDTH, SPARK_HEIGHT = 120, 28
NO_SNAPSHOT = "no earlier snapshot"


@dataclass(frozen=True)
class Trend:
    """A tile's change since the previous snapshot and its sparkline.

    `change` is the visible text (▲/▼ and the difference), `title` the hover text with
    the previous value and its date, `points` an SVG polyline's points ("" under two).
    """

    change: str
    title: str
    points: str


@dataclass(frozen=True)
class Kpi:
    """One tile: a key for tests and styling, a label, the value, and how it is defined.

    `alert` marks a tile that needs attention (shown with a text marker, not colour alone).
    """

    key: str
    label: str
    value: str
    detail: str
    alert: bool = False
    trend: Trend | None = None


@dataclass(frozen=True)
class LineTotals:
    """Sums over a set of reporting lines that the tiles are computed from."""

    lines: int
    met: int
    neglected: int
    intro: int
    coverage: float | None
    scheduled: int
    lost: int
    held_hours: float
    leverage_hours: float
    no_data: int = 0
    leverage_ratio: float | None = None  # when given, instead of leverage ÷ held hours
    attended: int = 0  # held 1:1s both people joined (call records)
    no_show: int = 0  # held online 1:1s whose call records lack one of the two


def _aggregations() -> list[pl.Expr]:
    held = pl.col("held_hours").fill_null(0) > 0
    return [
        pl.len().alias("lines"),
        (pl.col("held").fill_null(0) > 0).sum().alias("met"),
        pl.col("neglected").fill_null(False).sum().alias("neglected"),
        pl.col("intro_overdue").fill_null(False).sum().alias("intro"),
        pl.col("coverage").mean().alias("coverage"),
        pl.col("scheduled").fill_null(0).sum().alias("scheduled"),
        (pl.col("cancelled").fill_null(0) + pl.col("declined").fill_null(0)).sum().alias("lost"),
        pl.col("held_hours").filter(held).sum().alias("held_hours"),
        pl.col("leverage_hours").fill_null(0).filter(held).sum().alias("leverage_hours"),
        (pl.col("data") == "none").sum().alias("no_data"),
        pl.col("attended").fill_null(0).sum().alias("attended"),
        pl.col("no_show").fill_null(0).sum().alias("no_show"),
    ]


def _totals(row: Mapping[str, object]) -> LineTotals:
    values = {k: row[k] for k in LineTotals.__dataclass_fields__ if k in row}
    return LineTotals(**values)  # type: ignore[arg-type]


def line_totals(pairs: pl.DataFrame) -> LineTotals:
    """Totals over every line of `pairs`."""
    return _totals(pairs.select(_aggregations()).row(0, named=True))


def line_totals_by_manager(pairs: pl.DataFrame) -> dict[str, LineTotals]:
    """Totals per manager, computed in one pass (thousands of pages stay fast)."""
    grouped = pairs.group_by("manager_email").agg(_aggregations())
    return {row["manager_email"]: _totals(row) for row in grouped.iter_rows(named=True)}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def totals_from_rollup(row: Mapping[str, Any] | None) -> LineTotals:
    """Totals from a row of org_kpis or org_rollups (no row: an empty organisation)."""
    row = row or {}

    def count(column: str) -> int:
        return int(row.get(column) or 0)

    return LineTotals(
        lines=count("lines"), met=count("reports_met"), neglected=count("neglected_reports"),
        intro=count("intro_overdue_reports"), coverage=row.get("mean_coverage"),
        scheduled=count("scheduled"), lost=count("lost"),
        held_hours=float(row.get("held_hours") or 0),
        leverage_hours=float(row.get("leverage_hours") or 0),
        no_data=count("no_data_reports"), leverage_ratio=row.get("leverage_ratio"),
        attended=count("attended"), no_show=count("no_show"),
    )  # fmt: skip


def snapshot_values(t: LineTotals, chronic: int) -> dict[str, float | None]:
    """The tiles' current numbers under their history-table column names."""
    return {
        "mean_coverage": t.coverage,
        "reports_met": t.met,
        "neglected_reports": t.neglected,
        "intro_overdue_reports": t.intro,
        "chronic_cancelers": chronic,
        "cancel_rate": _ratio(t.lost, t.scheduled),
        "leverage_ratio": _leverage(t),
        "no_data_reports": t.no_data,
        "attended_rate": _ratio(t.attended, t.attended + t.no_show),
    }


def _leverage(t: LineTotals) -> float | None:
    return (
        t.leverage_ratio if t.leverage_ratio is not None else _ratio(t.leverage_hours, t.held_hours)
    )


def coverage_kpi(t: LineTotals, meta: ReportMeta) -> Kpi:
    """Mean coverage over reporting lines that have a coverage."""
    return Kpi(
        "coverage", "Coverage (mean)", fmt.pct(t.coverage),
        f"Share of workdays within {meta.impact_days} days after a held 1:1, "
        f"mean over {t.lines:,} reporting lines",
    )  # fmt: skip


def reports_met_kpi(t: LineTotals, meta: ReportMeta) -> Kpi:
    """Reports with at least one held 1:1 in the window, of all active lines."""
    share = _ratio(t.met, t.lines)
    return Kpi(
        "reports_met", "Reports met", f"{t.met:,} of {t.lines:,}",
        f"{fmt.pct(share)} had a held 1:1 in the last {meta.window_days} days",
        alert=share is not None and share < 0.8,
    )  # fmt: skip


def neglected_kpi(t: LineTotals, meta: ReportMeta) -> Kpi:
    """Count of neglected reports (never met counts too)."""
    share = _ratio(t.neglected, t.lines)
    return Kpi(
        "neglected", "Neglected reports", f"{t.neglected:,}",
        f"{fmt.pct(share)} of reports: no 1:1 for more than {meta.neglect_days} days",
        alert=t.neglected > 0,
    )  # fmt: skip


def intro_kpi(t: LineTotals) -> Kpi:
    """New reports whose first 1:1 is overdue."""
    return Kpi(
        "intro_overdue", "Intro 1:1 overdue", f"{t.intro:,}",
        "New reporting lines with no held 1:1 since they started, past the grace period",
        alert=t.intro > 0,
    )  # fmt: skip


def no_data_kpis(t: LineTotals) -> list[Kpi]:
    """Lines whose two calendars were never read: a tile only when there are some."""
    if not t.no_data:
        return []
    return [
        Kpi(
            "no_data", "No data", f"{t.no_data:,}",
            "Reporting lines whose manager's and report's calendars have never synced: "
            "not counted as neglected, overdue or covered",
            alert=True,
        )
    ]  # fmt: skip


def chronic_kpi(chronic: pl.DataFrame, meta: ReportMeta) -> Kpi:
    """Chronic cancelers, split by their role."""
    roles = chronic.get_column("role").to_list() if "role" in chronic.columns else []
    managers = sum(1 for r in roles if r in ("manager", "both"))
    return Kpi(
        "chronic",
        "Chronic cancelers",
        f"{chronic.height:,}",
        f"{managers:,} managing, {chronic.height - managers:,} as report only; "
        f"cancel or decline ≥ {fmt.pct(meta.chronic_cancel_rate)} of their 1:1s",
        alert=chronic.height > 0,
    )


def cancel_rate_kpi(t: LineTotals, meta: ReportMeta) -> Kpi:
    """(cancelled + declined) / scheduled over every line."""
    rate = _ratio(t.lost, t.scheduled)
    return Kpi(
        "cancel_rate", "Cancel rate", fmt.pct(rate, 1),
        f"{t.lost:,} of {t.scheduled:,} scheduled 1:1s cancelled or declined "
        f"in {meta.window_days} days",
        alert=rate is not None and rate >= meta.chronic_cancel_rate,
    )  # fmt: skip


def leverage_kpi(t: LineTotals) -> Kpi:
    """Grove's leverage: covered work hours per hour spent in 1:1s."""
    ratio = _leverage(t)
    return Kpi(
        "leverage", "Leverage ratio", fmt.DASH if ratio is None else f"{ratio:,.0f}×",
        f"{fmt.hours(t.leverage_hours)} of reports' work covered by "
        f"{fmt.hours(t.held_hours)} of 1:1s",
    )  # fmt: skip


NO_CALL_RECORDS = "no call records"


def verified_kpi(t: LineTotals, meta: ReportMeta) -> Kpi:
    """Of the held online 1:1s with call records, the share both people joined; without
    any such record the tile says so (a calendar alone cannot verify anything)."""
    evidence = t.attended + t.no_show
    if not evidence:
        return Kpi(
            "verified", "Verified 1:1s", NO_CALL_RECORDS,
            f"No held 1:1 in the last {meta.window_days} days has call records (attendance "
            "not read, or met in person): held means only that it stayed scheduled",
        )  # fmt: skip
    share = t.attended / evidence
    return Kpi(
        "verified", "Verified 1:1s", fmt.pct(share),
        f"{t.attended:,} of {evidence:,} held online 1:1s with call records had both people "
        f"join; {t.no_show:,} no-shows (one never joined) in {meta.window_days} days",
        alert=share < 0.8,
    )  # fmt: skip


def freshness_kpi(meta: ReportMeta) -> Kpi:
    """Last sync time and share of calendars synced; failed calendars are named."""
    failed = sorted(meta.calendars_failed)
    synced = meta.calendars_total - len(failed)
    detail = f"{synced:,} of {meta.calendars_total:,} calendars synced"
    if failed:
        named = ", ".join(failed[:MAX_NAMED_FAILURES])
        more = len(failed) - MAX_NAMED_FAILURES
        detail += f"; failed: {named}" + (f" and {more:,} more" if more > 0 else "")
    return Kpi(
        "freshness",
        "Data freshness",
        fmt.local_dt(meta.last_sync_at, meta.timezone),
        detail,
        alert=bool(failed) or meta.last_sync_at is None,
    )


def org_tiles(
    totals: LineTotals, chronic: pl.DataFrame, history: pl.DataFrame, meta: ReportMeta
) -> list[Kpi]:
    """The tiles of an organisation (the whole or a subtree), with their trends.

    `chronic` lists the organisation's chronic cancelers; `history` its earlier
    snapshots (as_of and the history columns).
    """
    tiles = [
        coverage_kpi(totals, meta),
        reports_met_kpi(totals, meta),
        neglected_kpi(totals, meta),
        intro_kpi(totals),
        chronic_kpi(chronic, meta),
        cancel_rate_kpi(totals, meta),
        leverage_kpi(totals),
        verified_kpi(totals, meta),
        freshness_kpi(meta),
        *no_data_kpis(totals),
    ]
    return with_trends(tiles, snapshot_values(totals, chronic.height), history, meta.as_of)


def org_kpis(tables: Mapping[str, pl.DataFrame], meta: ReportMeta) -> list[Kpi]:
    """Every tile of the main dashboard, in display order, from org_kpis and kpi_history."""
    row = tables["org_kpis"].row(0, named=True) if tables["org_kpis"].height else None
    return org_tiles(
        totals_from_rollup(row), tables["chronic_cancelers"], tables["kpi_history"], meta
    )


# tile key → (history column, how a value is shown, how a difference is shown)
Show = Callable[[float], str]
TRENDS: dict[str, tuple[str, Show, Show]] = {
    "coverage": ("mean_coverage", fmt.pct, lambda d: f"{d * 100:.0f} pts"),
    "reports_met": ("reports_met", fmt.number, fmt.number),
    "neglected": ("neglected_reports", fmt.number, fmt.number),
    "intro_overdue": ("intro_overdue_reports", fmt.number, fmt.number),
    "chronic": ("chronic_cancelers", fmt.number, fmt.number),
    "cancel_rate": ("cancel_rate", lambda v: fmt.pct(v, 1), lambda d: f"{d * 100:.1f} pts"),
    "leverage": ("leverage_ratio", lambda v: f"{v:,.0f}×", lambda d: f"{d:,.0f}×"),
    "no_data": ("no_data_reports", fmt.number, fmt.number),
    "verified": ("attended_rate", fmt.pct, lambda d: f"{d * 100:.0f} pts"),
}


def change_text(now: float | None, before: float | None, show: Show) -> str:
    """▲ or ▼ and the difference as displayed; 'no change' when it shows as zero."""
    if now is None or before is None:
        return fmt.DASH
    shown = show(abs(now - before))
    if shown == show(0.0):
        return "no change"
    return f"{'▲' if now > before else '▼'} {shown}"


def sparkline_points(series: Sequence[tuple[date, float | None]]) -> str:
    """SVG polyline points of the non-null values, x by date and y scaled to the range."""
    known = [(d, v) for d, v in series if v is not None]
    if len(known) < 2:
        return ""
    first, last = known[0][0], known[-1][0]
    low, high = min(v for _, v in known), max(v for _, v in known)
    span_x, span_y = (last - first).days or 1, (high - low) or 1.0
    pad = 3

    def y(v: float) -> float:
        level = (v - low) / span_y if high > low else 0.5  # a flat line sits in the middle
        return SPARK_HEIGHT - pad - level * (SPARK_HEIGHT - 2 * pad)

    return " ".join(f"{(d - first).days / span_x * SPARK_WIDTH:.1f},{y(v):.1f}" for d, v in known)


def trend(
    column: str,
    now: float | None,
    earlier: Sequence[Mapping[str, Any]],
    as_of: date,
    show: Show,
    change: Show,
) -> Trend:
    """The trend of one history column; `earlier` holds the snapshots before as_of, oldest
    first. The sparkline covers the last SPARK_WEEKS weeks, today's value included."""
    since = as_of - timedelta(weeks=SPARK_WEEKS)
    recent = [(r["as_of"], r[column]) for r in earlier if r["as_of"] > since]
    points = sparkline_points([*recent, (as_of, now)])
    if not earlier:
        return Trend(NO_SNAPSHOT, NO_SNAPSHOT, points)
    when, before = earlier[-1]["as_of"], earlier[-1][column]
    shown = fmt.DASH if before is None else show(before)
    title = f"previous snapshot ({when.isoformat()}): {shown}"
    return Trend(change_text(now, before, change), title, points)


def with_trends(
    tiles: list[Kpi], current: Mapping[str, float | None], history: pl.DataFrame, as_of: date
) -> list[Kpi]:
    """The tiles with their trends from `history` (tiles without a history column keep none)."""
    earlier = history.filter(pl.col("as_of") < as_of).sort("as_of").to_dicts()
    out = []
    for tile in tiles:
        if tile.key in TRENDS and TRENDS[tile.key][0] in history.columns:
            column, show, change = TRENDS[tile.key]
            tile = replace(tile, trend=trend(column, current[column], earlier, as_of, show, change))
        out.append(tile)
    return out


def team_kpis(totals: LineTotals, meta: ReportMeta) -> list[Kpi]:
    """Tiles of a manager page, over that manager's lines only."""
    return [
        coverage_kpi(totals, meta),
        reports_met_kpi(totals, meta),
        neglected_kpi(totals, meta),
        intro_kpi(totals),
        cancel_rate_kpi(totals, meta),
        leverage_kpi(totals),
        verified_kpi(totals, meta),
        *no_data_kpis(totals),
    ]
