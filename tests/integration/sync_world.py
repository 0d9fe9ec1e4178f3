"""A running sandbox org, the real connectors reaching it, and the flow's sync steps.

`sync_once` does what `flows.pipeline.sync_calendars` does for one run, through the
same public pieces (`plan_jobs`, the sources' `sync_calendar`/`sync_many`,
staging and `StagedWriter`), minus Prefect and its rate limiting: a fixed
`observed_at` keeps runs comparable and fast.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from connectors.google.calendar import GoogleCalendarSource
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.model import BatchingSource, CalendarBatch, CalendarSource, Person, Provider
from connectors.roster import CsvRoster
from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.embedded import write_roster_csv
from connectors.sandbox.model import SandboxOrg
from connectors.settings import SyncWindow
from core.errors import CursorExpiredError
from flows.pipeline import SyncJob, plan_jobs
from warehouse import Warehouse
from warehouse.params import BuildContext
from warehouse.schema import DERIVED_TABLES, STORED_TABLES
from warehouse.staging import stage, staging_directory
from warehouse.writer import StagedWriter

HISTORY_DAYS = 180
HORIZON_DAYS = 28
# Columns that record when a run happened, not what it found (every sync hands out a
# fresh cursor, changes or not).
VOLATILE = {
    "runs": None,
    "schema_migrations": ("applied_at",),
    "sync_state": ("last_sync", "cursor"),
}


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
    """The flow's full-sync window around `anchor` (runtime.resources.sync_window)."""
    midnight = datetime.combine(anchor, time(), tzinfo=UTC)
    return SyncWindow(
        midnight - timedelta(days=HISTORY_DAYS), midnight + timedelta(days=HORIZON_DAYS)
    )


def read_roster(sandbox: Sandbox) -> list[Person]:
    """The roster as the flow reads it in sandbox mode: the sandbox's CSV roster."""
    with tempfile.TemporaryDirectory() as folder:
        return CsvRoster(write_roster_csv(sandbox, Path(folder) / "roster.csv")).people()


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
    """One sync run over the world's sources (see `sync_people`)."""
    people = read_roster(world.sandbox)
    return sync_people(people, world.sources, warehouse, taken_on, observed_at)


def sync_people(
    people: list[Person],
    sources: Mapping[Provider, CalendarSource],
    warehouse: Warehouse,
    taken_on: date,
    observed_at: datetime,
    progress: Callable[[str], None] = lambda email: None,
) -> int:
    """One sync run as the flow does it: staged calendars a killed run left merged
    first, roster snapshot, every calendar (incremental where a cursor is stored), each
    job's batches staged, and the writer merging them in bulk with their cursors.
    Returns the calendars stored."""
    writer = StagedWriter(warehouse, staging_directory(staging_of(warehouse)))
    writer.merge_leftovers()
    warehouse.snapshot_roster(people, taken_on)
    cursors = {p.email: warehouse.cursor_for(p.provider, p.email) for p in people}
    batching = {name for name, source in sources.items() if isinstance(source, BatchingSource)}
    stored = 0
    for job in plan_jobs(people, cursors, batching):
        batches = run_job(sources[job.provider], job)
        writer.add(stage(writer.directory, batches, observed_at))
        for batch in batches:
            progress(batch.calendar_email)
        stored += len(batches)
    writer.finish()
    return stored


def staging_of(warehouse: Warehouse) -> Path:
    """Where a run stages its batches by default: beside the warehouse file (an
    in-memory warehouse's in the temporary folder, not the working directory)."""
    if warehouse.path == ":memory:":
        return Path(tempfile.gettempdir()) / f"oneonone-memory-{id(warehouse)}.staging"
    return Path(warehouse.path + ".staging")


def run_job(source: CalendarSource, job: SyncJob) -> list[CalendarBatch]:
    """What the flow's sync task does with a job (an expired cursor resyncs in full);
    any calendar failing fails the test, as the sandbox serves every calendar."""
    if job.batched and isinstance(source, BatchingSource):
        results = source.sync_many(job.calendars)
    else:
        results = [_one(source, email, cursor) for email, cursor in job.calendars]
    for result in results:
        assert isinstance(result, CalendarBatch), f"calendar failed: {result!r}"
    return results


def _one(source: CalendarSource, email: str, cursor: str | None) -> CalendarBatch:
    try:
        return source.sync_calendar(email, cursor)
    except CursorExpiredError:
        return source.sync_calendar(email, None)


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
