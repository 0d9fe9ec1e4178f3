"""Derived tables rebuilt from the warehouse's own raw table, partition by partition.

Each partition of `raw_observations` (see `warehouse.partitions`) is read, computed
(`compute_partition`) and its big tables written before the next is read; only the
small summaries are kept, and `combine` makes the org-wide tables from them. Callers
own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from warehouse.build import PartitionSummary, combine, compute_partition
from warehouse.frames import SNAPSHOT_SCHEMA
from warehouse.params import BuildContext
from warehouse.partitions import RawPartitions, partition_count
from warehouse.roster import reporting_lines
from warehouse.schema import DERIVED_TABLES

HISTORY_TABLES = ("weekly_activity", "manager_metrics")  # kept per as_of by build_history
# DuckDB's own share of a build's memory: beyond it, its cache of the raw table goes
# and the rows being written spill to the file (measured: no slower at 10M occurrences).
DUCKDB_BUILD_MEMORY = "512MB"
# Staging tables, dropped before the transaction commits.
_WEEKLY = "_build_weekly"  # weekly activity of the partitions so far, sorted at the end
_WEEKLY_ORDER = "week_start, manager_email, report_email"
_MANAGERS = "_build_managers"  # one date's manager metrics, on their way to the history


@contextmanager
def duckdb_memory(
    con: duckdb.DuckDBPyConnection, limit: str = DUCKDB_BUILD_MEMORY
) -> Iterator[None]:
    """Cap DuckDB's memory for the duration (outside any transaction: a failed one
    refuses settings); the earlier limit comes back after (DuckDB's default exactly,
    a limit set before as closely as DuckDB reports it)."""
    before = _memory_limit(con)
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute("RESET memory_limit")
        if _memory_limit(con) != before:
            con.execute(f"SET memory_limit = '{before}'")


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def build_tables(
    con: duckdb.DuckDBPyConnection,
    ctx: BuildContext,
    synced: frozenset[str],
    partitions: int | None = None,
    workdir: Path | None = None,
) -> dict[str, int]:
    """Replace every derived table with its state as of ctx.as_of; row counts.

    `partitions` forces a partition count (default: from the raw table's size);
    `workdir` is where the partitions' files go (None: the system's temporary folder).
    """
    snapshots = _snapshots(con)
    lines = reporting_lines(snapshots)
    summaries = []
    with RawPartitions(con, _count(con, partitions), workdir) as parts:
        for index in range(parts.count):
            summaries.append(_build_partition(con, parts, index, lines, ctx, synced))
    con.execute(
        f"CREATE OR REPLACE TABLE weekly_activity AS "
        f"SELECT * FROM {_WEEKLY} ORDER BY {_WEEKLY_ORDER}"
    )
    con.execute(f"DROP TABLE {_WEEKLY}")
    for name, frame in combine(summaries, snapshots, ctx, synced).items():
        _write(con, name, frame, create=True)
    return {name: _rows(con, name) for name in DERIVED_TABLES}


def _build_partition(
    con: duckdb.DuckDBPyConnection,
    parts: RawPartitions,
    index: int,
    lines: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str],
) -> PartitionSummary:
    """Compute one partition, write its occurrences and weekly activity, keep the
    summary (the partition's frames are freed on return, before the next is read)."""
    raw, series = parts.read(index)
    result = compute_partition(raw, series, lines, ctx, synced)
    del raw
    _write(con, "occurrences", result.occurrences, create=index == 0)
    _write(con, _WEEKLY, result.weekly_activity, create=index == 0)
    return result.summary


def build_history_tables(
    con: duckdb.DuckDBPyConnection,
    contexts: Sequence[BuildContext],
    synced: frozenset[str],
    partitions: int | None = None,
    workdir: Path | None = None,
) -> dict[date, int]:
    """Write the HISTORY_TABLES as of each context's date into `<table>_history`
    (plus an `as_of` column), replacing rows of the same as_of; weekly rows per date.

    Each partition is read once for every date; a date given twice keeps its last
    context. `partitions` and `workdir` as for `build_tables`.
    """
    by_date = {ctx.as_of: ctx for ctx in contexts}
    snapshots = _snapshots(con)
    lines = reporting_lines(snapshots)
    summaries: dict[date, list[PartitionSummary]] = {day: [] for day in by_date}
    with RawPartitions(con, _count(con, partitions), workdir) as parts:
        for index in range(parts.count):
            found = _history_partition(con, parts, index, lines, by_date, synced)
            for day, summary in found.items():
                summaries[day].append(summary)
    for day, ctx in by_date.items():
        managers = combine(summaries[day], snapshots, ctx, synced)["manager_metrics"]
        _write(con, _MANAGERS, managers.with_columns(as_of=pl.lit(day)), create=True)
        _replace_history(con, "manager_metrics", f"SELECT * FROM {_MANAGERS}", [day])
        con.execute(f"DROP TABLE {_MANAGERS}")
    weekly = f"SELECT * FROM {_WEEKLY} ORDER BY as_of, {_WEEKLY_ORDER}"
    _replace_history(con, "weekly_activity", weekly, list(by_date))
    rows = con.execute(f"SELECT as_of, count(*) FROM {_WEEKLY} GROUP BY as_of").fetchall()
    con.execute(f"DROP TABLE {_WEEKLY}")
    return {day: dict(rows).get(day, 0) for day in by_date}


def _history_partition(
    con: duckdb.DuckDBPyConnection,
    parts: RawPartitions,
    index: int,
    lines: pl.DataFrame,
    by_date: Mapping[date, BuildContext],
    synced: frozenset[str],
) -> dict[date, PartitionSummary]:
    """One partition computed as of every date: its weekly activity staged (with
    `as_of`), its summaries returned."""
    raw, series = parts.read(index)
    summaries = {}
    for number, (day, ctx) in enumerate(by_date.items()):
        result = compute_partition(raw, series, lines, ctx, synced)
        weekly = result.weekly_activity.with_columns(as_of=pl.lit(day))
        _write(con, _WEEKLY, weekly, create=index == 0 and number == 0)
        summaries[day] = result.summary
    return summaries


def _count(con: duckdb.DuckDBPyConnection, requested: int | None) -> int:
    rows = con.execute("SELECT count(*) FROM raw_observations").fetchall()[0][0]
    return partition_count(rows, requested)


def _snapshots(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    columns = ", ".join(f'"{name}"' for name in SNAPSHOT_SCHEMA)
    frame = con.sql(f"SELECT {columns} FROM roster_snapshots").pl()
    return frame.cast(SNAPSHOT_SCHEMA)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def _write(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, *, create: bool
) -> None:
    """Replace `table` with the frame (`create`), or append the frame to it.

    Through a relation, not a registered view: DuckDB keeps what is registered alive
    until the transaction ends.
    """
    rows = con.from_arrow(frame.to_arrow())
    if create:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        rows.create(table)
    else:
        rows.insert_into(table)


def _replace_history(
    con: duckdb.DuckDBPyConnection, name: str, query: str, days: Sequence[date]
) -> None:
    """Replace the rows of `days` in `<name>_history` (created on first use) with the
    rows of `query`."""
    table = f"{name}_history"
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS {query} LIMIT 0")
    con.execute(f"DELETE FROM {table} WHERE list_contains(?, as_of)", [list(days)])
    con.execute(f"INSERT INTO {table} BY NAME {query}")
