"""The figures from a manager's exported calendar are the figures from the API.

For a Google-hosted and a Microsoft-hosted manager of a generated sandbox org, the
manager's calendar is read twice: through the API connector (the service-account
GoogleCalendarSource / MicrosoftCalendarSource reading only that calendar, the same
data a signed-in manager reads of their own) and from the .ics file the sandbox
exports over HTTPS in the provider's style. Each goes into its own warehouse with the
same roster, both are built as of the same day, and every derived table is compared
over the 180-day window (which spans the autumn DST changes).

Columns that cannot be equal, and why:
- `occurrences.series_key` for Microsoft: Graph's seriesMasterId differs per mailbox
  and is not in an .ics file, which has the UID instead (the grouping is checked).
- Google's `occurrences.cancel_lead_hours`, `meeting_key` and `has_agenda` of cancelled
  instances, and the late counts derived from the lead (`pair_metrics.late_cancellations`,
  `cancelers.late`, `chronic_cancelers.late`): the Calendar API sends a cancelled
  instance of a series as a stub without its `updated` time, its Meet link or its
  description, while the export writes the cancelled exception in full, LAST-MODIFIED
  included. The file knows more: where the API knows a value the two agree, the file's
  extra values are on cancelled 1:1s only, and its extra lead times are the sandbox's
  own cancellation times. (`agenda_rate` counts held 1:1s only: it is equal.)
"""

from __future__ import annotations

import ssl
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest

from connectors.google.calendar import GoogleCalendarSource
from connectors.ics.source import IcsCalendarSource
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.model import CalendarBatch, Observation, Person, Provider
from connectors.roster import CsvRoster
from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.embedded import write_roster_csv
from connectors.sandbox.graph_render import visible_to
from connectors.sandbox.org import generate_org
from connectors.settings import SyncWindow
from warehouse import Warehouse
from warehouse.params import BuildContext
from warehouse.schema import DERIVED_TABLES

ANCHOR = date(2026, 11, 16)
MIDNIGHT = datetime.combine(ANCHOR, time(), tzinfo=UTC)
WINDOW = SyncWindow(MIDNIGHT - timedelta(days=180), MIDNIGHT + timedelta(days=28))
SYNCED_AT = MIDNIGHT + timedelta(hours=6)
CONTEXT = BuildContext(as_of=ANCHOR, history_start=ANCHOR - timedelta(days=180))
ONLY_IN_FILE = ("cancel_lead_hours", "meeting_key", "has_agenda")  # Google stubs lack them
LATE = {"pair_metrics": "late_cancellations", "cancelers": "late", "chronic_cancelers": "late"}


@dataclass
class Reading:
    """One manager's calendar read both ways, and the tables built from each."""

    manager: str
    api: CalendarBatch
    ics: CalendarBatch
    tables: tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    org = generate_org(seed=4, size=60, anchor=ANCHOR)
    with start_sandbox(tmp_path_factory.mktemp("ics-figures"), org=org) as served:
        yield served


@pytest.fixture(scope="module")
def people(sandbox: Sandbox) -> list[Person]:
    with tempfile.TemporaryDirectory() as folder:
        return CsvRoster(write_roster_csv(sandbox, Path(folder) / "roster.csv")).people()


def manager_of(provider: Provider, sandbox: Sandbox, people: list[Person]) -> str:
    """Google: the planted chronic canceler (many cancelled instances). Microsoft: of the
    managers whose calendar holds both a meeting its organizer cancelled (Outlook's
    "Canceled: " copy) and one they declined themselves (X-MICROSOFT-CDO-REPLYTIME), the
    one with the most reports."""
    reports: dict[str, int] = {}
    for person in people:
        if person.manager_email:
            reports[person.manager_email] = reports.get(person.manager_email, 0) + 1
    hosted = {p.email for p in people if p.provider == provider}
    if provider == "google":
        chronic = [e for e in sandbox.org.truth.chronic_cancelers if e in reports and e in hosted]
        assert chronic, "the seed should plant a Google-hosted chronic canceler manager"
        return chronic[0]
    both = [m for m in sorted(reports.keys() & hosted) if _cancelled_and_declined(sandbox, m)]
    assert both, "the seed should give a Microsoft manager cancelled and declined meetings"
    return max(both, key=lambda email: reports[email])


def _cancelled_and_declined(sandbox: Sandbox, manager: str) -> bool:
    calendar = [i for i in sandbox.org.calendar(manager) if visible_to(i, manager)]
    cancelled = any(i.cancelled and i.organizer != manager for i in calendar)
    mine = (a for i in calendar for a in i.attendees if a.email == manager)
    return cancelled and any(a.response == "declined" for a in mine)


@pytest.fixture(scope="module", params=["google", "microsoft"])
def reading(
    request: pytest.FixtureRequest, sandbox: Sandbox, people: list[Person], tmp_path_factory
) -> Reading:
    provider: Provider = request.param
    manager = manager_of(provider, sandbox, people)
    roster = frozenset(p.email for p in people)
    if provider == "google":
        api = GoogleCalendarSource(sandbox.google, sandbox.http, roster, WINDOW)
        api_batch = api.sync_calendar(manager, None)
    else:
        graph = MicrosoftCalendarSource(sandbox.microsoft, sandbox.http, roster, WINDOW)
        api_batch = graph.sync_calendar(manager, None)
        graph.close()
    trust = ssl.create_default_context(cafile=str(sandbox.http.ca_bundle))
    with httpx.Client(verify=trust, base_url=sandbox.server.root) as client:
        export = client.get(f"export/{manager}.ics")
    assert export.status_code == 200
    path = tmp_path_factory.mktemp("export") / f"{manager}.ics"
    path.write_bytes(export.content)
    ics = IcsCalendarSource(path, manager, roster, WINDOW)
    assert ics.provider == provider  # from the file's PRODID
    ics_batch = ics.sync_calendar(manager, None)
    tables = (built(people, api_batch), built(people, ics_batch))
    return Reading(manager, api_batch, ics_batch, tables)


def built(people: list[Person], batch: CalendarBatch) -> dict[str, pl.DataFrame]:
    """Every derived table of a warehouse holding the roster and this one calendar."""
    with Warehouse(":memory:") as warehouse:
        warehouse.snapshot_roster(people, ANCHOR)
        warehouse.store_calendar(batch, SYNCED_AT)
        warehouse.build(CONTEXT)
        return {name: warehouse.table(name) for name in DERIVED_TABLES}


def excused(provider: str, table: str) -> set[str]:
    """The columns of `table` that cannot be equal for `provider` (module docstring)."""
    if table == "occurrences":
        return {"series_key"} if provider == "microsoft" else set(ONLY_IN_FILE)
    return {LATE[table]} if provider == "google" and table in LATE else set()


def canonical(frame: pl.DataFrame, dropped: set[str]) -> pl.DataFrame:
    kept = frame.drop(sorted(dropped))
    return kept.sort(kept.columns, nulls_last=True)


def test_every_metric_table_is_the_same_from_the_file(reading: Reading) -> None:
    api, ics = reading.tables
    provider = reading.api.provider
    lines = api["pair_metrics"].filter(pl.col("manager_email") == reading.manager)
    assert lines.height >= 5 and set(lines["data"]) == {"partial"}
    assert lines["scheduled"].sum() > 50
    statuses = set(ics["occurrences"]["status"])
    assert {"held", "upcoming"} <= statuses and statuses & {"cancelled", "declined", "replaced"}
    if provider == "microsoft":  # Outlook's "Canceled: " copy and the owner's own decline
        copies = reading.ics.observations
        assert any(o.state == "cancelled" and o.organizer_email != reading.manager for o in copies)
        assert any(reading.manager in o.declined_by and o.response_at for o in copies)
    differing = [
        name
        for name in DERIVED_TABLES
        if not canonical(api[name], excused(provider, name)).equals(
            canonical(ics[name], excused(provider, name))
        )
    ]
    assert differing == []


def test_the_file_gives_the_apis_copies(reading: Reading) -> None:
    if reading.api.provider == "google":
        ics = {o.event_id: o for o in reading.ics.observations}
        assert ics.keys() == {o.event_id for o in reading.api.observations}  # the API's ids
        for copy in reading.api.observations:
            if copy.participants:  # not a stub: equal in every field
                assert ics[copy.event_id] == copy
            else:  # a stub: the file has the cancelled instance in full
                found = ics[copy.event_id]
                assert (found.state, found.original_start) == ("cancelled", copy.original_start)
                assert found.series_key == copy.series_key and found.participants
        return
    api = Counter(_no_ids(o) for o in reading.api.observations)
    assert Counter(_no_ids(o) for o in reading.ics.observations) == api
    # The same instances make up each series: the file's UIDs group as Graph's ids do.
    ics_series = {_no_ids(o): o.series_key for o in reading.ics.observations}
    pairs = {(o.series_key, ics_series[_no_ids(o)]) for o in reading.api.observations}
    assert len({a for a, _ in pairs}) == len({b for _, b in pairs}) == len(pairs)


def _no_ids(observation: Observation) -> Observation:
    return replace(observation, event_id="", series_key=None)


def test_what_only_the_file_knows_is_the_sandboxs_truth(reading: Reading, sandbox: Sandbox) -> None:
    api, ics = (t["occurrences"] for t in reading.tables)
    joined = api.join(ics, on="occurrence_id", suffix="_ics")
    for column in ONLY_IN_FILE:
        # What the API knows (a value; for the flag, True) the file says too.
        api_knows = pl.col(column).is_not_null() & (pl.col(column).cast(pl.String) != "false")
        known = joined.filter(api_knows)
        assert known[column].equals(known[f"{column}_ics"], check_names=False)
        extra = joined.filter(pl.col(column).ne_missing(pl.col(f"{column}_ics")))
        assert set(extra["status"]) <= {"cancelled", "replaced"}
    extra = joined.filter(
        pl.col("cancel_lead_hours").is_null() & pl.col("cancel_lead_hours_ics").is_not_null()
    )
    if reading.api.provider == "microsoft":
        assert extra.height == 0
        return
    assert extra.height > 0  # the chronic canceler's cancelled instances
    cancelled_at = {
        (i.organizer, i.original_start): i.cancelled_at
        for i in sandbox.org.calendar(reading.manager)
        if i.cancelled
    }
    for row in extra.iter_rows(named=True):
        slot = row["scheduled_start"]
        lead = slot - cancelled_at[(row["organizer_email"], slot)]
        assert row["cancel_lead_hours_ics"] == pytest.approx(lead / timedelta(hours=1))
    api_tables, ics_tables = reading.tables
    for table, column in LATE.items():
        both = api_tables[table].join(ics_tables[table], on=_keys(table), suffix="_ics")
        assert (both[f"{column}_ics"] >= both[column]).all()
    api_late, ics_late = (t["pair_metrics"]["late_cancellations"].sum() for t in reading.tables)
    assert ics_late > api_late  # the file sees late cancellations the API's stubs hide


def _keys(table: str) -> list[str]:
    return ["person_email"] if table != "pair_metrics" else ["manager_email", "report_email"]


def test_the_window_spans_a_dst_change_in_the_managers_series(reading: Reading) -> None:
    """A weekly series keeps its local hour, so its UTC hour moves: both sides agree."""
    hours = (
        reading.tables[1]["occurrences"]
        .filter(pl.col("recurring"), pl.col("organizer_email") == reading.manager)
        .group_by("series_key")
        .agg(pl.col("scheduled_start").dt.hour().n_unique().alias("hours"))
    )
    assert (hours["hours"] > 1).any()
