"""What one merge transaction costs as the warehouse grows.

For each size, fills a fresh warehouse with that many stored observations (110 per
calendar, as the sandbox's calendars hold about; each calendar's rows together, the
calendars in no particular order, as a sync stores them), then merges three kinds of group
through staged files, as a sync's writer does (`Warehouse.merge_staged`):

- an unchanged week's group: 5,000 stored calendars, a new cursor each, no rows;
- a 1 % week's group: 5,000 other stored calendars, 50 of which bring 2 changed events
  (both groups smaller when fewer calendars are stored);
- a first sync's group: 1,800 new calendars of 110 events each (about 200,000 rows).

Cost that follows the rows merged stays flat down each column as the stored rows grow.

Run: `uv run python benchmarks/merge_benchmark.py --stored 1100000,5500000,11000000`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.columns import OBSERVATION_ARROW_SCHEMA
from warehouse.db import Warehouse
from warehouse.staging import CALENDARS_SCHEMA, StagedFile, write_staged

PER_CALENDAR = 110
GROUP = 5_000
CHANGED = 50
NEW_CALENDARS = 1_800
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)

_FILL = f"""
INSERT INTO raw_observations BY NAME
SELECT 'google' AS provider, 'person' || (i // {PER_CALENDAR}) || '@example.com' AS calendar_email,
    'ev' || (i % {PER_CALENDAR}) AS event_id, 'series' || (i % 7) AS series_key,
    'person' || (i // {PER_CALENDAR}) || '@example.com' AS organizer_email,
    ['a@example.com', 'b@example.com'] AS participants, []::VARCHAR[] AS declined_by,
    'live' AS state, $t0 + to_days((i % 700)::INTEGER) AS start,
    $t0 + to_days((i % 700)::INTEGER) + INTERVAL 30 MINUTE AS "end",
    false AS recurring, false AS has_agenda, $t0 AS created_at, $t0 AS updated_at,
    $t0 AS first_seen_at, $t0 AS last_seen_at, $t0 AS live_seen_at,
    $t0 + to_days((i % 700)::INTEGER) AS first_start
FROM range($rows) t(i)
ORDER BY hash(i // {PER_CALENDAR}), i  -- calendars in no order, as syncs store them
"""
_STATE = f"""
INSERT INTO sync_state
SELECT 'google', 'person' || c || '@example.com', 'cursor-0', $t0, $t0, 'ok', NULL,
    {PER_CALENDAR}
FROM range($calendars) t(c)
"""


def fill(path: Path, rows: int) -> None:
    """A warehouse at `path` holding `rows` stored observations and their calendars."""
    Warehouse(path).close()  # the schema, migrated
    with duckdb.connect(str(path)) as con:
        con.execute(_FILL, {"t0": T0, "rows": rows})
        con.execute(_STATE, {"t0": T0, "calendars": rows // PER_CALENDAR})


def calendars(emails: list[str], full: bool, at: datetime) -> pa.Table:
    return pa.table(
        {
            "provider": ["google"] * len(emails),
            "calendar_email": emails,
            "cursor": [f"cursor-{at:%j%H%M%S}"] * len(emails),
            "full": [full] * len(emails),
            "removed_ids": [[] for _ in emails],
            "observed_at": [at] * len(emails),
        },
        schema=CALENDARS_SCHEMA,
    )


def observations(emails: list[str], per_calendar: int, at: datetime) -> pa.Table:
    n = len(emails) * per_calendar
    emails_col = [email for email in emails for _ in range(per_calendar)]
    start = [at + timedelta(days=i % 700) for i in range(n)]
    columns = {
        "provider": ["google"] * n,
        "calendar_email": emails_col,
        "event_id": [f"ev{i % per_calendar}" for i in range(n)],
        "series_key": ["series"] * n,
        "organizer_email": emails_col,
        "participants": [["a@example.com", "b@example.com"]] * n,
        "declined_by": [[]] * n,
        "state": ["cancelled"] * n,
        "start": start,
        "end": [s + timedelta(minutes=30) for s in start],
        "original_start": [None] * n,
        "recurring": [False] * n,
        "has_agenda": [False] * n,
        "created_at": [at] * n,
        "updated_at": [at] * n,
        "response_at": [None] * n,
        "meeting_key": [None] * n,
    }
    return pa.table(columns, schema=OBSERVATION_ARROW_SCHEMA)


def timed(merge: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    rows = merge()
    return time.perf_counter() - started, rows


def run(stored: int, directory: Path) -> str:
    path = directory / f"w{stored}.duckdb"
    started = time.perf_counter()
    fill(path, stored)
    filled = time.perf_counter() - started
    with Warehouse(path) as warehouse:
        known = [f"person{c}@example.com" for c in range(stored // PER_CALENDAR)]
        at = T0 + timedelta(days=7)

        def merge(rows: pa.Table, cals: pa.Table) -> Callable[[], int]:
            staged: StagedFile = write_staged(directory, rows, cals)
            return lambda: warehouse.merge_staged([staged])

        group = min(GROUP, len(known) // 2)
        quiet = known[:group]
        unchanged = timed(merge(observations([], 1, at), calendars(quiet, False, at)))
        at += timedelta(hours=1)
        week = known[group : 2 * group]
        changed = timed(merge(observations(week[:CHANGED], 2, at), calendars(week, False, at)))
        at += timedelta(hours=1)
        new = [f"person{c}.new@example.com" for c in range(NEW_CALENDARS)]
        first = timed(merge(observations(new, PER_CALENDAR, at), calendars(new, True, at)))
    path.unlink()
    return (
        f"| {stored:,} | {filled:.1f} s | {unchanged[0] * 1000:.0f} ms | "
        f"{changed[0] * 1000:.0f} ms ({changed[1]} rows) | "
        f"{first[0]:.2f} s ({first[1]:,} rows) |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", default="1000000,5000000", help="comma-separated sizes")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.stored.split(",")]
    print("| stored rows | fill | unchanged group | 1 % group | first-sync group |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="oneonone-merge-") as tmp:
        for stored in sizes:
            print(run(stored, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
