"""Derived tables rebuilt from the warehouse's own raw table, partition by partition.

Each partition of `raw_observations` (see `warehouse.partitions`) is read, computed
(`compute_partition`) and its big tables written before the next is read; only the
small summaries are kept, and `combine` makes the org-wide tables from them. Callers
own the transaction.

Given a `PartitionMapper` (one that runs each call on a Dask worker, say), the
partitions are computed elsewhere: the raw table is split into files under the
workdir, each call of `compute_partition_files` reads one partition's file, writes
its occurrences and weekly activity as Parquet files beside it and returns the
summary; this process, the one writer, inserts those files in partition order. The
history's backfill splits the raw table once for all its dates and makes each
(partition, date) a call of its own, writing only the weekly activity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.build import PartitionSummary, combine, compute_partition
from warehouse.calls import read_evidence
from warehouse.frames import SNAPSHOT_SCHEMA
from warehouse.params import BuildContext
from warehouse.partitions import RawPartitions, partition_count, read_partition
from warehouse.roster import reporting_lines
from warehouse.schema import DERIVED_TABLES, HISTORY_TABLES, SNAPSHOT_HISTORY
from warehouse.staging import write_aside

# DuckDB's own share of a build's memory: beyond it, its cache of the raw table goes
# and the rows being written spill to the file (measured: no slower at 10M occurrences).
DUCKDB_BUILD_MEMORY = "512MB"
# Staging tables, dropped before the transaction commits.
_WEEKLY = "_build_weekly"  # weekly activity of the partitions so far, sorted at the end
_WEEKLY_ORDER = "week_start, manager_email, report_email"
_SNAPSHOT = "_build_snapshot"  # one date's table, on its way to its history
# A computed partition's tables, beside the raw partitions: (staging table, file name).
_BUILT_FILES: Final = (("occurrences", "occurrences"), (_WEEKLY, "weekly_activity"))
_BUILD_FILES: Final = tuple(name for _, name in _BUILT_FILES)  # the files a build writes
_HISTORY_FILES: Final = ("weekly_activity",)  # all the history keeps of a partition's


@dataclass(frozen=True)
class BuiltPartition:
    """What `compute_partition_files` returns: which partition as of which date, and
    its summary."""

    index: int
    as_of: date
    summary: PartitionSummary


# Runs a function once per argument tuple (anywhere: threads, a Dask cluster) and
# yields its results in any order.
PartitionMapper = Callable[
    [Callable[..., BuiltPartition], Iterable[tuple[Any, ...]]], Iterator[BuiltPartition]
]


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
    mapper: PartitionMapper | None = None,
) -> dict[str, int]:
    """Replace every derived table with its state as of ctx.as_of, and that date's
    snapshot in the SNAPSHOT_HISTORY tables; row counts of the derived tables.

    `partitions` forces a partition count (default: from the raw table's size);
    `workdir` is where the partitions' files go (None: the system's temporary folder).
    With a `mapper`, the partitions (even a single one) are computed through it by
    `compute_partition_files`, which must then reach `workdir` at the same path;
    without, one after another in this process.
    """
    snapshots = _snapshots(con)
    lines = reporting_lines(snapshots)
    shared = mapper is not None
    with RawPartitions(con, _count(con, partitions), workdir, shared) as parts:
        if mapper is None:
            summaries = [
                _build_partition(con, parts, index, lines, ctx, synced)
                for index in range(parts.count)
            ]
        else:
            built = _build_elsewhere(con, parts, mapper, lines, [ctx], synced, dated=False)
            summaries = [partition.summary for partition in built]
    con.execute(
        f"CREATE OR REPLACE TABLE weekly_activity AS "
        f"SELECT * FROM {_WEEKLY} ORDER BY {_WEEKLY_ORDER}"
    )
    con.execute(f"DROP TABLE {_WEEKLY}")
    tables = combine(summaries, snapshots, ctx, synced, read_evidence(con))
    for name, frame in tables.items():
        _write(con, name, frame, create=True)
    _write_snapshots(con, tables, ctx.as_of)
    return {name: _rows(con, name) for name in DERIVED_TABLES}


def _write_snapshots(
    con: duckdb.DuckDBPyConnection, tables: Mapping[str, pl.DataFrame], day: date
) -> None:
    """Replace `day`'s rows in every SNAPSHOT_HISTORY table with `tables`' frames."""
    for history in SNAPSHOT_HISTORY:
        frame = tables[HISTORY_TABLES[history]]
        _write(con, _SNAPSHOT, frame.select(pl.lit(day).alias("as_of"), pl.all()), create=True)
        _replace_history(con, history, f"SELECT * FROM {_SNAPSHOT}", [day])
        con.execute(f"DROP TABLE {_SNAPSHOT}")


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
    raw, series, calls = parts.read(index)
    result = compute_partition(raw, series, lines, ctx, synced, calls)
    del raw, calls
    _write(con, "occurrences", result.occurrences, create=index == 0)
    _write(con, _WEEKLY, result.weekly_activity, create=index == 0)
    return result.summary


def compute_partition_files(
    folder: Path,
    index: int,
    lines: pl.DataFrame,
    ctx: BuildContext,
    synced: frozenset[str],
    names: Sequence[str] = _BUILD_FILES,
) -> BuiltPartition:
    """Compute partition `index` of the raw table split into `folder` (see
    `read_partition`) as of ctx.as_of, write the tables `names` (occurrences, weekly
    activity) as Parquet files in `folder` and return its summary. Needs no warehouse:
    a Dask worker runs it."""
    raw, series, calls = read_partition(folder, index)
    result = compute_partition(raw, series, lines, ctx, synced, calls)
    del raw, calls
    frames = {"occurrences": result.occurrences, "weekly_activity": result.weekly_activity}
    for name in names:
        write_aside(frames[name].to_arrow(), _built_file(folder, index, ctx.as_of, name))
    return BuiltPartition(index, ctx.as_of, result.summary)


def _built_file(folder: Path, index: int, day: date, name: str) -> Path:
    return folder / f"{index}.{day.isoformat()}.{name}.parquet"


def _build_elsewhere(
    con: duckdb.DuckDBPyConnection,
    parts: RawPartitions,
    mapper: PartitionMapper,
    lines: pl.DataFrame,
    contexts: Sequence[BuildContext],
    synced: frozenset[str],
    *,
    dated: bool,
) -> list[BuiltPartition]:
    """Every partition computed as of each of `contexts` through `mapper`, one call
    per (partition, date); the results in that order, partition by partition, each
    one's files inserted (then deleted) as soon as those before it are in. `dated`
    (the history): only the weekly activity, `as_of` first; else the occurrences too."""
    names = _HISTORY_FILES if dated else _BUILD_FILES
    calls = [
        (parts.folder, index, lines, ctx, synced, names)
        for index in range(parts.count)
        for ctx in contexts
    ]
    order = [(index, ctx.as_of) for index in range(parts.count) for ctx in contexts]
    arrived: dict[tuple[int, date], BuiltPartition] = {}
    done: list[BuiltPartition] = []
    for built in mapper(compute_partition_files, calls):
        arrived[built.index, built.as_of] = built
        while len(done) < len(order) and order[len(done)] in arrived:
            ready = arrived.pop(order[len(done)])
            for table, name in _BUILT_FILES:
                if name in names:
                    path = _built_file(parts.folder, ready.index, ready.as_of, name)
                    rows = pq.read_table(path)
                    dated_rows = _dated(pl.DataFrame(rows), ready.as_of) if dated else rows
                    _write(con, table, dated_rows, create=not done)
                    path.unlink()
            done.append(ready)
    lost = [key for key in order[len(done) :] if key not in arrived]
    if lost:
        missing = sorted({index for index, _ in lost})
        raise RuntimeError(f"the build's mapper returned no result for partitions {missing}")
    return done


def _dated(frame: pl.DataFrame, day: date) -> pl.DataFrame:
    """`frame` as a history table keeps it: `as_of` first."""
    return frame.select(pl.lit(day).alias("as_of"), pl.all())


def build_history_tables(
    con: duckdb.DuckDBPyConnection,
    contexts: Sequence[BuildContext],
    synced: frozenset[str],
    partitions: int | None = None,
    workdir: Path | None = None,
    mapper: PartitionMapper | None = None,
) -> dict[date, int]:
    """Write the HISTORY_TABLES as of each context's date (`as_of` first, then the
    table's columns), replacing rows of the same as_of; weekly rows per date.

    The raw table is split once for every date; a date given twice keeps its last
    context. `partitions`, `workdir` and `mapper` as for `build_tables`: without a
    mapper each partition is read once and computed as of every date in turn; with
    one, each (partition, date) is a call of `compute_partition_files`.
    """
    by_date = {ctx.as_of: ctx for ctx in contexts}
    snapshots = _snapshots(con)
    lines = reporting_lines(snapshots)
    summaries: dict[date, list[PartitionSummary]] = {day: [] for day in by_date}
    shared = mapper is not None
    with RawPartitions(con, _count(con, partitions), workdir, shared) as parts:
        if mapper is None:
            for index in range(parts.count):
                found = _history_partition(con, parts, index, lines, by_date, synced)
                for day, summary in found.items():
                    summaries[day].append(summary)
        else:
            dates = list(by_date.values())
            for built in _build_elsewhere(con, parts, mapper, lines, dates, synced, dated=True):
                summaries[built.as_of].append(built.summary)
    calls = read_evidence(con)
    for day, ctx in by_date.items():
        _write_snapshots(con, combine(summaries[day], snapshots, ctx, synced, calls), day)
    weekly = f"SELECT * FROM {_WEEKLY} ORDER BY as_of, {_WEEKLY_ORDER}"
    _replace_history(con, "weekly_activity_history", weekly, list(by_date))
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
    raw, series, calls = parts.read(index)
    summaries = {}
    for number, (day, ctx) in enumerate(by_date.items()):
        result = compute_partition(raw, series, lines, ctx, synced, calls)
        _write(con, _WEEKLY, _dated(result.weekly_activity, day), create=index == 0 and number == 0)
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
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | pa.Table, *, create: bool
) -> None:
    """Replace `table` with the frame (`create`), or append the frame to it.

    Through a relation, not a registered view: DuckDB keeps what is registered alive
    until the transaction ends.
    """
    rows = con.from_arrow(frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame)
    if create:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        rows.create(table)
    else:
        rows.insert_into(table)


def _replace_history(
    con: duckdb.DuckDBPyConnection, table: str, query: str, days: Sequence[date]
) -> None:
    """Replace the rows of `days` in the history `table` with the rows of `query`.

    The table is created on first use with the query's columns; one made by an earlier
    version (other columns, or `as_of` last) is first brought to them (see
    `_conform_history`), so its columns stay in the order the query gives.
    """
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS {query} LIMIT 0")
    _conform_history(con, table, _column_types(con, f"{query} LIMIT 0"))
    con.execute(f"DELETE FROM {table} WHERE list_contains(?, as_of)", [list(days)])
    con.execute(f"INSERT INTO {table} BY NAME {query}")


def _conform_history(
    con: duckdb.DuckDBPyConnection, table: str, wanted: Sequence[tuple[str, str]]
) -> None:
    """Rebuild `table` with the `wanted` (name, type) columns first, in order: kept
    rows keep their values, a column they lack is null, and a column no longer
    written stays after the others (history is never dropped)."""
    have = [name for name, _ in _column_types(con, f"SELECT * FROM {table} LIMIT 0")]
    names = [name for name, _ in wanted]
    if have[: len(names)] == names:
        return
    columns = [
        f'"{name}"' if name in have else f'CAST(NULL AS {kind}) AS "{name}"'
        for name, kind in wanted
    ] + [f'"{name}"' for name in have if name not in names]
    con.execute(f"CREATE TABLE _conformed AS SELECT {', '.join(columns)} FROM {table}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE _conformed RENAME TO {table}")


def _column_types(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column `query` returns."""
    relation = con.sql(query)
    return [(name, str(kind)) for name, kind in zip(relation.columns, relation.types, strict=True)]
