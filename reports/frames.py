"""Checks and small reshapes of the metric tables that every page builder shares."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from core.errors import BadInputError

# The organisation figures the tiles, the hierarchy and the trends read.
FIGURES = (
    "lines",
    "reports_met",
    "neglected_reports",
    "intro_overdue_reports",
    "no_data_reports",
    "chronic_cancelers",
    "behind_phase",
    "scheduled",
    "lost",
    "cancel_rate",
    "mean_coverage",
    "held_hours",
    "leverage_hours",
    "attended",
    "no_show",
    "attended_rate",
)
ROLLUP_COLUMNS = ("manager_email", "parent_email", "depth", "people", *FIGURES)
KPI_COLUMNS = (*FIGURES, "leverage_ratio")
REQUIRED: dict[str, tuple[str, ...]] = {
    "people": ("email", "name", "manager_email", "title"),
    "reporting_lines": ("report_email", "manager_email", "valid_from", "valid_to"),
    "occurrences": (
        "manager_email",
        "report_email",
        "relation",
        "start",
        "status",
        "rescheduled",
        "canceled_by",
        "minutes",
        "attendance",
    ),
    "pair_metrics": (
        "manager_email",
        "report_email",
        "scheduled",
        "held",
        "cancelled",
        "declined",
        "held_hours",
        "cadence",
        "last_held_date",
        "days_since_last",
        "next_scheduled_at",
        "coverage",
        "leverage_hours",
        "cancel_rate",
        "neglected",
        "intro_overdue",
        "data",
        "phase",
        "phase_since",
        "expected_in_window",
        "adherence",
        "behind_phase",
        "attended",
        "no_show",
        "unscheduled_call_hours",
    ),
    "manager_metrics": (
        "manager_email",
        "reports",
        "reports_met",
        "neglected_reports",
        "mean_coverage",
        "held_hours",
        "leverage_hours",
        "cancel_rate",
        "chronic_canceler",
    ),
    "cancelers": (
        "person_email",
        "role",
        "exposure",
        "initiated",
        "initiated_rate",
        "late",
        "chronic",
    ),
    "chronic_cancelers": ("person_email",),
    "neglected_reports": (
        "report_email",
        "report_name",
        "manager_email",
        "manager_name",
        "days_since_last",
        "last_held_date",
        "cadence",
        "next_scheduled_at",
        "intro_overdue",
    ),
    "weekly_activity": (
        "week",
        "week_start",
        "manager_email",
        "report_email",
        "scheduled",
        "held",
        "cancelled",
        "declined",
    ),
    "sync_state": ("calendar_email", "status"),
    "org_rollups": ROLLUP_COLUMNS,
    "org_kpis": KPI_COLUMNS,
    "kpi_history": ("as_of", *KPI_COLUMNS),
    "org_rollups_history": ("as_of", *ROLLUP_COLUMNS),
}


def check_tables(tables: Mapping[str, pl.DataFrame]) -> None:
    """Raise BadInputError naming every missing table or column the reports need."""
    problems: list[str] = []
    for name, columns in REQUIRED.items():
        if name not in tables:
            problems.append(f"table {name!r} is missing")
            continue
        missing = [c for c in columns if c not in tables[name].columns]
        if missing:
            problems.append(f"table {name!r} lacks column(s) {', '.join(missing)}")
    if problems:
        raise BadInputError("cannot render reports: " + "; ".join(problems))


def with_unscheduled_call_hours(managers: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """`managers` (manager_metrics rows) with `unscheduled_call_hours`: the sum of their
    lines' in pair_metrics, null when none of their lines has a figure (no call records
    were read)."""
    hours = pairs.group_by("manager_email").agg(
        pl.when(pl.col("unscheduled_call_hours").is_not_null().any())
        .then(pl.col("unscheduled_call_hours").sum())
        .cast(pl.Float64)
        .alias("unscheduled_call_hours")
    )
    kept = managers.drop("unscheduled_call_hours", strict=False)
    return kept.join(hours, on="manager_email", how="left")


def names(people: pl.DataFrame) -> dict[str, str]:
    """Email → display name (the email itself when the roster has no name)."""
    return {
        row["email"]: row["name"] or row["email"]
        for row in people.select("email", "name").iter_rows(named=True)
    }


def to_local(frame: pl.DataFrame, column: str, tz: str) -> pl.DataFrame:
    """Convert a timestamp column to the org time zone (naive values are UTC)."""
    dtype = frame.schema[column]
    if not isinstance(dtype, pl.Datetime):
        return frame
    expr = pl.col(column)
    if dtype.time_zone is None:
        expr = expr.dt.replace_time_zone("UTC")
    return frame.with_columns(expr.dt.convert_time_zone(tz).alias(column))
