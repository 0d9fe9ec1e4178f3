"""On-demand backfill: the metrics as of a range of dates, kept as history.

The weekly run keeps only the current metric tables; this flow recomputes
`weekly_activity` and `manager_metrics` as of every `every_days` from `start` to `end`
from the raw observations already synced, into `weekly_activity_history` and
`manager_metrics_history` (one `as_of` per snapshot; rerunning replaces, never
duplicates). It syncs nothing. The same goes for `kpi_history` and
`org_rollups_history`. `backfill_new_install` is the weekly run's first-run step: when
the warehouse keeps no snapshot before the run's date, it backfills the weeks before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from core.errors import BadInputError
from flows.build import history_flow
from runtime.config import Config, load_config, today_in
from runtime.engine import flow, log, step
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
    With `[run] executor = "dask"` the partitions are computed on the Dask cluster
    (see `flows.build.history_flow`).
    """
    config = config or load_config(Path(config_path) if config_path else None)
    end = end or today_in(config.org.timezone)
    start = start or end - timedelta(weeks=DEFAULT_WEEKS)
    dates = as_of_dates(start, end, every_days)
    rows = step(history_flow(config), config, dates)
    log().info("backfilled %d as_of dates from %s to %s", len(rows), start, end)
    return rows


def new_install_dates(as_of: date, weeks: int, kept: Sequence[date]) -> list[date]:
    """as_of − 7·(weeks − 1), …, as_of − 14, as_of − 7 when `kept` (the dates already
    in the history) holds none before as_of; else nothing. With as_of's own snapshot
    (written by the build) that is `weeks` weekly points."""
    if any(day < as_of for day in kept):
        return []
    return [as_of - timedelta(weeks=n) for n in range(weeks - 1, 0, -1)]


@flow(name="backfill_new_install")
def backfill_new_install(config: Config, as_of: date) -> dict[date, int]:
    """On a warehouse with no history before `as_of`, backfill `run.history_weeks`
    − 1 weekly dates before it (the build adds as_of itself); weekly rows per date."""
    with warehouse_lock(config.warehouse.path), Warehouse(config.warehouse.path) as warehouse:
        kept = warehouse.snapshot_dates()
    dates = new_install_dates(as_of, config.run.history_weeks, kept)
    if not dates:
        return {}
    return step(backfill_history, start=dates[0], end=dates[-1], every_days=7, config=config)
