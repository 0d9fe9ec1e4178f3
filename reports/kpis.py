"""Headline figures (KPI tiles) computed from the metric tables (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from reports import fmt
from reports.meta import ReportMeta

MAX_NAMED_FAILURES = 10


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
    ]


def _totals(row: Mapping[str, object]) -> LineTotals:
    values = {k: row[k] for k in LineTotals.__dataclass_fields__}
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
    ratio = _ratio(t.leverage_hours, t.held_hours)
    return Kpi(
        "leverage", "Leverage ratio", fmt.DASH if ratio is None else f"{ratio:,.0f}×",
        f"{fmt.hours(t.leverage_hours)} of reports' work covered by "
        f"{fmt.hours(t.held_hours)} of 1:1s",
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


def org_kpis(tables: Mapping[str, pl.DataFrame], meta: ReportMeta) -> list[Kpi]:
    """Every tile of the main dashboard, in display order.

    The neglected count comes from the neglected_reports table, the warehouse's list.
    """
    totals = line_totals(tables["pair_metrics"])
    totals = replace(totals, neglected=tables["neglected_reports"].height)
    return [
        coverage_kpi(totals, meta),
        reports_met_kpi(totals, meta),
        neglected_kpi(totals, meta),
        intro_kpi(totals),
        chronic_kpi(tables["chronic_cancelers"], meta),
        cancel_rate_kpi(totals, meta),
        leverage_kpi(totals),
        freshness_kpi(meta),
        *no_data_kpis(totals),
    ]


def team_kpis(totals: LineTotals, meta: ReportMeta) -> list[Kpi]:
    """Tiles of a manager page, over that manager's lines only."""
    return [
        coverage_kpi(totals, meta),
        reports_met_kpi(totals, meta),
        neglected_kpi(totals, meta),
        intro_kpi(totals),
        cancel_rate_kpi(totals, meta),
        leverage_kpi(totals),
        *no_data_kpis(totals),
    ]
