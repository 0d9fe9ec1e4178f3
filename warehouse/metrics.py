"""Occurrences + reporting lines → `pair_metrics` (README "What it measures"), pure Polars."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from warehouse.attendance import occurrence_keys, unscheduled_call_hours
from warehouse.coverage import covered_days, workdays_between
from warehouse.gaps import gap_metrics
from warehouse.params import BuildContext
from warehouse.phases import line_progress, with_phases
from warehouse.roster import TITLE_CHANGES_SCHEMA, active_on

PAIR = ("manager_email", "report_email")
HELD = pl.col("status") == "held"
LOST = pl.col("status").is_in(["cancelled", "declined"])
SCHEDULED = pl.col("status").is_in(["held", "cancelled", "declined"])
ATTENDED = pl.col("attendance") == "attended"
NO_SHOW = pl.col("attendance") == "no_show"

PAIR_METRIC_COLUMNS = (
    "manager_email", "report_email", "valid_from", "scheduled", "held", "cancelled",
    "declined", "cancel_rate", "cancelled_by_manager", "cancelled_by_report",
    "late_cancellations", "rescheduled", "held_hours", "median_gap_days", "max_gap_days",
    "cadence", "last_held_at", "last_held_date", "days_since_last", "next_scheduled_at",
    "coverage",
    "leverage_hours", "leverage_ratio", "agenda_rate", "neglected", "intro_overdue", "data",
    "phase", "phase_since", "expected_in_window", "adherence", "behind_phase", "gap_cv",
    "attended", "no_show", "attended_rate", "unscheduled_call_hours",
)  # fmt: skip
# Null for a line with no data (so are adherence and behind_phase: see `with_phases`).
NEEDS_DATA = ("coverage", "neglected", "intro_overdue")


def window_start(ctx: BuildContext) -> date:
    """First local date of the window W = [as_of − window_days, as_of)."""
    return ctx.as_of - timedelta(days=ctx.params.window_days)


def reporting_occurrences(occ: pl.DataFrame) -> pl.DataFrame:
    """Occurrences credited to a reporting line (relation manager_report)."""
    return occ.filter(pl.col("relation") == "manager_report")


def in_window(occ: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    """Occurrences whose local date is in W."""
    return occ.filter(pl.col("local_date").is_between(window_start(ctx), ctx.as_of, "left"))


def counts_as_held(ctx: BuildContext) -> pl.Expr:
    """Held, for the dates gaps, neglect, coverage and leverage follow: with
    `require_attendance`, a no-show is not (an occurrence without evidence still is)."""
    return HELD & ~NO_SHOW if ctx.params.require_attendance else HELD


def late(ctx: BuildContext) -> pl.Expr:
    """A cancellation or decline with a known lead under late_cancel_hours."""
    return LOST & (pl.col("cancel_lead_hours") < ctx.params.late_cancel_hours).fill_null(False)


def active_lines(lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Lines active on as_of, one per pair."""
    return (
        lines.filter(active_on(pl.lit(as_of)))
        .unique(PAIR, keep="first")
        .select(*PAIR, "valid_from")
    )


def _counts(window: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    by = pl.col("canceled_by")
    return window.group_by(PAIR).agg(
        scheduled=SCHEDULED.sum(),
        held=HELD.sum(),
        cancelled=(pl.col("status") == "cancelled").sum(),
        declined=(pl.col("status") == "declined").sum(),
        cancelled_by_manager=(LOST & (by == pl.col("manager_email"))).sum(),
        cancelled_by_report=(LOST & (by == pl.col("report_email"))).sum(),
        late_cancellations=late(ctx).sum(),
        rescheduled=(SCHEDULED & pl.col("rescheduled")).sum(),
        held_hours=pl.col("minutes").filter(HELD).sum() / 60.0,
        _with_agenda=(HELD & pl.col("has_agenda")).sum(),
        attended=(HELD & ATTENDED).sum(),
        no_show=(HELD & NO_SHOW).sum(),
    )


def data_status(synced: frozenset[str] | None) -> pl.Expr:
    """ok when both calendars of the line ever synced, partial when one did, else none."""
    if synced is None:
        return pl.lit("ok")
    known = sorted(synced)
    manager, report = pl.col("manager_email").is_in(known), pl.col("report_email").is_in(known)
    return (
        pl.when(manager & report)
        .then(pl.lit("ok"))
        .when(manager | report)
        .then(pl.lit("partial"))
        .otherwise(pl.lit("none"))
    )


def pair_metrics(
    occ: pl.DataFrame,
    lines: pl.DataFrame,
    ctx: BuildContext,
    history_start: date,
    synced: frozenset[str] | None = None,
    title_changes: pl.DataFrame | None = None,
    calls: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per line active on as_of with every pair figure; `data` says whether the
    line's calendars were ever read (see `data_status`): without data, a line is not
    called neglected or overdue and has no coverage or adherence. `title_changes` is
    `warehouse.roster.title_changes` (None: no title ever changed); `calls` the call
    presences (None: no call evidence)."""
    figures = pair_figures(occ, active_lines(lines, ctx.as_of), ctx, synced)
    figures = with_unscheduled(figures, calls, occurrence_keys(occ), ctx)
    changes = pl.DataFrame(schema=TITLE_CHANGES_SCHEMA) if title_changes is None else title_changes
    return finish_pair_metrics(figures, ctx, history_start, changes)


def with_unscheduled(
    figures: pl.DataFrame, calls: pl.DataFrame | None, keys: pl.DataFrame, ctx: BuildContext
) -> pl.DataFrame:
    """`figures` (of every line) with `unscheduled_call_hours` (see
    `warehouse.attendance.unscheduled_call_hours`; `keys` the meeting keys of the pairs'
    occurrences, `occurrence_keys`)."""
    hours = unscheduled_call_hours(calls, keys, figures.select(PAIR), window_start(ctx), ctx)
    return figures.join(hours, on=list(PAIR), how="left")


def pair_figures(
    occ: pl.DataFrame,
    active: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str] | None = None,
) -> pl.DataFrame:
    """Every figure of `pair_metrics` but `neglected` and the phase columns (which need
    the whole history's start and the roster's title changes) for the given active
    lines (`active_lines` rows), from their occurrences; `known_on` (see
    `line_progress`) is kept for the phases.

    A line's figures depend on its own occurrences only, so lines can be computed apart.
    """
    mr = reporting_occurrences(occ)
    w0 = window_start(ctx)
    held = _relevant_held_dates(mr.filter(counts_as_held(ctx)), w0)
    progress = line_progress(mr.filter(HELD), active, ctx.phases)
    eligible = active.select(
        *PAIR, eligible_from=pl.max_horizontal(pl.lit(w0), pl.col("valid_from"))
    )
    cover = covered_days(held, eligible, ctx.as_of, ctx.params.impact_days, ctx.org.workdays)
    upcoming = (
        mr.filter(pl.col("status") == "upcoming")
        .group_by(PAIR)
        .agg(next_scheduled_at=pl.col("start").min())
    )
    frame = (
        active.join(_counts(in_window(mr, ctx), ctx), on=list(PAIR), how="left")
        .join(gap_metrics(held, w0, ctx.as_of), on=list(PAIR), how="left")
        .join(upcoming, on=list(PAIR), how="left")
        .join(cover, on=list(PAIR), how="left")
        .join(eligible, on=list(PAIR), how="left")
        .join(progress, on=list(PAIR), how="left")
    )
    return _derive(frame, ctx).with_columns(data=data_status(synced))


def finish_pair_metrics(
    figures: pl.DataFrame, ctx: BuildContext, history_start: date, title_changes: pl.DataFrame
) -> pl.DataFrame:
    """`pair_figures` (with `with_unscheduled`) → `pair_metrics`: add `neglected` (a
    line never met and dated before the synced history counts from `history_start`)
    and the phases (see `warehouse.phases.with_phases`), blank what needs data."""
    reference = pl.coalesce("last_held_date", "valid_from", pl.lit(history_start))
    with_data = pl.col("data") != "none"
    neglected = (pl.lit(ctx.as_of) - reference).dt.total_days() > ctx.params.neglect_days
    return (
        with_phases(figures.with_columns(neglected=neglected), ctx, history_start, title_changes)
        .with_columns(pl.when(with_data).then(pl.col(c)).alias(c) for c in NEEDS_DATA)
        .select(PAIR_METRIC_COLUMNS)
        .sort(PAIR)
    )


def _relevant_held_dates(held_occ: pl.DataFrame, w0: date) -> pl.DataFrame:
    """Dates (and starts) of the held occurrences `held_occ` in W plus each pair's last
    one before W.

    Earlier dates change no metric: gaps only need the previous date of the first one
    in W, and equal-length impact intervals are dominated by the latest before W.
    """
    held = held_occ.select(*PAIR, "local_date", "start")
    before = (
        held.filter(pl.col("local_date") < w0)
        .group_by(PAIR)
        .agg(pl.col("local_date").max(), pl.col("start").max())
    )
    return pl.concat([before, held.filter(pl.col("local_date") >= w0)])


def _derive(frame: pl.DataFrame, ctx: BuildContext) -> pl.DataFrame:
    counts = ["scheduled", "held", "cancelled", "declined", "cancelled_by_manager",
              "cancelled_by_report", "late_cancellations", "rescheduled", "_with_agenda",
              "covered_days", "attended", "no_show"]  # fmt: skip
    as_of = pl.lit(ctx.as_of)
    days_eligible = workdays_between(pl.col("eligible_from"), as_of, ctx.org.workdays)
    return (
        frame.with_columns(
            pl.col(counts).fill_null(0).cast(pl.Int64), pl.col("held_hours").fill_null(0.0)
        )
        .with_columns(
            cancel_rate=_ratio(pl.col("cancelled") + pl.col("declined"), pl.col("scheduled")),
            coverage=_ratio(pl.col("covered_days"), days_eligible),
            leverage_hours=pl.col("covered_days") * ctx.org.work_hours_per_day,
            agenda_rate=_ratio(pl.col("_with_agenda"), pl.col("held")),
            attended_rate=_ratio(pl.col("attended"), pl.col("attended") + pl.col("no_show")),
            intro_overdue=pl.col("valid_from").is_not_null()
            & ~(pl.col("last_held_date") >= pl.col("valid_from")).fill_null(False)
            & ((as_of - pl.col("valid_from")).dt.total_days() > ctx.params.intro_grace_days),
        )
        .with_columns(
            leverage_ratio=pl.when(pl.col("held") > 0).then(
                pl.col("leverage_hours") / pl.col("held_hours")
            ),
            cadence=pl.col("cadence").fill_null("none"),
        )
    )


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator as a float, null when the denominator is 0."""
    return pl.when(denominator > 0).then(numerator / denominator)
