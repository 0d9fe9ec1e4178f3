"""Roll-ups of pair figures: managers, cancelers, neglected reports, weekly activity."""

from __future__ import annotations

import polars as pl

from warehouse.metrics import HELD, LOST, SCHEDULED, in_window, late, reporting_occurrences
from warehouse.params import BuildContext

PAIR = ("manager_email", "report_email")
CANCELER_COLUMNS = ("person_email", "role", "exposure", "initiated", "initiated_rate", "late",
                    "chronic")  # fmt: skip


def canceler_counts(occ: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    """Per person, over these occurrences: the roles they appear in, exposure to
    scheduled manager–report occurrences in W, initiated and late cancellations.

    Counts of disjoint sets of occurrences add up: `cancelers` sums them.
    """
    window = in_window(reporting_occurrences(occ), ctx).filter(SCHEDULED)
    sides = [
        window.select(person_email=pl.col(column), _role=pl.lit(role), _lost=LOST,
                      _by=pl.col("canceled_by"), _late=late(ctx))
        for column, role in (("manager_email", "manager"), ("report_email", "report"))
    ]  # fmt: skip
    mine = pl.col("_by") == pl.col("person_email")
    return (
        pl.concat(sides)
        .group_by("person_email")
        .agg(
            as_manager=(pl.col("_role") == "manager").any(),
            as_report=(pl.col("_role") == "report").any(),
            exposure=pl.len().cast(pl.Int64),
            initiated=(pl.col("_lost") & mine).sum().cast(pl.Int64),
            late=(pl.col("_late") & mine).sum().cast(pl.Int64),
        )
    )


def cancelers(counts: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    """Per person: role, exposure, initiated, late (`canceler_counts` of any number of
    disjoint parts, summed), the initiated rate and whether they are chronic."""
    p = ctx.params
    return (
        counts.group_by("person_email")
        .agg(
            pl.col("as_manager", "as_report").any(),
            pl.col("exposure", "initiated", "late").sum(),
        )
        .with_columns(
            role=pl.when(pl.col("as_manager") & pl.col("as_report"))
            .then(pl.lit("both"))
            .when(pl.col("as_manager"))
            .then(pl.lit("manager"))
            .otherwise(pl.lit("report")),
            initiated_rate=pl.col("initiated") / pl.col("exposure"),
        )
        .with_columns(
            chronic=(pl.col("exposure") >= p.chronic_min_scheduled)
            & (pl.col("initiated_rate") >= p.chronic_cancel_rate)
        )
        .select(CANCELER_COLUMNS)
        .sort(pl.col("initiated_rate"), pl.col("person_email"), descending=[True, False])
    )


def manager_cancellations(occ: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    """Per manager, over these occurrences: scheduled and lost manager–report
    occurrences in W and the cancellations they initiated (parts add up)."""
    window = in_window(reporting_occurrences(occ), ctx).filter(SCHEDULED)
    return window.group_by("manager_email").agg(
        scheduled=pl.len().cast(pl.Int64),
        lost=LOST.sum().cast(pl.Int64),
        initiated_cancellations=(LOST & (pl.col("canceled_by") == pl.col("manager_email")))
        .sum()
        .cast(pl.Int64),
    )


def manager_metrics(
    pairs: pl.DataFrame,
    cancellations: pl.DataFrame,
    people_cancel: pl.DataFrame,
    ctx: BuildContext,
) -> pl.DataFrame:
    """Per manager with active lines: reports, coverage, hours, cancellations
    (`manager_cancellations` of any number of disjoint parts, summed)."""
    lost = cancellations.group_by("manager_email").agg(
        pl.col("scheduled", "lost", "initiated_cancellations").sum()
    )
    chronic = people_cancel.select(manager_email="person_email", chronic_canceler="chronic")
    return (
        pairs.group_by("manager_email")
        .agg(
            reports=pl.len().cast(pl.Int64),
            reports_met=(pl.col("held") > 0).sum().cast(pl.Int64),
            neglected_reports=pl.col("neglected").sum().cast(pl.Int64),
            intro_overdue_reports=pl.col("intro_overdue").sum().cast(pl.Int64),
            no_data_reports=(pl.col("data") == "none").sum().cast(pl.Int64),
            mean_coverage=pl.col("coverage").mean(),
            held_hours=pl.col("held_hours").sum(),
            leverage_hours=pl.col("leverage_hours").sum(),
        )
        .join(lost, on="manager_email", how="left")
        .join(chronic, on="manager_email", how="left")
        .with_columns(
            cancel_rate=pl.when(pl.col("scheduled") > 0).then(pl.col("lost") / pl.col("scheduled")),
            initiated_cancellations=pl.col("initiated_cancellations").fill_null(0),
            chronic_canceler=pl.col("chronic_canceler").fill_null(False),
        )
        .drop("scheduled", "lost")
        .sort("manager_email")
    )


def neglected_reports(pairs: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Active lines flagged neglected, never-met first, then longest since the last 1:1."""
    names = people.select("email", "name")
    return (
        pairs.filter("neglected")
        .join(names.rename({"email": "report_email", "name": "report_name"}), on="report_email",
              how="left")
        .join(names.rename({"email": "manager_email", "name": "manager_name"}),
              on="manager_email", how="left")
        .select("report_email", "report_name", "manager_email", "manager_name",
                "days_since_last", "last_held_at", "last_held_date", "cadence",
                "next_scheduled_at",
                "valid_from", "intro_overdue")
        .sort(pl.col("days_since_last"), pl.col("report_email"), descending=[True, False],
              nulls_last=False)
    )  # fmt: skip


def weekly_activity(occ: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    """Per local ISO week in W and pair: scheduled, held, cancelled, declined, held_hours."""
    window = in_window(reporting_occurrences(occ), ctx)
    day = pl.col("local_date")
    return (
        window.with_columns(
            week=day.dt.strftime("%G-W%V"),
            week_start=day - pl.duration(days=day.dt.weekday().cast(pl.Int64) - 1),
        )
        .group_by("week", "week_start", *PAIR)
        .agg(
            scheduled=SCHEDULED.sum().cast(pl.Int64),
            held=HELD.sum().cast(pl.Int64),
            cancelled=(pl.col("status") == "cancelled").sum().cast(pl.Int64),
            declined=(pl.col("status") == "declined").sum().cast(pl.Int64),
            held_hours=pl.col("minutes").filter(HELD).sum() / 60.0,
        )
        .sort("week_start", *PAIR)
    )
