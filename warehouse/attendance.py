"""Did it happen? Call presences → occurrence attendance and unscheduled call time
(README "What it measures"), pure Polars.

`calls` frames have CALL_SCHEMA (warehouse.frames): one row per person per stretch in
a call. Only the presences of an occurrence's own two people count for it, so a
partition that holds every presence with its occurrences' meeting keys decides the
same as the whole table.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import polars as pl

from warehouse.params import BuildContext

# A call counts for an occurrence when a presence overlaps its slot widened by this on
# each side: people join early, and a meeting runs late or starts late.
SLACK: Final = timedelta(minutes=30)
PAIR = ("manager_email", "report_email")
_CALL = ("provider", "call_id")
_PRESENCE = ("provider", "call_id", "email", "joined_at")
# Which of the two people a presence is (see `together_seconds`).
_SIDE = pl.when(pl.col("email") == pl.col("person_a")).then(pl.lit("a")).otherwise(pl.lit("b"))


def together_seconds(intervals: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per group `by`: seconds during which side "a" and side "b" were both present.

    `intervals` has `by`, `side` ("a" or "b"), `joined_at` and `left_at`. Each side's
    stretches are first merged (a rejoin or a second device is one presence), so the
    sum of overlaps between the two sides is the time they shared.
    """
    merged = _merged(intervals, [*by, "side"])
    a = merged.filter(pl.col("side") == "a").drop("side")
    b = merged.filter(pl.col("side") == "b").drop("side")
    shared = pl.min_horizontal("left_at", "left_at_b") - pl.max_horizontal(
        "joined_at", "joined_at_b"
    )
    return (
        a.join(b, on=by, suffix="_b")
        .with_columns(_s=shared.dt.total_microseconds().clip(lower_bound=0) / 1e6)
        .group_by(by)
        .agg(seconds=pl.col("_s").sum())
    )


def _merged(intervals: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per `keys`, the stretches (joined_at, left_at) merged where they overlap or
    touch. Most groups hold one stretch: only the others go through the (slower) sort
    and window."""
    counts = intervals.group_by(keys).agg(_n=pl.len())
    single = intervals.join(counts.filter(pl.col("_n") == 1), on=keys, how="semi")
    several = intervals.join(counts.filter(pl.col("_n") > 1), on=keys, how="semi")
    islands = (
        several.sort(*keys, "joined_at", "left_at")
        .with_columns(_reach=pl.col("left_at").cum_max().shift(1).over(keys))
        .with_columns(_new=(pl.col("joined_at") > pl.col("_reach")).fill_null(True))
        .with_columns(_island=pl.col("_new").cum_sum().over(keys))
        .group_by(*keys, "_island")
        .agg(pl.col("joined_at").min(), pl.col("left_at").max())
    )
    stretch = [*keys, "joined_at", "left_at"]
    return pl.concat([single.select(stretch), islands.select(stretch)])


def _by_day(frame: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
    """`frame` with `_day`: one row per UTC date from `start`'s to `end`'s, so that two
    stretches that overlap share a `_day`. Most rows lie within one date: only the
    others are spread over a range."""
    one_day = pl.col(start).dt.date() == pl.col(end).dt.date()
    spread = frame.filter(~one_day).with_columns(
        _day=pl.date_ranges(pl.col(start).dt.date(), pl.col(end).dt.date())
    )
    return pl.concat(
        [frame.filter(one_day).with_columns(_day=pl.col(start).dt.date()), spread.explode("_day")]
    )


def matching_presences(occ: pl.DataFrame, calls: pl.DataFrame) -> pl.DataFrame:
    """Presences of each held online occurrence's two people in calls with its meeting
    key that overlap its slot widened by SLACK: (occurrence_id, person_a, person_b,
    side, joined_at, left_at), one row per presence and occurrence."""
    online = occ.filter(pl.col("status") == "held", pl.col("meeting_key").is_not_null())
    online = online.select(
        "occurrence_id", "meeting_key", "person_a", "person_b",
        _from=pl.col("start") - SLACK, _to=pl.col("end") + SLACK,
    )  # fmt: skip
    keyed = calls.join(online.select("meeting_key").unique(), on="meeting_key", how="semi")
    online = online.join(keyed.select("meeting_key").unique(), on="meeting_key", how="semi")
    slots, stretches = _by_day(online, "_from", "_to"), _by_day(keyed, "joined_at", "left_at")
    return (
        slots.join(stretches, on=["meeting_key", "_day"])
        .filter(
            (pl.col("email") == pl.col("person_a")) | (pl.col("email") == pl.col("person_b")),
            pl.col("joined_at") < pl.col("_to"),
            pl.col("left_at") > pl.col("_from"),
        )
        .unique(["occurrence_id", *_PRESENCE])
        .select("occurrence_id", "person_a", "person_b", "joined_at", "left_at", side=_SIDE)
    )


def with_attendance(occ: pl.DataFrame, calls: pl.DataFrame | None) -> pl.DataFrame:
    """`occ` with `attendance` and `attended_minutes`.

    A held online occurrence (a meeting key) is `attended` when both its people have a
    matching presence (see `matching_presences`), `no_show` when one of them has; every
    other occurrence (no such presence, in person, not held, no call evidence) is
    `unknown`. `attended_minutes` is the time both were present together, null unless
    attended.
    """
    if calls is None or calls.is_empty():  # the common case without evidence: no joins
        return occ.with_columns(
            attendance=pl.lit("unknown"), attended_minutes=pl.lit(None, pl.Float64)
        )
    found = matching_presences(occ, calls)
    sides = found.group_by("occurrence_id").agg(_sides=pl.col("side").n_unique())
    minutes = together_seconds(found, ["occurrence_id"])
    judged = (
        occ.join(sides, on="occurrence_id", how="left")
        .join(minutes, on="occurrence_id", how="left")
        .with_columns(
            attendance=pl.when(pl.col("_sides") == 2)
            .then(pl.lit("attended"))
            .when(pl.col("_sides") == 1)
            .then(pl.lit("no_show"))
            .otherwise(pl.lit("unknown"))
        )
    )
    attended_minutes = pl.when(pl.col("attendance") == "attended").then(
        pl.col("seconds").fill_null(0.0) / 60.0
    )
    return judged.with_columns(attended_minutes=attended_minutes).drop("_sides", "seconds")


def occurrence_keys(occ: pl.DataFrame) -> pl.DataFrame:
    """The meeting keys of each pair's occurrences (person_a, person_b, meeting_key)."""
    return (
        occ.filter(pl.col("meeting_key").is_not_null())
        .select("person_a", "person_b", "meeting_key")
        .unique()
    )


def copy_keys(raw: pl.DataFrame) -> pl.DataFrame:
    """The meeting keys on each pair's calendar copies (person_a, person_b,
    meeting_key): every 1:1 the two had booked, including a duplicate booking that was
    folded into another occurrence (its call is still not unscheduled time)."""
    two = pl.col("participants")
    # Participants are stored sorted: first and last, not min and max (which on a list
    # of strings nearly doubled the build's peak memory).
    return (
        raw.select("participants", "meeting_key")
        .filter(pl.col("meeting_key").is_not_null(), two.list.len() == 2)
        .select(
            person_a=two.list.first(), person_b=two.list.last(), meeting_key=pl.col("meeting_key")
        )
        .unique()
    )


def unscheduled_call_hours(
    calls: pl.DataFrame | None,
    keys: pl.DataFrame,
    active: pl.DataFrame,
    w0: date,
    ctx: BuildContext,
) -> pl.DataFrame:
    """Per active line (`active`: manager_email, report_email): `unscheduled_call_hours`,
    the hours its two people spent together in calls that only they attended and whose
    meeting key is none (a direct call) or none of their 1:1s' (`keys`:
    `copy_keys`), dated in the window [w0, as_of) by the local date the first of
    them joined. Null for every line when there is no call evidence (`calls` None)."""
    lines = active.select(
        *PAIR,
        person_a=pl.min_horizontal(*PAIR),
        person_b=pl.max_horizontal(*PAIR),
    )
    if calls is None:
        return lines.select(*PAIR, unscheduled_call_hours=pl.lit(None, pl.Float64))
    # A call's people and first join; it is booked when any of its records carries the
    # key of one of the pair's 1:1s (a provider gives every record of a call its key).
    pair_calls = (
        calls.group_by(_CALL)
        .agg(
            _people=pl.col("email").n_unique(),
            person_a=pl.col("email").min(),
            person_b=pl.col("email").max(),
            _first=pl.col("joined_at").min(),
        )
        .filter(pl.col("_people") == 2)
        .join(lines.select("person_a", "person_b"), on=["person_a", "person_b"], how="semi")
    )
    booked = (
        calls.select(*_CALL, "meeting_key")
        .join(pair_calls.select(*_CALL, "person_a", "person_b"), on=list(_CALL))
        .join(keys, on=["person_a", "person_b", "meeting_key"], how="semi")
    )
    pair_calls = (
        pair_calls.join(booked, on=list(_CALL), how="anti")
        .filter(
            pl.col("_first")
            .dt.convert_time_zone(ctx.org.timezone)
            .dt.date()
            .is_between(w0, ctx.as_of, "left")
        )
        .select(*_CALL, "person_a", "person_b")
    )
    stretches = calls.join(pair_calls, on=list(_CALL)).with_columns(side=_SIDE)
    per_call = together_seconds(stretches, list(_CALL)).join(pair_calls, on=list(_CALL))
    hours = per_call.group_by("person_a", "person_b").agg(_h=pl.col("seconds").sum() / 3600.0)
    return lines.join(hours, on=["person_a", "person_b"], how="left").select(
        *PAIR, unscheduled_call_hours=pl.col("_h").fill_null(0.0)
    )
