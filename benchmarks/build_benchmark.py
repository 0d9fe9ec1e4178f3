"""Time and peak memory of a warehouse build, the way `oneonone build` runs it.

N occurrences = N/100 manager–report pairs × 100 weekly 1:1s, seen on the organizer's
calendar (and, with --both, on the report's too), with cancellations (Google's as
stubs: id, series and original slot only), declines, moved instances, and every
calendar synced. Every pair's series has an online meeting; with --calls the
warehouse also holds the call records of every live instance: both people joined, but
in 5% of them only the manager (a no-show). The rows are generated column-wise with
Polars (no Python object per row) and inserted into a file warehouse chunk by chunk;
then a child process opens it and runs `Warehouse.build`, and this process prints the
build's seconds and the child's peak RSS.

Run: `uv run python benchmarks/build_benchmark.py --occurrences 10000000`
(`--calls` adds the call records; `--partitions N` forces a partition count;
`--warehouse FILE` keeps the generated warehouse, and reuses it when it exists;
`--executor dask` computes the partitions on a local Dask cluster started by the
build, as `oneonone build` does with `[run] executor = "dask"` and no `dask_address`:
the seconds include the cluster's start, and the workers' peak RSS is printed apart).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.db import Warehouse
from warehouse.frames import CALL_SCHEMA, RAW_SCHEMA, SNAPSHOT_SCHEMA
from warehouse.params import BuildContext, OrgCalendar

WEEKS, REPORTS_PER_MANAGER, PAIRS_PER_CHUNK = 100, 8, 10_000
FIRST = datetime(2028, 1, 3, 9, tzinfo=UTC)
AS_OF = date(2029, 12, 3)
SEEN = datetime(2029, 12, 1, tzinfo=UTC)
CONTEXT = BuildContext(as_of=AS_OF, org=OrgCalendar(timezone="Europe/Berlin"))


def synthetic_raw(first_pair: int, pairs: int, both_calendars: bool) -> pl.DataFrame:
    """The copies of pairs [first_pair, first_pair + pairs), in RAW_SCHEMA, column-wise."""
    grid = pl.DataFrame({"p": pl.int_range(first_pair, first_pair + pairs, eager=True)}).join(
        pl.DataFrame({"w": pl.int_range(WEEKS, eager=True)}), how="cross"
    )
    roll = (pl.col("p") * 7919 + pl.col("w") * 104729) % 100
    slot = pl.lit(FIRST) + pl.duration(weeks=pl.col("w"), hours=pl.col("p") % 8)
    google = pl.col("p") % 2 == 0
    stub = google & (roll < 5)  # Google sends a cancelled instance as a bare stub
    manager = pl.format("m{}@x.org", pl.col("p") // REPORTS_PER_MANAGER)
    report = pl.format("r{}@x.org", pl.col("p"))
    start = pl.when(roll == 7).then(slot + pl.duration(hours=3)).otherwise(slot)
    copies = grid.with_columns(
        manager=manager,
        report=report,
        slot=slot,
        start=pl.when(stub).then(None).otherwise(start),
        state=pl.when(roll < 5).then(pl.lit("cancelled")).otherwise(pl.lit("live")),
        declined=pl.when(roll.is_between(5, 7, "left")).then(report),
        stub=stub,
    ).select(
        provider=pl.when(google).then(pl.lit("google")).otherwise(pl.lit("microsoft")),
        calendar_email="manager",
        event_id=pl.format("e{}_{}", "p", "w"),
        series_key=pl.format("s{}", "p"),
        organizer_email=pl.when(~pl.col("stub")).then("manager"),
        participants=pl.when(pl.col("stub"))
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.concat_list("manager", "report").list.sort()),
        declined_by=pl.concat_list("declined").list.drop_nulls(),
        state="state",
        start="start",
        end=pl.col("start") + pl.duration(minutes=30),
        original_start="slot",
        recurring=pl.lit(True),
        has_agenda=(roll % 3 == 0) & ~pl.col("stub"),
        created_at=pl.lit(FIRST - timedelta(days=1)),
        updated_at=pl.when(roll < 5).then(pl.col("slot") - pl.duration(hours=roll * 5)),
        response_at=pl.lit(None, pl.Datetime("us", "UTC")),
        meeting_key=pl.format("k{}", "p"),
    )
    if both_calendars:
        copies = pl.concat([copies, copies.with_columns(calendar_email=pl.format(
            "r{}@x.org", pl.col("event_id").str.extract(r"^e(\d+)_")))])  # fmt: skip
    return copies.with_columns(
        first_seen_at=pl.lit(SEEN), last_seen_at=pl.lit(SEEN), live_seen_at=pl.lit(SEEN),
        cancel_seen_at=None, first_start="start",
    ).cast(RAW_SCHEMA)  # type: ignore[arg-type]  # fmt: skip


def synthetic_calls(raw: pl.DataFrame) -> pl.DataFrame:
    """The call records (CALL_SCHEMA) of the live copies in `raw`: both people from the
    start to the end, except in 5% of them, where the report never joined."""
    live = raw.filter(pl.col("state") == "live").unique("event_id")
    manager = live.select(
        provider="provider", call_id="event_id", meeting_key="meeting_key",
        email="organizer_email", joined_at="start", left_at="end",
    )  # fmt: skip
    report = live.filter(pl.col("event_id").hash(7) % 100 >= 5).select(
        provider="provider", call_id="event_id", meeting_key="meeting_key",
        email=pl.col("participants").list.set_difference(pl.concat_list("organizer_email"))
        .list.first(), joined_at="start", left_at="end",
    )  # fmt: skip
    return (
        pl.concat([manager, report])
        .with_columns(first_seen_at=pl.lit(SEEN))
        .cast(
            {**CALL_SCHEMA, "first_seen_at": pl.Datetime("us", "UTC")}  # type: ignore[dict-item]
        )
    )


def synthetic_snapshots(pairs: int) -> pl.DataFrame:
    """One roster snapshot: reports → managers → one head."""
    managers = -(-pairs // REPORTS_PER_MANAGER)
    reports = pl.DataFrame({"i": pl.int_range(pairs, eager=True)}).select(
        email=pl.format("r{}@x.org", "i"),
        manager_email=pl.format("m{}@x.org", pl.col("i") // REPORTS_PER_MANAGER),
    )
    bosses = pl.DataFrame({"i": pl.int_range(managers, eager=True)}).select(
        email=pl.format("m{}@x.org", "i"), manager_email=pl.lit("head@x.org")
    )
    return pl.concat([reports, bosses]).with_columns(
        taken_on=pl.lit(date(2027, 12, 1)), name=pl.col("email"), provider=pl.lit("google"),
        start_date=pl.lit(None, pl.Date), title=pl.lit(None, pl.String),
    ).select(list(SNAPSHOT_SCHEMA)).cast(SNAPSHOT_SCHEMA)  # type: ignore[arg-type]  # fmt: skip


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("_chunk", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _chunk")
    finally:
        con.unregister("_chunk")


def generate(path: Path, pairs: int, both_calendars: bool, calls: bool = False) -> None:
    """A file warehouse holding the synthetic raw rows, roster and sync state (and the
    call records, with `calls`)."""
    Warehouse(path).close()  # creates the file with every migration
    con = duckdb.connect(str(path))
    try:
        for first in range(0, pairs, PAIRS_PER_CHUNK):
            count = min(PAIRS_PER_CHUNK, pairs - first)
            raw = synthetic_raw(first, count, both_calendars)
            _insert(con, "raw_observations", raw)
            if calls:
                _insert(con, "raw_calls", synthetic_calls(raw))
        if calls:
            con.execute("INSERT INTO call_sync_state VALUES ('google', ?, ?, 'ok', NULL)",
                        [SEEN, SEEN])  # fmt: skip
            con.execute("INSERT INTO call_sync_state VALUES ('microsoft', ?, ?, 'ok', NULL)",
                        [SEEN, SEEN])  # fmt: skip
        snapshots = synthetic_snapshots(pairs)
        _insert(con, "roster_snapshots", snapshots)
        synced = snapshots.select(
            provider=pl.lit("google"), calendar_email="email", cursor=pl.lit("c"),
            last_full_sync=pl.lit(SEEN), last_sync=pl.lit(SEEN), status=pl.lit("ok"),
            error=pl.lit(None, pl.String), events=pl.lit(WEEKS, pl.Int64),
        )  # fmt: skip
        _insert(con, "sync_state", synced)
    finally:
        con.close()


def child_build(path: str, partitions: int | None, executor: str) -> None:
    """In the child: open the warehouse, build, print seconds, row counts and (with
    Dask) the largest worker's peak RSS as JSON."""
    mapper, workdir, workers = None, None, {}
    if executor == "dask":
        mapper = _dask_mapper(workers)
        workdir = Path(path).parent / "staging"
        workdir.mkdir(mode=0o700, exist_ok=True)
    with Warehouse(path) as wh:
        began = time.perf_counter()
        counts = wh.build(CONTEXT, partitions, mapper, workdir)
        seconds = time.perf_counter() - began
        by_attendance = wh.table("occurrences").group_by("attendance").len().sort("attendance")
        attendance = dict(by_attendance.iter_rows())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest = max(workers.values(), default=0.0)
    result = {"seconds": seconds, "counts": counts, "peak_mib": own, "workers_peak_mib": largest,
              "attendance": attendance}  # fmt: skip
    print(json.dumps(result))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dask_mapper(peaks: dict[str, float]) -> Any:
    """The build's mapper on a local cluster, as `runtime.dask.dask_map` runs it (a
    cluster started for the build, one thread per worker process), which also notes
    each worker's peak RSS in `peaks` before the cluster stops."""
    from distributed import as_completed

    from flows.build import BUILD_THREADS
    from runtime.config import RunConfig
    from runtime.dask import dask_client

    def mapper(fn: Any, calls: Any) -> Any:
        with dask_client(RunConfig(executor="dask"), BUILD_THREADS) as client:
            futures = [client.submit(fn, *args, pure=False) for args in calls]
            for future in as_completed(futures):
                yield future.result()
            peaks.update(client.run(_peak_mib))

    return mapper


def run_build(path: Path, partitions: int | None, executor: str) -> tuple[dict[str, object], float]:
    """Build in a child process; its printed result and its peak RSS in MiB (the
    largest of it and its own children: the Dask workers)."""
    command = [sys.executable, __file__, "--child-build", str(path), "--executor", executor]
    if partitions is not None:
        command += ["--partitions", str(partitions)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return json.loads(done.stdout.strip().splitlines()[-1]), peak


def main() -> None:
    """Generate (or reuse) the warehouse, build it in a child, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--occurrences", type=int, default=1_000_000)
    parser.add_argument("--both", action="store_true", help="copies on both calendars")
    parser.add_argument("--calls", action="store_true", help="call records of every instance")
    parser.add_argument("--partitions", type=int, help="force a partition count")
    parser.add_argument("--warehouse", type=Path, help="keep (or reuse) the warehouse here")
    parser.add_argument("--executor", choices=("threads", "dask"), default="threads")
    parser.add_argument("--child-build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        child_build(args.child_build, args.partitions, args.executor)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.warehouse or Path(tmp) / "bench.duckdb"
        if not path.exists():
            began = time.perf_counter()
            generate(path, args.occurrences // WEEKS, args.both, args.calls)
            print(f"generated {path} in {time.perf_counter() - began:.1f} s")
        result, peak = run_build(path, args.partitions, args.executor)
    counts = result["counts"]
    assert isinstance(counts, dict)
    versions = f"Python {platform.python_version()}, polars {pl.__version__}"
    print(f"machine: {platform.machine()}, {versions}, duckdb {duckdb.__version__}")
    print(f"occurrences: {counts['occurrences']:,}  pair_metrics: {counts['pair_metrics']:,}")
    print(f"build seconds: {result['seconds']:.1f}")
    attendance = result.get("attendance")
    if attendance:
        print(f"occurrences by attendance: {attendance}")
    if args.executor == "dask":
        print(f"executor: dask (local cluster), partitions: {args.partitions or 'default'}")
        print(f"peak RSS of the build process: {result['peak_mib']:,.0f} MiB")
        print(f"peak RSS of the largest Dask worker: {result['workers_peak_mib']:,.0f} MiB")
    else:
        print(f"peak RSS of the build process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
