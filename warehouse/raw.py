"""Storing one calendar's batch (raw rows + sync_state) and recording failures.

Callers own the transaction: `Warehouse` wraps each call in one, so a calendar's
cursor and its data commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from connectors.model import CalendarBatch
from core.errors import BadInputError
from warehouse.frames import as_utc, observations_frame

_KEY = "provider = ? AND calendar_email = ?"

# Merge the batch over what is stored: history columns carry over, and a stub (no
# participants) keeps the participants/organizer/times already known for that id.
_MERGED = """
SELECT b.provider, b.calendar_email, b.event_id,
    coalesce(b.series_key, o.series_key) AS series_key,
    coalesce(b.organizer_email, o.organizer_email) AS organizer_email,
    CASE WHEN len(b.participants) = 0 AND o.participants IS NOT NULL
        THEN o.participants ELSE b.participants END AS participants,
    b.declined_by, b.state,
    coalesce(b.start, o.start) AS start,
    coalesce(b."end", o."end") AS "end",
    coalesce(b.original_start, o.original_start) AS original_start,
    b.recurring,
    CASE WHEN len(b.participants) = 0 THEN coalesce(o.has_agenda, b.has_agenda)
        ELSE b.has_agenda END AS has_agenda,
    coalesce(b.created_at, o.created_at) AS created_at,
    b.updated_at, b.response_at,
    coalesce(o.first_seen_at, $ts) AS first_seen_at,
    $ts AS last_seen_at,
    CASE WHEN b.state = 'live' THEN $ts ELSE o.live_seen_at END AS live_seen_at,
    CASE WHEN b.state = 'live' THEN NULL ELSE coalesce(o.cancel_seen_at, $ts)
        END AS cancel_seen_at,
    coalesce(o.first_start, b.start) AS first_start
FROM _batch b
LEFT JOIN raw_observations o USING (provider, calendar_email, event_id)
"""


def _check_batch(batch: CalendarBatch) -> None:
    for obs in batch.observations:
        if (obs.provider, obs.calendar_email) != (batch.provider, batch.calendar_email):
            raise BadInputError(
                f"observation {obs.event_id} belongs to {obs.provider}:{obs.calendar_email}, "
                f"not to the batch's calendar {batch.provider}:{batch.calendar_email}"
            )


def store_batch(
    con: duckdb.DuckDBPyConnection, batch: CalendarBatch, observed_at: datetime
) -> None:
    """Write `batch` and its sync_state row (inside the caller's transaction)."""
    _check_batch(batch)
    ts = as_utc(observed_at, "observed_at")
    key = [batch.provider, batch.calendar_email]
    # Last copy of an id wins, as a later page of the same sync supersedes an earlier one.
    frame = observations_frame(batch.observations).unique("event_id", keep="last")
    con.register("_batch", frame.to_arrow())
    try:
        if batch.full:
            con.execute(
                f"DELETE FROM raw_observations WHERE {_KEY} "
                "AND event_id NOT IN (SELECT event_id FROM _batch)",
                key,
            )
        con.execute("CREATE TEMP TABLE _merged AS " + _MERGED, {"ts": ts})
        con.execute(
            "DELETE FROM raw_observations WHERE (provider, calendar_email, event_id) IN "
            "(SELECT (provider, calendar_email, event_id) FROM _merged)"
        )
        con.execute("INSERT INTO raw_observations SELECT * FROM _merged")
        con.execute("DROP TABLE _merged")
        _mark_removed(con, batch, ts)
    finally:
        con.unregister("_batch")
    _write_sync_state(con, batch, ts)


def _mark_removed(con: duckdb.DuckDBPyConnection, batch: CalendarBatch, ts: datetime) -> None:
    """Ids reported deleted become `removed`; ids never stored are ignored."""
    if not batch.removed_ids:
        return
    con.execute(
        "UPDATE raw_observations SET state = 'removed', last_seen_at = $ts, "
        "cancel_seen_at = coalesce(cancel_seen_at, $ts) "
        "WHERE provider = $p AND calendar_email = $c AND list_contains($ids, event_id) "
        "AND event_id NOT IN (SELECT event_id FROM _batch)",
        {"ts": ts, "p": batch.provider, "c": batch.calendar_email, "ids": list(batch.removed_ids)},
    )


def _write_sync_state(con: duckdb.DuckDBPyConnection, batch: CalendarBatch, ts: datetime) -> None:
    key = [batch.provider, batch.calendar_email]
    old = con.execute(f"SELECT last_full_sync FROM sync_state WHERE {_KEY}", key).fetchall()
    last_full = ts if batch.full else (old[0][0] if old else None)
    events = con.execute(f"SELECT count(*) FROM raw_observations WHERE {_KEY}", key).fetchall()
    con.execute(f"DELETE FROM sync_state WHERE {_KEY}", key)
    con.execute(
        "INSERT INTO sync_state VALUES (?, ?, ?, ?, ?, 'ok', NULL, ?)",
        [*key, batch.cursor, last_full, ts, events[0][0]],
    )


def record_failure(
    con: duckdb.DuckDBPyConnection,
    provider: str,
    calendar_email: str,
    reason: str,
    observed_at: datetime,
) -> None:
    """Mark the calendar failed; its cursor, data and `last_sync` (last success) stay.

    The error keeps the time of the failed attempt, so freshness still shows the last
    good sync while the dashboard can say when and why the latest attempt failed.
    """
    ts = as_utc(observed_at, "observed_at")
    reason = f"{ts.isoformat(timespec='seconds')}: {reason}"
    key = [provider, calendar_email]
    updated = con.execute(
        f"UPDATE sync_state SET status = 'failed', error = ? WHERE {_KEY} RETURNING 1",
        [reason, *key],
    ).fetchall()
    if not updated:
        con.execute(
            "INSERT INTO sync_state VALUES (?, ?, NULL, NULL, NULL, 'failed', ?, 0)",
            [*key, reason],
        )
