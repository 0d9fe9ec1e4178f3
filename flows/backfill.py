"""On-demand backfill: the metrics as of a range of dates, kept as history.

The weekly run keeps only the current metric tables; this flow recomputes
`weekly_activity` and `manager_metrics` as of every `every_days` from `start` to `end`
from the raw observations already synced, into `weekly_activity_history` and
`manager_metrics_history` (one `as_of` per snapshot; rerunning replaces, never
duplicates). It syncs nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from prefect import flow

from core.errors import BadInputError
from runtime.config import Config, load_config, today_in
from runtime.context import build_context
from runtime.engine import log
from runtime.lock import warehouse_lock
from warehouse import Warehouse

DEFAULT_WEEKS = 12
MAX_DATES = 520  # ten years of weeks: a typo in a date should not run for hours


def as_of_dates(start: date, end: date, every_days: int) -> list[date]:
    """start, start + every_days, … up to end inclusive (end itself always included)."""
    if every_days < 1:
        raise BadInputError(f"every_days must be at least 1, got {every_days}")
    if start > end:
        raise BadInputError(f"backfill start {start} is after end {end}")
    span = (end - start).days
    dates = [start + timedelta(days=n) for n in range(0, span + 1, every_days)]
    if dates[-1] != end:
        dates.append(end)
    if len(dates) > MAX_DATES:
        raise BadInputError(f"backfill of {len(dates)} dates; at most {MAX_DATES} at once")
    return dates


@flow(name="backfill_history")
def backfill_history(
    config_path: str | None = None,
    start: date | None = None,
    end: date | None = None,
    every_days: int = 7,
    config: Config | None = None,
) -> dict[date, int]:
    """Recompute metrics as of each date in [start, end] into the history tables.

    The deployment names the configuration file; the CLI passes the one it loaded.
    """
    config = config or load_config(Path(config_path) if config_path else None)
    end = end or today_in(config.org.timezone)
    start = start or end - timedelta(weeks=DEFAULT_WEEKS)
    contexts = [build_context(config, day) for day in as_of_dates(start, end, every_days)]
    with warehouse_lock(config.warehouse.path), Warehouse(config.warehouse.path) as warehouse:
        rows = warehouse.build_history(contexts, config.run.build_partitions)
    log().info("backfilled %d as_of dates from %s to %s", len(rows), start, end)
    return rows
