"""One-off 1:1s cancelled before the first sync, through the real clients and a warehouse.

Google cancels a one-off by deleting it: the organizer's calendar keeps the deleted
event with its data and `updated`, an attendee's only its id. Graph keeps an
organizer-cancelled meeting on the attendee's calendar with `isCancelled`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from sync_world import build_context, open_world, sync_once

from connectors.sandbox.model import Attendee, Instance, Member, SandboxOrg, Truth
from warehouse import Warehouse

ANCHOR = date(2026, 11, 16)
SYNCED_AT = datetime.combine(ANCHOR, time(6), tzinfo=UTC)
BOSS, MIA, MAX, KIM = (f"{n}@example.com" for n in ("boss", "mia", "max", "kim"))
HIRED = date(2024, 1, 8)
# Slots of the one-offs (UTC), each on its own day, all before the anchor.
LATE, EARLY, LOST, REBOOKED, STUB_ONLY, GRAPH = (
    datetime(2026, 10, day, 15, tzinfo=UTC) for day in (1, 4, 12, 14, 19, 21)
)


def one_off(uid: str, start: datetime, organizer: str, guest: str, **fields: object) -> Instance:
    created = start - timedelta(days=10)
    values: dict[str, object] = {
        "uid": uid,
        "series_id": None,
        "organizer": organizer,
        "attendees": [Attendee(guest)],
        "start": start,
        "end": start + timedelta(minutes=30),
        "original_start": start,
        "timezone": "Europe/Berlin",
        "created_at": created,
        "updated_at": created,
    }
    return Instance(**(values | fields))  # type: ignore[arg-type]


def deleted(uid: str, start: datetime, hours_ahead: float, organizer: str = BOSS) -> Instance:
    at = start - timedelta(hours=hours_ahead)
    return one_off(uid, start, organizer, MIA, deleted=True, cancelled_at=at, updated_at=at)


def build_org() -> SandboxOrg:
    people = [
        Member(BOSS, "Bo Boss", None, "google", "Europe/Berlin", HIRED),
        Member(MIA, "Mia Lane", BOSS, "google", "Europe/Berlin", HIRED),
        Member(MAX, "Max Roe", BOSS, "microsoft", "Europe/London", HIRED),
        Member(KIM, "Kim Ode", MAX, "microsoft", "Europe/London", HIRED),
    ]
    graph_cancelled_at = GRAPH - timedelta(hours=5)
    instances = [
        deleted("late", LATE, hours_ahead=10),
        deleted("early", EARLY, hours_ahead=48),
        deleted("lost", LOST, hours_ahead=72),
        one_off("rebooked", REBOOKED, BOSS, MIA, created_at=LOST - timedelta(hours=72)),
        deleted("stub-only", STUB_ONLY, hours_ahead=30, organizer=MAX),
        one_off(
            "graph",
            GRAPH,
            MAX,
            KIM,
            cancelled=True,
            cancelled_at=graph_cancelled_at,
            updated_at=graph_cancelled_at,
        ),
    ]
    return SandboxOrg(people, instances, Truth(), ANCHOR, ANCHOR - timedelta(days=150))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("deleted-one-offs")
    path = root / "w.duckdb"
    with open_world(root / "sandbox", build_org()) as world, Warehouse(path) as wh:
        sync_once(world, wh, ANCHOR, SYNCED_AT)
        wh.build(build_context(ANCHOR))
    yield path


def occurrence(path: Path, slot: datetime) -> dict[str, object]:
    with Warehouse(path, read_only=True) as wh:
        rows = wh.table("occurrences").filter(pl.col("scheduled_start") == slot)
    assert rows.height == 1, f"{rows.height} occurrences at {slot}"
    return rows.row(0, named=True)


@pytest.mark.parametrize(
    ("slot", "lead", "late"), [(LATE, 10.0, True), (EARLY, 48.0, False)], ids=["late", "early"]
)
def test_one_off_deleted_before_the_first_sync_is_cancelled_by_its_organizer(
    warehouse: Path, slot: datetime, lead: float, late: bool
) -> None:
    row = occurrence(warehouse, slot)
    assert (row["status"], row["canceled_by"], row["organizer_email"]) == ("cancelled", BOSS, BOSS)
    assert row["cancel_lead_hours"] == lead and not row["recurring"]
    assert (row["cancel_lead_hours"] < 24) == late


def test_deleted_one_offs_count_in_the_pair_and_the_organizers_initiated_rate(
    warehouse: Path,
) -> None:
    with Warehouse(warehouse, read_only=True) as wh:
        pair = wh.table("pair_metrics").filter(pl.col("report_email") == MIA).row(0, named=True)
        boss = wh.table("cancelers").filter(pl.col("person_email") == BOSS).row(0, named=True)
    assert (pair["cancelled"], pair["late_cancellations"], pair["held"]) == (2, 1, 1)
    assert (boss["initiated"], boss["late"]) == (2, 1)


def test_deleted_one_off_rebooked_two_days_later_is_replaced_and_its_rebooking_rescheduled(
    warehouse: Path,
) -> None:
    lost, rebooked = occurrence(warehouse, LOST), occurrence(warehouse, REBOOKED)
    assert (lost["status"], lost["canceled_by"]) == ("replaced", BOSS)
    assert (rebooked["status"], rebooked["rescheduled"]) == ("held", True)


def test_deleted_one_off_seen_only_as_a_bare_id_is_ignored(warehouse: Path) -> None:
    with Warehouse(warehouse, read_only=True) as wh:
        slots = wh.table("occurrences")["scheduled_start"].to_list()
        failed = wh.table("sync_state").filter(pl.col("status") != "ok").height
    assert STUB_ONLY not in slots and failed == 0


def test_graph_single_instance_arriving_cancelled_is_cancelled_at_its_modified_time(
    warehouse: Path,
) -> None:
    row = occurrence(warehouse, GRAPH)
    assert (row["status"], row["canceled_by"], row["cancel_lead_hours"]) == ("cancelled", MAX, 5.0)


def test_explain_shows_the_deleted_one_off_with_its_organizer_and_lead_time(
    warehouse: Path,
) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    env = {"ONEONONE_WAREHOUSE__PATH": str(warehouse), "COLUMNS": "200"}
    result = CliRunner(env=env).invoke(app, ["explain", MIA, "--as-of", ANCHOR.isoformat()])
    assert result.exit_code == 0, result.output
    # Words compared, not line breaks: the console's width is fixed when `cli.app` is
    # first imported, which another test of the same process may have done.
    text = " ".join(result.stdout.split())
    for expected in (
        f"{LATE.date()} cancelled by {BOSS}, lead 10.0 h, one-off, 30 min, via google",
        "phase = maintain: the line predates the synced history",
        "expected_in_window = calendar days of the window on the line / 14",
    ):
        assert expected in text, result.stdout
