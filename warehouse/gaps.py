"""Gaps between held 1:1s of a pair, the open gap, and the cadence they imply."""

from __future__ import annotations

from datetime import date

import polars as pl

PAIR = ("manager_email", "report_email")


def cadence(median_gap: pl.Expr) -> pl.Expr:
    """weekly ≤ 9 days, biweekly ≤ 18, monthly ≤ 35, else sporadic; none without a gap."""
    return (
        pl.when(median_gap.is_null())
        .then(pl.lit("none"))
        .when(median_gap <= 9)
        .then(pl.lit("weekly"))
        .when(median_gap <= 18)
        .then(pl.lit("biweekly"))
        .when(median_gap <= 35)
        .then(pl.lit("monthly"))
        .otherwise(pl.lit("sporadic"))
    )


def gap_cv(gaps: pl.Expr) -> pl.Expr:
    """Coefficient of variation of gaps: sample standard deviation over the mean; null
    under three gaps."""
    return pl.when(gaps.count() >= 3).then(gaps.std(ddof=1) / gaps.mean())


def gap_metrics(held_dates: pl.DataFrame, window_start: date, as_of: date) -> pl.DataFrame:
    """Per pair: gaps (their median, maximum and `gap_cv`), cadence, the last held 1:1
    (`last_held_at`, its start in UTC, and `last_held_date`, its local date) and
    days_since_last.

    `held_dates` has (manager_email, report_email, local_date, start). Gaps are whole
    days between consecutive distinct held dates; a gap counts when its later date is
    in the window. The open gap (last held → as_of) enters the maximum.
    """
    dated = (
        held_dates.group_by(*PAIR, "local_date")
        .agg(pl.col("start").max())
        .sort(*PAIR, "local_date")
        .with_columns(
            _gap=(pl.col("local_date") - pl.col("local_date").shift(1).over(PAIR)).dt.total_days()
        )
    )
    in_window = pl.col("local_date") >= window_start
    open_gap = (pl.lit(as_of) - pl.col("local_date").max()).dt.total_days()
    return (
        dated.group_by(PAIR)
        .agg(
            median_gap_days=pl.col("_gap").filter(in_window).median().cast(pl.Float64),
            max_gap_days=pl.max_horizontal(pl.col("_gap").filter(in_window).max(), open_gap),
            gap_cv=gap_cv(pl.col("_gap").filter(in_window)).cast(pl.Float64),
            last_held_at=pl.col("start").max(),
            last_held_date=pl.col("local_date").max(),
            days_since_last=open_gap,
        )
        .with_columns(cadence=cadence(pl.col("median_gap_days")))
    )
