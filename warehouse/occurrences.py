"""Raw observations → `occurrences` (README "What it measures").

Pure Polars from raw copies (with their sync history), reporting lines and call
presences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from warehouse.attendance import with_attendance
from warehouse.copies import KEY, candidates, fill_stubs, occurrence_ids, stub_series
from warehouse.params import BuildContext
from warehouse.relation import assign_relation
from warehouse.status import fold_copies

OCCURRENCE_COLUMNS = (
    "occurrence_id",
    "manager_email",
    "report_email",
    "relation",
    "person_a",
    "person_b",
    "organizer_email",
    "scheduled_start",
    "start",
    "end",
    "local_date",
    "minutes",
    "status",
    "rescheduled",
    "canceled_by",
    "cancel_lead_hours",
    "recurring",
    "series_key",
    "has_agenda",
    "providers",
    "meeting_key",
    "attendance",
    "attended_minutes",
)
_LOST = pl.col("status").is_in(["cancelled", "declined"])


def local_midnight_utc(day: date, timezone: str) -> datetime:
    """Local midnight at the start of `day` in `timezone`, as aware UTC."""
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


def mark_replaced(occ: pl.DataFrame) -> pl.DataFrame:
    """Lost occurrences the pair rebooked as a one-off become `replaced`.

    The one-off must start from 2 days before to 7 days after the original slot and
    be created no earlier than 14 days before it (unknown creation time is accepted);
    it is flagged rescheduled, as it is the reschedule.
    """
    indexed = occ.with_row_index("_i")
    lost = indexed.filter(_LOST).select("person_a", "person_b", "scheduled_start", "_i")
    oneoffs = indexed.filter(~pl.col("recurring"), pl.col("status").is_null()).select(
        "person_a", "person_b", _r="_i", _r_start="start", _r_created="created_at"
    )
    slot = pl.col("scheduled_start")
    matches = lost.join(oneoffs, on=["person_a", "person_b"]).filter(
        pl.col("_r_start").is_between(slot - timedelta(days=2), slot + timedelta(days=7)),
        pl.col("_r_created").is_null() | (pl.col("_r_created") >= slot - timedelta(days=14)),
    )
    replaced = pl.col("_i").is_in(matches["_i"].implode())
    replacement = pl.col("_i").is_in(matches["_r"].implode())
    return indexed.with_columns(
        status=pl.when(replaced).then(pl.lit("replaced")).otherwise("status"),
        rescheduled=pl.col("rescheduled") | replaced | replacement,
    ).drop("_i")


def build_occurrences(
    raw: pl.DataFrame,
    lines: pl.DataFrame,
    ctx: BuildContext,
    series: pl.DataFrame | None = None,
    calls: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per occurrence of a 1:1 candidate, deduplicated across calendars, with
    its attendance.

    `series` is `stub_series` of the whole raw table when `raw` is only a slice of it
    (None: computed from `raw`). `calls` holds call presences (CALL_SCHEMA), at least
    every one with the meeting key of an occurrence of `raw` (None: no call evidence).
    """
    tz = ctx.org.timezone
    cutoff = local_midnight_utc(ctx.as_of, tz)
    known = stub_series(raw) if series is None else series
    copies = candidates(fill_stubs(raw, known), ctx.params)
    occ = mark_replaced(fold_copies(copies).sort(*KEY))
    occ = occ.with_columns(
        status=pl.when(pl.col("status").is_not_null())
        .then("status")
        .when(pl.col("end") < cutoff)
        .then(pl.lit("held"))
        .otherwise(pl.lit("upcoming")),
        local_date=pl.col("start").dt.convert_time_zone(tz).dt.date(),
        minutes=pl.col("minutes").cast(pl.Int64),
    )
    occ = occ.with_columns(occurrence_id=occurrence_ids(occ))
    return with_attendance(assign_relation(occ, lines), calls).select(OCCURRENCE_COLUMNS)
