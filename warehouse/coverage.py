"""Grove's coverage: workdays in the window within impact_days of a held 1:1."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

PAIR = ("manager_email", "report_email")


def workdays_between(start: pl.Expr, end: pl.Expr, workdays: tuple[int, ...]) -> pl.Expr:
    """Number of workdays (ISO weekday numbers) d with start <= d < end; 0 when empty.

    Closed form: whole weeks times the workdays per week, plus the workdays among the
    remaining days, looked up in a prefix count over two weeks.
    """
    days = (end - start).dt.total_days().clip(lower_bound=0)
    first = start.dt.weekday().cast(pl.Int64) - 1  # Monday = 0
    is_work = [1 if (i % 7) + 1 in workdays else 0 for i in range(14)]
    prefix = [sum(is_work[:k]) for k in range(15)]
    rest = days % 7
    in_rest = (first + rest).replace_strict(list(range(15)), prefix) - first.replace_strict(
        list(range(15)), prefix
    )
    return (days // 7) * len(set(workdays)) + in_rest


def covered_days(
    held_dates: pl.DataFrame,
    eligible: pl.DataFrame,
    as_of: date,
    impact_days: int,
    workdays: tuple[int, ...],
) -> pl.DataFrame:
    """Covered eligible workdays per pair.

    `held_dates` has (manager_email, report_email, local_date) of held occurrences;
    `eligible` has (manager_email, report_email, eligible_from). Equal-length impact
    intervals merge into islands wherever consecutive dates are < impact_days apart.
    """
    impact = timedelta(days=impact_days)
    islands = (
        held_dates.select(*PAIR, "local_date")
        .unique()
        .sort(*PAIR, "local_date")
        .with_columns(
            _new=(
                (pl.col("local_date") - pl.col("local_date").shift(1).over(PAIR)).dt.total_days()
                >= impact_days
            ).fill_null(True)
        )
        .with_columns(_island=pl.col("_new").cast(pl.Int64).cum_sum().over(PAIR))
        .group_by(*PAIR, "_island")
        .agg(_from=pl.col("local_date").min(), _to=pl.col("local_date").max() + impact)
    )
    clipped_from = pl.max_horizontal("_from", "eligible_from")
    clipped_to = pl.min_horizontal("_to", pl.lit(as_of))
    return (
        islands.join(eligible, on=list(PAIR))
        .with_columns(_n=workdays_between(clipped_from, clipped_to, workdays))
        .group_by(PAIR)
        .agg(covered_days=pl.col("_n").sum())
    )
