"""Storing call evidence: a provider's CallBatch into `raw_calls`, its read cursor into
`call_sync_state`, in the caller's transaction (README "SQL surface").

`raw_calls` is the only place call evidence lives: one row per person per stretch in a
call, keyed by (provider, call_id, email, joined_at). Providers deliver records late
(Google's Reports API: hours) and each run reads an overlap again, so a merge inserts
the presences not stored yet, brings a stored one up to the provider's latest version
(a call that went on longer), and leaves everything else alone: merging the same batch
twice changes nothing, and `first_seen_at` keeps the first read that saw a presence.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from connectors.model import CallBatch, CallPresence
from core.errors import BadInputError
from warehouse.columns import CALL_ARROW_SCHEMA, as_utc, presences_table

if TYPE_CHECKING:  # Polars loads with the build, not with a sync
    import polars as pl

# The presences that count: those of a provider whose calls were read (a row of it in
# call_sync_state with a read_until). A provider never read has no evidence at all.
EVIDENCE = f"""
SELECT {", ".join(CALL_ARROW_SCHEMA.names)} FROM raw_calls
SEMI JOIN (SELECT provider FROM call_sync_state WHERE read_until IS NOT NULL) USING (provider)
"""

_KEY = ("provider", "call_id", "email", "joined_at")
_ON = " AND ".join(f"r.{column} = b.{column}" for column in _KEY)

_UPDATE_CHANGED = f"""
UPDATE raw_calls r SET meeting_key = b.meeting_key, left_at = b.left_at
FROM _calls b
WHERE {_ON} AND (r.left_at <> b.left_at OR r.meeting_key IS DISTINCT FROM b.meeting_key)
"""

_INSERT_NEW = f"""
INSERT INTO raw_calls
SELECT b.*, $observed_at AS first_seen_at FROM _calls b
ANTI JOIN raw_calls r ON {_ON}
"""

# The cursor never moves back: reading an earlier window again (a repair) keeps it.
_ADVANCE = """
INSERT INTO call_sync_state VALUES ($provider, $read_until, $observed_at, 'ok', NULL)
ON CONFLICT (provider) DO UPDATE SET
    read_until = greatest(coalesce(call_sync_state.read_until, excluded.read_until),
        excluded.read_until),
    last_sync = excluded.last_sync, status = 'ok', error = NULL
"""


def batch_presences(batch: CallBatch) -> pa.Table:
    """The batch's presences as a CALL_ARROW_SCHEMA table, checked: times aware and in order,
    every presence the batch's provider's; the last copy of a presence kept (a record
    read on two pages)."""
    read_from = as_utc(batch.read_from, "read_from of the call batch")
    read_until = as_utc(batch.read_until, "read_until of the call batch")
    if read_until < read_from:
        raise BadInputError(
            f"call batch of {batch.provider}: read_until {read_until.isoformat()} is before"
            f" read_from {read_from.isoformat()}; expected read_from <= read_until"
        )
    latest: dict[tuple[str, str, datetime], CallPresence] = {}
    for presence in batch.presences:
        if presence.provider != batch.provider:
            raise BadInputError(
                f"call {presence.call_id} is a {presence.provider} record, not one of the"
                f" batch's provider {batch.provider}"
            )
        key = (presence.call_id, presence.email, presence.joined_at)
        latest.pop(key, None)
        latest[key] = presence
    return presences_table(list(latest.values()))


def merge_calls(con: duckdb.DuckDBPyConnection, batch: CallBatch, observed_at: datetime) -> int:
    """Merge `batch` into raw_calls and advance its provider's read_until, inside the
    caller's transaction; presences stored for the first time."""
    rows = batch_presences(batch)
    seen = as_utc(observed_at, "observed_at")
    con.register("_calls_in", rows)
    try:
        con.execute("CREATE TEMP TABLE _calls AS SELECT * FROM _calls_in")
        con.execute(_UPDATE_CHANGED)
        added = con.execute(_INSERT_NEW, {"observed_at": seen}).fetchall()
        con.execute(
            _ADVANCE,
            {
                "provider": batch.provider,
                "read_until": as_utc(batch.read_until, "read_until"),
                "observed_at": seen,
            },
        )
        con.execute("DROP TABLE _calls")
    finally:  # after a failure the caller rolls back, which drops the temp table
        with suppress(duckdb.Error):
            con.unregister("_calls_in")
    return int(added[0][0]) if added else 0


def read_evidence(con: duckdb.DuckDBPyConnection) -> pl.DataFrame | None:
    """Every presence that counts (EVIDENCE) as a CALL_SCHEMA frame; None when no
    provider's calls were ever read (attendance off: nothing can be told)."""
    read = con.execute(
        "SELECT count(*) FROM call_sync_state WHERE read_until IS NOT NULL"
    ).fetchall()[0][0]
    if not read:
        return None
    from warehouse.frames import CALL_SCHEMA

    return con.sql(EVIDENCE).pl().cast(CALL_SCHEMA)


def record_call_failure(
    con: duckdb.DuckDBPyConnection, provider: str, reason: str, observed_at: datetime
) -> None:
    """Mark the provider's call read failed; its read_until, last success and rows stay."""
    ts = as_utc(observed_at, "observed_at")
    error = f"{ts.isoformat(timespec='seconds')}: {reason}"
    con.execute(
        "INSERT INTO call_sync_state VALUES (?, NULL, NULL, 'failed', ?) "
        "ON CONFLICT (provider) DO UPDATE SET status = 'failed', error = excluded.error",
        [provider, error],
    )
