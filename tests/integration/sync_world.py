"""A running sandbox org, the real connectors reaching it, and the flow's sync steps.

`sync_once` does what `flows.pipeline.sync_calendars` does for one run, through the
same public pieces (`plan_jobs`, `sync_job.fn`, `Warehouse.store_calendar`), minus
Prefect: a fixed `observed_at` keeps runs comparable and fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from connectors.google.calendar import GoogleCalendarSource
from connectors.google.directory import GoogleDirectoryRoster
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.microsoft.directory import MicrosoftDirectoryRoster
from connectors.model import CalendarBatch, CalendarSource, Person, Provider
from connectors.roster import merge_rosters
from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.model import SandboxOrg
from connectors.settings import SyncWindow
from flows.pipeline import plan_jobs, sync_job
from warehouse import Warehouse
from warehouse.params import BuildContext
from warehouse.schema import DERIVED_TABLES, STORED_TABLES

HISTORY_DAYS = 180
HORIZON_DAYS = 28
# Columns that record when a run happened, not what it found.
VOLATILE = {"runs": None, "schema_migrations": ("applied_at",), "sync_state": ("last_sync",)}


@dataclass
class World:
    """A served org and one calendar source per provider, windowed around `anchor`."""

    sandbox: Sandbox
    anchor: date
    sources: dict[Provider, CalendarSource]

    @property
    def org(self) -> SandboxOrg:
        return self.sandbox.org


def window(anchor: date) -> SyncWindow:
    """The flow's full-sync window around `anchor` (flows.resources.sync_window)."""
    midnight = datetime.combine(anchor, time(), tzinfo=UTC)
    return SyncWindow(
        midnight - timedelta(days=HISTORY_DAYS), midnight + timedelta(days=HORIZON_DAYS)
    )


def read_roster(sandbox: Sandbox) -> list[Person]:
    """The roster as the flow reads it: both sandbox directories, merged."""
    with closing(MicrosoftDirectoryRoster(sandbox.microsoft, sandbox.http)) as directory:
        microsoft = directory.people()
    google = GoogleDirectoryRoster(sandbox.google, sandbox.http).people()
    return merge_rosters(google, microsoft, source="sandbox directories")


@contextmanager
def open_world(state_dir: Path, org: SandboxOrg) -> Iterator[World]:
    """Serve `org` and open both calendar sources on it; everything closes on exit."""
    with ExitStack() as stack:
        sandbox = stack.enter_context(start_sandbox(state_dir, org=org))
        roster = frozenset(p.email for p in read_roster(sandbox))
        span = window(org.anchor)
        google = GoogleCalendarSource(sandbox.google, sandbox.http, roster, span)
        microsoft = MicrosoftCalendarSource(sandbox.microsoft, sandbox.http, roster, span)
        stack.callback(microsoft.close)
        yield World(sandbox, org.anchor, {"google": google, "microsoft": microsoft})


def sync_once(world: World, warehouse: Warehouse, taken_on: date, observed_at: datetime) -> int:
    """One sync run: roster snapshot, every calendar (incremental where a cursor is
    stored), each batch stored with its cursor. Returns the calendars stored."""
    people = read_roster(world.sandbox)
    warehouse.snapshot_roster(people, taken_on)
    cursors = {p.email: warehouse.cursor_for(p.provider, p.email) for p in people}
    batching = {name for name, source in world.sources.items() if hasattr(source, "sync_many")}
    stored = 0
    for job in plan_jobs(people, cursors, batching):
        for outcome in sync_job.fn(world.sources[job.provider], job):
            assert isinstance(outcome, CalendarBatch), f"calendar failed: {outcome}"
            warehouse.store_calendar(outcome, observed_at)
            stored += 1
    return stored


def build_context(as_of: date) -> BuildContext:
    """Default metrics as of `as_of`, history reaching as far back as the sync window."""
    return BuildContext(as_of=as_of, history_start=as_of - timedelta(days=HISTORY_DAYS))


def all_tables(warehouse: Warehouse) -> dict[str, pl.DataFrame]:
    """Every warehouse table, rows in a canonical order, without run-time stamps."""
    found: dict[str, pl.DataFrame] = {}
    for name in STORED_TABLES + DERIVED_TABLES:
        if name not in VOLATILE or VOLATILE[name] is not None:
            frame = warehouse.table(name).drop(VOLATILE.get(name) or ())
            found[name] = frame.sort(frame.columns, nulls_last=True)
    return found


def differing_tables(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> list[str]:
    """Names of the tables whose contents differ between two `all_tables` results."""
    names = sorted(left.keys() | right.keys())
    return [n for n in names if n not in left or n not in right or not left[n].equals(right[n])]
