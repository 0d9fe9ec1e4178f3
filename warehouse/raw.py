"""Merging staged calendars into `raw_observations` and `sync_state`, set-based.

One merge takes many calendars' rows at once (see warehouse.staging) and runs inside
the caller's transaction, so every calendar's cursor commits with its rows or not at
all. Each step is one set-based statement per group of calendars (no per-calendar
statement), and steps that have nothing to do are skipped — an unchanged week touches
`sync_state` alone. A group with rows finds the stored rows they replace by their key
columns alone, then reads and deletes just those rows by row id. That join, the
recount of the changed calendars, and a full sync's removal of the rows no longer
listed each read the key columns of every stored row: the part of a merge that still
grows with the table. Merging the same staged rows twice changes nothing: every time
written comes from the staged calendars, not from the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from warehouse.columns import OBSERVATION_ARROW_SCHEMA, as_utc

if TYPE_CHECKING:
    from warehouse.staging import StagedFile

_KEY = "provider = ? AND calendar_email = ?"
# Columns of OBSERVATION_ARROW_SCHEMA a staged file of an earlier version lacks (its rows have
# them null), with their SQL types.
_ADDED_COLUMNS = {"meeting_key": "VARCHAR"}
_JOIN = "r.provider = {o}.provider AND r.calendar_email = {o}.calendar_email"

# Merge the staged rows over what is stored: history columns carry over, and a stub
# (no participants) keeps the participants/organizer/times already known for that id.
# The stored rows are found by key columns alone, then read whole by row id (a join
# that read every column of every stored row cost twice as much).
_MERGED = """
CREATE TEMP TABLE _merged AS
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
    CASE WHEN len(b.participants) = 0 THEN coalesce(b.meeting_key, o.meeting_key)
        ELSE b.meeting_key END AS meeting_key,
    coalesce(o.first_seen_at, b.ts) AS first_seen_at,
    b.ts AS last_seen_at,
    CASE WHEN b.state = 'live' THEN b.ts ELSE o.live_seen_at END AS live_seen_at,
    CASE WHEN b.state = 'live' THEN NULL ELSE coalesce(o.cancel_seen_at, b.ts)
        END AS cancel_seen_at,
    coalesce(o.first_start, b.start) AS first_start,
    o.rid AS stored_rid
FROM _rows b
LEFT JOIN (
    SELECT *, rowid AS rid FROM raw_observations WHERE rowid IN (
        SELECT r.rowid FROM raw_observations r
        SEMI JOIN _rows b USING (provider, calendar_email, event_id))
) o USING (provider, calendar_email, event_id)
"""

_DROP_REPLACED = """
DELETE FROM raw_observations
WHERE rowid IN (SELECT stored_rid FROM _merged WHERE stored_rid IS NOT NULL)
"""

_INSERT_MERGED = "INSERT INTO raw_observations SELECT * EXCLUDE (stored_rid) FROM _merged"

# Rows a full sync no longer lists are gone from the calendar.
_DROP_STALE = f"""
DELETE FROM raw_observations r USING _calendars c
WHERE c."full" AND {_JOIN.format(o="c")}
    AND NOT EXISTS (SELECT 1 FROM _rows b WHERE {_JOIN.format(o="b")} AND b.event_id = r.event_id)
"""

# Ids reported deleted become `removed`; ids never stored, or listed again, are ignored.
_MARK_REMOVED = f"""
UPDATE raw_observations r SET state = 'removed', last_seen_at = x.observed_at,
    cancel_seen_at = coalesce(r.cancel_seen_at, x.observed_at)
FROM (
    SELECT provider, calendar_email, unnest(removed_ids) AS event_id, observed_at
    FROM _calendars WHERE len(removed_ids) > 0
) x
WHERE {_JOIN.format(o="x")} AND r.event_id = x.event_id
    AND NOT EXISTS (SELECT 1 FROM _rows b WHERE {_JOIN.format(o="b")} AND b.event_id = r.event_id)
"""

# Calendars whose stored rows may have changed: their `events` count is recounted.
_CHANGED = """
CREATE TEMP TABLE _changed AS
SELECT c.provider, c.calendar_email, 0::BIGINT AS events FROM _calendars c
WHERE c."full" OR len(c.removed_ids) > 0
    OR EXISTS (SELECT 1 FROM _rows b
        WHERE b.provider = c.provider AND b.calendar_email = c.calendar_email)
"""

_RECOUNT = f"""
UPDATE _changed x SET events = n.events
FROM (
    SELECT r.provider, r.calendar_email, count(*) AS events
    FROM raw_observations r SEMI JOIN _changed x ON {_JOIN.format(o="x")}
    GROUP BY ALL
) n
WHERE x.provider = n.provider AND x.calendar_email = n.calendar_email
"""

_UPDATE_STATE = """
UPDATE sync_state s SET cursor = c.cursor,
    last_full_sync = CASE WHEN c."full" THEN c.observed_at ELSE s.last_full_sync END,
    last_sync = c.observed_at, status = 'ok', error = NULL,
    events = coalesce(x.events, s.events)
FROM _calendars c LEFT JOIN _changed x USING (provider, calendar_email)
WHERE s.provider = c.provider AND s.calendar_email = c.calendar_email
"""

_INSERT_STATE = """
INSERT INTO sync_state
SELECT c.provider, c.calendar_email, c.cursor,
    CASE WHEN c."full" THEN c.observed_at END, c.observed_at, 'ok', NULL,
    coalesce(x.events, 0)
FROM _calendars c LEFT JOIN _changed x USING (provider, calendar_email)
ANTI JOIN sync_state s USING (provider, calendar_email)
"""


def merge(
    con: duckdb.DuckDBPyConnection, rows: pa.Table | Sequence[StagedFile], calendars: pa.Table
) -> int:
    """Merge staged `rows` (a table, or staged Parquet files) of the staged `calendars`
    (warehouse.staging.CALENDARS_SCHEMA) inside the caller's transaction; rows merged."""
    con.register("_calendars_in", calendars)
    if isinstance(rows, pa.Table):
        con.register("_rows_in", rows)
        source, columns = "_rows_in", _columns(set(rows.column_names))
    else:
        source = "read_parquet($files, union_by_name = true)"
        columns = _columns(set().union(*(staged.column_names() for staged in rows)))
    try:
        # Each row gets its calendar's observed_at; a row of a calendar not in the
        # batch (a bug) would have none and is refused by the NOT NULL history columns.
        con.execute("CREATE TEMP TABLE _calendars AS SELECT * FROM _calendars_in")
        con.execute(
            f"CREATE TEMP TABLE _rows AS SELECT {columns}, c.observed_at AS ts "
            f"FROM {source} b LEFT JOIN _calendars c USING (provider, calendar_email)",
            {} if isinstance(rows, pa.Table) else {"files": [str(f.path) for f in rows]},
        )
        merged = con.execute("SELECT count(*) FROM _rows").fetchall()[0][0]
        if _any(con, '"full"'):
            con.execute(_DROP_STALE)
        if merged:
            con.execute(_MERGED)
            con.execute(_DROP_REPLACED)
            con.execute(_INSERT_MERGED)
        if _any(con, "len(removed_ids) > 0"):
            con.execute(_MARK_REMOVED)
        con.execute(_CHANGED)
        if con.execute("SELECT count(*) FROM _changed").fetchall()[0][0]:
            con.execute(_RECOUNT)
        con.execute(_UPDATE_STATE)
        con.execute(_INSERT_STATE)
        for name in ("_rows", "_calendars", "_changed", "_merged"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    finally:  # after a failure the caller rolls back, which drops the temp tables
        with suppress(duckdb.Error):
            con.unregister("_calendars_in")
            if isinstance(rows, pa.Table):
                con.unregister("_rows_in")
    return int(merged)


def _columns(present: set[str]) -> str:
    """The select list of OBSERVATION_ARROW_SCHEMA's columns from a source holding `present`:
    an added column no staged file has is null."""
    return ", ".join(
        f'"{name}"'
        if name in present or name not in _ADDED_COLUMNS
        else f'CAST(NULL AS {_ADDED_COLUMNS[name]}) AS "{name}"'
        for name in OBSERVATION_ARROW_SCHEMA.names
    )


def _any(con: duckdb.DuckDBPyConnection, condition: str) -> bool:
    return bool(con.execute(f"SELECT count(*) FROM _calendars WHERE {condition}").fetchall()[0][0])


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
