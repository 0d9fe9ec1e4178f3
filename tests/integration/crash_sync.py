"""`python crash_sync.py CONFIG WAREHOUSE AS_OF OBSERVED_AT`: one sync run, as a process.

Reads the configuration like the CLI does (`load_config`, `open_sources`) and stores
every calendar through `sync_world.sync_people`, printing each committed calendar, so
a test can kill it mid-run and rerun it.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

from sync_world import sync_people

from runtime.config import load_config
from runtime.resources import open_sources
from warehouse import Warehouse


def run(config_path: Path, warehouse_path: Path, as_of: date, observed_at: datetime) -> int:
    """Sync every calendar the configuration names; returns the calendars stored."""
    config = load_config(config_path)
    with open_sources(config, as_of) as sources, Warehouse(warehouse_path) as warehouse:
        return sync_people(
            sources.people,
            sources.calendars,
            warehouse,
            as_of,
            observed_at,
            lambda email: print(f"stored {email}", flush=True),
        )


if __name__ == "__main__":
    config, target, day, stamp = sys.argv[1:5]
    run(Path(config), Path(target), date.fromisoformat(day), datetime.fromisoformat(stamp))
