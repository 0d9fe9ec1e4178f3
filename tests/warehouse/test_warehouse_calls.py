"""Call evidence on a real DuckDB: storing call batches (idempotent, late records added
once, read_until committed with the rows), migration 5 from a version 4 file, staged
files of the earlier format, and meeting keys through the merge."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from wh_factory import SYNC, M, R, at, batch, obs, stub

from connectors.model import CallBatch, CallPresence, Provider
from core.errors import BadInputError
from warehouse.db import Warehouse
from warehouse.schema import MIGRATIONS
from warehouse.staging import batch_rows, calendars_table, staging_directory, write_staged

D0 = date(2029, 11, 5)
K = "0f3c9a"  # a meeting key (a digest in real use)
FIRST, SECOND = datetime(2029, 11, 6, 6, tzinfo=UTC), datetime(2029, 11, 7, 6, tzinfo=UTC)


def here(
    email: str,
    joined: datetime,
    minutes: int = 30,
    call: str = "call-1",
    key: str | None = K,
    provider: Provider = "google",
) -> CallPresence:
    return CallPresence(provider, call, key, email, joined, joined + timedelta(minutes=minutes))


def calls_batch(
    *presences: CallPresence, since: datetime, until: datetime, provider: Provider = "google"
) -> CallBatch:
    return CallBatch(provider, presences, since, until)


def _tables(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {
        name: wh.table(name).sort(pl.all(), nulls_last=True)
        for name in ("raw_calls", "call_sync_state")
    }


def test_storing_the_same_window_twice_changes_nothing() -> None:
    wh = Warehouse(":memory:")
    read = calls_batch(here(M, at(D0)), here(R, at(D0, 10, 3)), since=at(D0, 0), until=FIRST)
    assert wh.store_calls(read, FIRST) == 2
    before = _tables(wh)
    assert wh.store_calls(read, FIRST) == 0
    assert all(frame.equals(before[name]) for name, frame in _tables(wh).items())
    assert wh.store_calls(read, SECOND) == 0  # read again a day later
    assert wh.table("raw_calls").equals(before["raw_calls"])
    assert wh.calls_read_until("google") == FIRST


def test_a_late_record_in_the_next_overlapping_window_is_added_once() -> None:
    wh = Warehouse(":memory:")
    organizer = here(M, at(D0))
    late = here(R, at(D0, 10, 3))  # Google delivered the report's event hours later
    wh.store_calls(calls_batch(organizer, since=at(D0, 0), until=FIRST), FIRST)
    overlap = FIRST - timedelta(hours=12)
    assert wh.store_calls(calls_batch(organizer, late, since=overlap, until=SECOND), SECOND) == 1
    stored = wh.table("raw_calls").sort("email")
    assert stored.select("email", "first_seen_at").rows() == [(M, FIRST), (R, SECOND)]
    assert wh.calls_read_until("google") == SECOND


def test_a_record_read_again_with_a_later_end_is_brought_up_to_date() -> None:
    wh = Warehouse(":memory:")
    wh.store_calls(calls_batch(here(M, at(D0), 20), since=at(D0, 0), until=FIRST), FIRST)
    wh.store_calls(calls_batch(here(M, at(D0), 45), since=at(D0, 0), until=SECOND), SECOND)
    assert wh.table("raw_calls").select("left_at", "first_seen_at").rows() == [
        (at(D0, 10, 45), FIRST)
    ]


def test_read_until_starts_unknown_and_never_moves_back() -> None:
    wh = Warehouse(":memory:")
    assert wh.calls_read_until("google") is None
    wh.store_calls(calls_batch(since=at(D0, 0), until=SECOND), SECOND)
    wh.store_calls(calls_batch(since=at(D0, 0), until=FIRST), SECOND)  # a repair of the past
    assert wh.calls_read_until("google") == SECOND
    assert wh.calls_read_until("microsoft") is None


def test_each_provider_keeps_its_own_read_until() -> None:
    wh = Warehouse(":memory:")
    teams = here(M, at(D0), provider="microsoft")
    wh.store_calls(calls_batch(teams, since=at(D0, 0), until=FIRST, provider="microsoft"), FIRST)
    wh.store_calls(calls_batch(since=at(D0, 0), until=SECOND), SECOND)
    assert (wh.calls_read_until("microsoft"), wh.calls_read_until("google")) == (FIRST, SECOND)


@pytest.mark.parametrize(
    ("presence", "message"),
    [
        (here(M, at(D0), provider="microsoft"), "is a microsoft record, not one of the batch's"),
        (here(M, at(D0), minutes=-5), "left at .* before joining .* expected left_at >= joined_at"),
        (here(M, datetime(2029, 11, 5, 10)), "joined_at of call call-1 must be timezone-aware"),
    ],
    ids=["other-provider", "left-before-joining", "naive-time"],
)
def test_a_bad_presence_is_refused_by_name_and_nothing_is_stored(
    presence: CallPresence, message: str
) -> None:
    wh = Warehouse(":memory:")
    good = here(R, at(D0))
    with pytest.raises(BadInputError, match=message):
        wh.store_calls(calls_batch(good, presence, since=at(D0, 0), until=FIRST), FIRST)
    assert wh.table("raw_calls").is_empty()
    assert wh.calls_read_until("google") is None


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    wh = Warehouse(":memory:")
    with pytest.raises(BadInputError, match=r"read_until .* is before read_from"):
        wh.store_calls(calls_batch(since=SECOND, until=FIRST), SECOND)


def test_a_failing_transaction_stores_no_rows_and_keeps_read_until() -> None:
    wh = Warehouse(":memory:")
    wh.store_calls(calls_batch(here(M, at(D0)), since=at(D0, 0), until=FIRST), FIRST)
    wh._con.execute("ALTER TABLE call_sync_state RENAME TO _aside")  # the cursor's write fails
    with pytest.raises(duckdb.CatalogException):
        wh.store_calls(calls_batch(here(R, at(D0)), since=at(D0, 0), until=SECOND), SECOND)
    wh._con.execute("ALTER TABLE _aside RENAME TO call_sync_state")
    assert wh.table("raw_calls")["email"].to_list() == [M]
    assert wh.calls_read_until("google") == FIRST


def test_a_failed_read_is_recorded_and_keeps_read_until_and_rows() -> None:
    wh = Warehouse(":memory:")
    wh.store_calls(calls_batch(here(M, at(D0)), since=at(D0, 0), until=FIRST), FIRST)
    wh.record_call_failure("google", "403: admin.reports.audit.readonly not granted", SECOND)
    row = wh.table("call_sync_state").row(0, named=True)
    assert (row["read_until"], row["last_sync"], row["status"]) == (FIRST, FIRST, "failed")
    assert (
        row["error"] == "2029-11-07T06:00:00+00:00: 403: admin.reports.audit.readonly not granted"
    )
    assert wh.table("raw_calls").height == 1
    wh.record_call_failure("microsoft", "401", SECOND)  # never read: no evidence either
    assert wh.calls_read_until("microsoft") is None
    assert wh.call_evidence() is not None
    assert wh.call_evidence().height == 1  # type: ignore[union-attr]


def test_no_provider_read_means_no_call_evidence() -> None:
    wh = Warehouse(":memory:")
    assert wh.call_evidence() is None
    wh.record_call_failure("google", "403", SECOND)
    assert wh.call_evidence() is None


def _version_4_file(path: Path) -> None:
    """A warehouse file as the version before migration 5 left it, with one raw row."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL)"
        )
        for version, name, statements in MIGRATIONS[:4]:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        con.execute(
            "INSERT INTO raw_observations VALUES ('google', ?, 'e1', 's1', ?, [?, ?], [], 'live',"
            " ?, ?, NULL, true, false, NULL, NULL, NULL, ?, ?, ?, NULL, ?)",
            [M, M, M, R, at(D0), at(D0, 10, 30), SYNC, SYNC, SYNC, at(D0)],
        )
    path.chmod(0o600)


def test_migration_5_keeps_a_version_4_files_observations_and_adds_call_tables(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.duckdb"
    _version_4_file(path)
    with Warehouse(path) as wh:
        assert wh.table("schema_migrations")["version"].to_list() == [1, 2, 3, 4, 5]
        raw, _ = wh.raw_frames()
        assert raw.select("event_id", "start", "meeting_key", "first_start").rows() == [
            ("e1", at(D0), None, at(D0))
        ]
        assert wh.table("raw_calls").is_empty() and wh.table("call_sync_state").is_empty()
        keyed = obs(at(D0 + timedelta(7)), meeting_key=K)
        wh.store_calendar(batch([keyed], full=False), SYNC + timedelta(1))
        wh.store_calls(calls_batch(here(M, at(D0)), since=at(D0, 0), until=FIRST), FIRST)
    with Warehouse(path) as wh:
        raw, _ = wh.raw_frames()
        assert raw.sort("start")["meeting_key"].to_list() == [None, K]
        assert wh.table("raw_calls").height == 1


def test_a_staged_file_of_the_earlier_format_merges_with_no_meeting_key(tmp_path: Path) -> None:
    folder = staging_directory(tmp_path / "staging")
    old = batch([obs(at(D0), meeting_key=K)])
    rows = batch_rows([old])
    earlier = write_staged(folder, rows.drop_columns(["meeting_key"]), calendars_table([old], SYNC))
    new = batch([obs(at(D0), calendar=R, meeting_key=K)], calendar=R)
    current = write_staged(folder, batch_rows([new]), calendars_table([new], SYNC))
    with Warehouse(":memory:") as wh:
        assert wh.merge_staged([earlier]) == 1
        assert wh.raw_frames()[0]["meeting_key"].to_list() == [None]
    with Warehouse(":memory:") as wh:  # both formats in one merge
        again = write_staged(
            folder, rows.drop_columns(["meeting_key"]), calendars_table([old], SYNC)
        )
        assert wh.merge_staged([again, current]) == 2
        keys = wh.raw_frames()[0].sort("calendar_email").select("calendar_email", "meeting_key")
        assert keys.rows() == [(M, None), (R, K)]


def test_a_cancelled_stub_keeps_the_meeting_key_its_copy_had() -> None:
    live = obs(at(D0), meeting_key=K)
    with Warehouse(":memory:") as wh:
        wh.store_calendar(batch([live]), SYNC)
        wh.store_calendar(batch([stub(live)], full=False), SYNC + timedelta(1))
        raw = wh.raw_frames()[0]
        assert raw.select("state", "meeting_key").rows() == [("cancelled", K)]
        moved_online = replace(live, meeting_key=None)  # the link taken off the event
        wh.store_calendar(batch([moved_online], full=False), SYNC + timedelta(2))
        assert wh.raw_frames()[0].select("state", "meeting_key").rows() == [("live", None)]
