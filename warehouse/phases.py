"""Relationship phases of each active line: get to know → share context → maintain.

Pure Polars, in two steps like the other pair figures: `line_progress` reads a line's
own held 1:1s (so it runs per partition), `with_phases` adds the phase and the
adherence to its expected cadence once every line's figures and the roster's title
changes are together.

Rules (README "What it measures"): a line is `get_to_know` until it has
`get_to_know_held` held 1:1s on or after its start; then `share_context` until
`share_context_days` after its start, or after the report's last title change while
on the line when that is later; then `maintain`. A line that predates the synced
history (no start date, or one before the history began) is `maintain`, unless the
report's title changed within `share_context_days` (then `share_context`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from warehouse.params import BuildContext, PhaseParams

PAIR = ("manager_email", "report_email")
PHASES = ("get_to_know", "share_context", "maintain")


def line_progress(held: pl.DataFrame, active: pl.DataFrame, phases: PhaseParams) -> pl.DataFrame:
    """Per active line met at least `get_to_know_held` times on or after valid_from
    (ever, for a line without a start date): `known_on`, the local date of that held
    1:1, when get_to_know ended.

    `held` has (manager_email, report_email, local_date) of held occurrences, all of
    them (not only the window's); `active` has (manager_email, report_email, valid_from).
    """
    on_line = pl.col("valid_from").is_null() | (pl.col("local_date") >= pl.col("valid_from"))
    nth = phases.get_to_know_held - 1
    return (
        held.select(*PAIR, "local_date")
        .join(active.select(*PAIR, "valid_from"), on=list(PAIR))
        .filter(on_line)
        .group_by(PAIR)
        .agg(known_on=pl.col("local_date").sort().slice(nth, 1).first())
        .drop_nulls("known_on")
    )


def with_phases(
    figures: pl.DataFrame,
    ctx: BuildContext,
    history_start: date,
    title_changes: pl.DataFrame,
) -> pl.DataFrame:
    """`figures` (valid_from, held in W, known_on, data) plus
    phase, phase_since, expected_in_window, adherence and behind_phase.
    `title_changes` is `warehouse.roster.title_changes` as of ctx.as_of.

    `expected_in_window` counts calendar days of W on or after valid_from over the
    current phase's expected days; `adherence` (held in W over it, at most 1) is null
    when nothing was expected or the line has no data; `behind_phase` needs at least
    one expected 1:1.
    """
    prm = ctx.phases
    w0 = ctx.as_of - timedelta(days=ctx.params.window_days)
    as_of = pl.lit(ctx.as_of)
    vf, known, retitled = pl.col("valid_from"), pl.col("known_on"), pl.col("_retitled")
    share = timedelta(days=prm.share_context_days)
    predates = vf.is_null() | (vf < pl.lit(history_start))
    share_end = pl.max_horizontal(vf, retitled) + share
    reopened = retitled.is_not_null() & (retitled > pl.max_horizontal(known, vf + share))
    phase = (
        pl.when(predates)
        .then(pl.when(as_of < retitled + share).then(pl.lit("share_context")))
        .when(known.is_null())
        .then(pl.lit("get_to_know"))
        .when(as_of < share_end)
        .then(pl.lit("share_context"))
        .otherwise(pl.lit("maintain"))
        .fill_null(pl.lit("maintain"))
    )
    since = (
        pl.when(predates)
        .then(pl.when(as_of < retitled + share).then(retitled).otherwise(retitled + share))
        .when(pl.col("phase") == "get_to_know")
        .then(vf)
        .when(pl.col("phase") == "share_context")
        .then(pl.when(reopened).then(retitled).otherwise(known))
        .otherwise(pl.max_horizontal(known, share_end))
    )
    days = (as_of - pl.max_horizontal(pl.lit(w0), vf)).dt.total_days().clip(lower_bound=0)
    expected = days / pl.col("phase").replace_strict(list(PHASES), list(prm.expected_days))
    adherence = pl.when((pl.col("expected_in_window") > 0) & (pl.col("data") != "none")).then(
        pl.min_horizontal(pl.lit(1.0), pl.col("held") / pl.col("expected_in_window"))
    )
    behind = pl.when(pl.col("adherence").is_not_null()).then(
        (pl.col("adherence") < prm.behind_below) & (pl.col("expected_in_window") >= 1)
    )
    return (
        figures.join(_retitled_on_line(title_changes), on="report_email", how="left")
        .with_columns(
            _retitled=pl.when(vf.is_null() | (retitled >= vf)).then(retitled),
        )
        .with_columns(phase=phase)
        .with_columns(
            phase_since=since.cast(pl.Date),
            expected_in_window=expected.cast(pl.Float64),
        )
        .with_columns(adherence=adherence.cast(pl.Float64))
        .with_columns(behind_phase=behind.cast(pl.Boolean))
        .drop("_retitled")
    )


def _retitled_on_line(title_changes: pl.DataFrame) -> pl.DataFrame:
    return title_changes.select("report_email", _retitled=pl.col("title_changed_on"))
