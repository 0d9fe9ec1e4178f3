"""Importing a newer export of the same calendar into a real warehouse: cancellations
and removals are seen at the second import's time, nothing silently vanishes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from ics_kit import ANA, BEN, CAT, google_file, source, utc, write

from connectors.model import CalendarBatch, Person
from connectors.settings import SyncWindow
from core.errors import CursorExpiredError
from warehouse import Warehouse
from warehouse.params import BuildContext

PEOPLE = [
    Person(ANA, "Ana", None, "google"),
    Person(BEN, "Ben", ANA, "google"),
    Person(CAT, "Cat", ANA, "google"),
]
INVITE = f"ORGANIZER:mailto:{ANA}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{BEN}"
SERIES = f"""DTSTART;TZID=Europe/Berlin:20250303T100000
DTEND;TZID=Europe/Berlin:20250303T103000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6
UID:s1@google.com
{INVITE}
CREATED:20250220T090000Z
LAST-MODIFIED:20250220T090000Z
STATUS:CONFIRMED"""
ONE_OFF = f"""DTSTART:20250320T150000Z
DTEND:20250320T153000Z
UID:o1@google.com
{INVITE}
CREATED:20250220T090000Z
LAST-MODIFIED:20250220T090000Z
STATUS:CONFIRMED"""
# The newer export: the 17 March instance cancelled (an exporter that writes no
# LAST-MODIFIED on it), 24 March turned into an EXDATE, the one-off deleted.
CANCELLED = f"""DTSTART;TZID=Europe/Berlin:20250317T100000
DTEND;TZID=Europe/Berlin:20250317T103000
RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000
UID:s1@google.com
{INVITE}
STATUS:CANCELLED"""
EXDATE = "EXDATE;TZID=Europe/Berlin:20250324T100000\nUID:s1@google.com"
# A later export again: 10 March moved to 1 March, out of a window that moved on.
MOVED = f"""DTSTART;TZID=Europe/Berlin:20250301T100000
DTEND;TZID=Europe/Berlin:20250301T103000
RECURRENCE-ID;TZID=Europe/Berlin:20250310T100000
UID:s1@google.com
{INVITE}
LAST-MODIFIED:20250228T090000Z
STATUS:CONFIRMED"""

FIRST, SECOND, THIRD = utc(2025, 3, 1, 6), utc(2025, 3, 12, 6), utc(2025, 3, 14, 6)
WINDOW = SyncWindow(utc(2025, 1, 1), utc(2025, 6, 30))
LATER = SyncWindow(utc(2025, 3, 5), utc(2025, 6, 30))
AS_OF = date(2025, 4, 15)


def import_into(
    warehouse: Warehouse, path: Path, at: datetime, window: SyncWindow = WINDOW
) -> CalendarBatch:
    """What an import does: read the file against the stored cursor, store its batch."""
    calendar = source(path, window=window)
    batch = calendar.sync_calendar(ANA, warehouse.cursor_for(calendar.provider, ANA))
    warehouse.store_calendar(batch, at)
    return batch


def raw(warehouse: Warehouse) -> dict[str, dict[str, object]]:
    rows = warehouse.table("raw_observations").iter_rows(named=True)
    return {row["event_id"]: row for row in rows}


def occurrence(warehouse: Warehouse, slot: datetime) -> dict[str, object]:
    found = warehouse.table("occurrences").filter(pl.col("scheduled_start") == slot)
    assert found.height == 1
    return found.row(0, named=True)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "oneonone.duckdb") as store:
        store.snapshot_roster(PEOPLE, FIRST.date())
        yield store


def test_a_newer_export_cancels_and_removes_at_the_second_import(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    first = import_into(warehouse, write(tmp_path, google_file(SERIES, ONE_OFF), "v1.ics"), FIRST)
    assert first.full and not first.removed_ids and len(first.observations) == 7
    newer = google_file(SERIES.replace("UID:s1@google.com", EXDATE), CANCELLED)
    second = import_into(warehouse, write(tmp_path, newer, "v2.ics"), SECOND)
    assert not second.full
    assert sorted(second.removed_ids) == ["o1", "s1_20250324T090000Z"]
    stored = raw(warehouse)
    cancelled = stored["s1_20250317T090000Z"]
    assert (cancelled["state"], cancelled["live_seen_at"]) == ("cancelled", FIRST)
    assert cancelled["cancel_seen_at"] == SECOND
    for gone in ("s1_20250324T090000Z", "o1"):
        assert stored[gone]["state"] == "removed"
        assert stored[gone]["cancel_seen_at"] == stored[gone]["last_seen_at"] == SECOND
    assert {k for k, row in stored.items() if row["state"] == "live"} == {
        f"s1_2025{slot}"
        for slot in ("0303T090000Z", "0310T090000Z", "0331T080000Z", "0407T080000Z")
    }

    warehouse.build(BuildContext(as_of=AS_OF, history_start=date(2025, 1, 1)))
    for slot in (utc(2025, 3, 17, 9), utc(2025, 3, 24, 9), utc(2025, 3, 20, 15)):
        row = occurrence(warehouse, slot)
        assert (row["status"], row["canceled_by"]) == ("cancelled", ANA)
        # No time in the file: the import that first saw it gone dates it.
        assert row["cancel_lead_hours"] == (slot - SECOND) / timedelta(hours=1)
    assert occurrence(warehouse, utc(2025, 3, 31, 8))["status"] == "held"


def test_importing_the_same_export_again_changes_nothing(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    path = write(tmp_path, google_file(SERIES, ONE_OFF))
    import_into(warehouse, path, FIRST)
    before = warehouse.table("raw_observations").drop("last_seen_at", "live_seen_at")
    again = import_into(warehouse, path, SECOND)
    assert not again.removed_ids and not again.full
    after = warehouse.table("raw_observations").drop("last_seen_at", "live_seen_at")
    assert after.sort("event_id").equals(before.sort("event_id"))


def test_copies_that_left_the_moving_window_are_not_removed(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    import_into(warehouse, write(tmp_path, google_file(SERIES), "v1.ics"), FIRST)
    later = import_into(
        warehouse, write(tmp_path, google_file(SERIES, MOVED), "v2.ics"), THIRD, LATER
    )
    assert later.removed_ids == ()
    stored = raw(warehouse)
    assert stored["s1_20250303T090000Z"]["state"] == "live"  # out of the window now
    moved = stored["s1_20250310T090000Z"]  # moved out of it, still in the file
    assert (moved["state"], moved["start"]) == ("live", utc(2025, 3, 1, 9))


def test_a_cursor_of_another_source_asks_for_a_full_import(tmp_path: Path) -> None:
    calendar = source(write(tmp_path, google_file(SERIES)))
    with pytest.raises(CursorExpiredError):
        calendar.sync_calendar(ANA, "CPDAlvWDx8wCEPDAlvWDx8wCGAU=")  # a Google sync token
    with pytest.raises(CursorExpiredError):
        calendar.sync_calendar(ANA, "ics1:not-base64-zlib")
