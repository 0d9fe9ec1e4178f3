"""Time and peak memory of the transforms: 1,000,000 occurrences → every metric table.

10,000 manager–report pairs × 100 weekly 1:1s, seen on the organizer's calendar (and,
with --both, on the report's too), with cancellations, declines, moved instances and
rebooked one-offs. Run: `uv run python benchmarks/build_benchmark.py [--both]`.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import UTC, date, datetime, timedelta

import polars as pl

from warehouse.build import compute
from warehouse.frames import RAW_SCHEMA, SNAPSHOT_SCHEMA
from warehouse.params import BuildContext, OrgCalendar

PAIRS, WEEKS, REPORTS_PER_MANAGER = 10_000, 100, 8
FIRST = datetime(2028, 1, 3, 9, tzinfo=UTC)
AS_OF = date(2029, 12, 3)


def synthetic_raw(both_calendars: bool) -> pl.DataFrame:
    """One row per copy, in RAW_SCHEMA, built column-wise (no per-row Python)."""
    grid = pl.DataFrame({"p": pl.int_range(PAIRS, eager=True)}).join(
        pl.DataFrame({"w": pl.int_range(WEEKS, eager=True)}), how="cross"
    )
    roll = (pl.col("p") * 7919 + pl.col("w") * 104729) % 100
    slot = pl.lit(FIRST) + pl.duration(weeks=pl.col("w"), hours=pl.col("p") % 8)
    manager = pl.format("m{}@x.org", pl.col("p") // REPORTS_PER_MANAGER)
    report = pl.format("r{}@x.org", pl.col("p"))
    copies = grid.with_columns(
        manager=manager,
        report=report,
        slot=slot,
        start=pl.when(roll == 7).then(slot + pl.duration(hours=3)).otherwise(slot),
        state=pl.when(roll < 5).then(pl.lit("cancelled")).otherwise(pl.lit("live")),
        declined=pl.when(roll.is_between(5, 7, "left")).then(report),
    ).select(
        provider=pl.when(pl.col("p") % 2 == 0)
        .then(pl.lit("google"))
        .otherwise(pl.lit("microsoft")),
        calendar_email="manager",
        event_id=pl.format("e{}_{}", "p", "w"),
        series_key=pl.format("s{}", "p"),
        organizer_email="manager",
        participants=pl.concat_list("manager", "report").list.sort(),
        declined_by=pl.concat_list("declined").list.drop_nulls(),
        state="state",
        start="start",
        end=pl.col("start") + pl.duration(minutes=30),
        original_start="slot",
        recurring=pl.lit(True),
        has_agenda=(roll % 3 == 0),
        created_at=pl.lit(FIRST - timedelta(days=1)),
        updated_at=pl.when(roll < 5).then(pl.col("slot") - pl.duration(hours=roll * 5)),
        response_at=pl.lit(None, pl.Datetime("us", "UTC")),
    )
    if both_calendars:
        copies = pl.concat([copies, copies.with_columns(
            calendar_email=pl.col("participants").list.get(1))])  # fmt: skip
    seen = pl.lit(datetime(2029, 12, 1, tzinfo=UTC))
    return copies.with_columns(
        first_seen_at=seen, last_seen_at=seen, live_seen_at=seen, cancel_seen_at=None,
        first_start="start",
    ).cast(RAW_SCHEMA)  # type: ignore[arg-type]  # fmt: skip


def synthetic_snapshots() -> pl.DataFrame:
    """One roster snapshot: reports → managers → one head."""
    managers = PAIRS // REPORTS_PER_MANAGER
    reports = pl.DataFrame({"i": pl.int_range(PAIRS, eager=True)}).select(
        email=pl.format("r{}@x.org", "i"),
        manager_email=pl.format("m{}@x.org", pl.col("i") // REPORTS_PER_MANAGER),
    )
    bosses = pl.DataFrame({"i": pl.int_range(managers, eager=True)}).select(
        email=pl.format("m{}@x.org", "i"), manager_email=pl.lit("head@x.org")
    )
    return pl.concat([reports, bosses]).with_columns(
        taken_on=pl.lit(date(2027, 12, 1)), name=pl.col("email"), provider=pl.lit("google"),
        start_date=pl.lit(None, pl.Date),
    ).select(list(SNAPSHOT_SCHEMA)).cast(SNAPSHOT_SCHEMA)  # type: ignore[arg-type]  # fmt: skip


def main() -> None:
    """Generate, transform, print seconds and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--both", action="store_true", help="copies on both calendars")
    args = parser.parse_args()
    raw, snapshots = synthetic_raw(args.both), synthetic_snapshots()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ctx = BuildContext(as_of=AS_OF, org=OrgCalendar(timezone="Europe/Berlin"))
    began = time.perf_counter()
    frames = compute(raw, snapshots, ctx)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"copies: {raw.height:,}  occurrences: {frames['occurrences'].height:,}")
    print({name: frame.height for name, frame in frames.items()})
    print(f"transform seconds: {seconds:.2f}")
    print(f"peak RSS: {peak:,.0f} MiB (after generating inputs: {before:,.0f} MiB)")


if __name__ == "__main__":
    main()
