"""Raw storage, sync state, runs and read-only SQL on a real DuckDB."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from wh_factory import BASIC_ROSTER, SYNC, M, R, at, batch, build, obs, roster

from connectors.model import Person
from core.errors import BadInputError
from warehouse.db import Warehouse
from warehouse.params import BuildContext
from warehouse.schema import MIGRATIONS
from warehouse.sql import query_read_only

D0 = date(2029, 11, 5)
LATER = SYNC + timedelta(days=7)


def _raw(wh: Warehouse) -> pl.DataFrame:
    return wh.table("raw_observations").sort("calendar_email", "event_id")


def test_migrations_are_recorded_once_per_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse(path):
        pass
    with Warehouse(path) as wh:
        migrations = wh.table("schema_migrations")
    assert migrations["version"].to_list() == [1, 2, 3, 4, 5]


def test_migration_4_keeps_the_snapshots_of_an_older_file_without_titles(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:  # a file written before migration 4
        con.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL)"
        )
        for version, name, statements in MIGRATIONS[:3]:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [version, name])
        con.execute(
            "INSERT INTO roster_snapshots VALUES (?, ?, 'R', ?, 'google', NULL)", [D0, R, M]
        )
    with Warehouse(path) as wh:
        snapshots = wh.table("roster_snapshots")
        assert snapshots.rows() == [(D0, R, "R", M, "google", None, None)]
        assert snapshots.columns[-1] == "title"
        wh.snapshot_roster([Person(R, "R", M, "google", title="Analyst")], D0 + timedelta(days=7))
        wh.build(BuildContext(as_of=D0 + timedelta(days=8)))
        assert wh.table("people").filter(pl.col("email") == R)["title"].to_list() == ["Analyst"]


def test_storing_the_same_batch_twice_changes_nothing() -> None:
    wh = Warehouse(":memory:")
    same = batch([obs(at(D0)), obs(at(D0 + timedelta(days=7)))])
    wh.store_calendar(same, SYNC)
    first_raw, first_state = _raw(wh), wh.table("sync_state")
    wh.store_calendar(same, SYNC)
    assert _raw(wh).equals(first_raw)
    assert wh.table("sync_state").equals(first_state)
    assert wh.cursor_for("google", M) == "c1"


def test_full_batch_replaces_the_calendar_but_keeps_history_of_returning_ids() -> None:
    wh = Warehouse(":memory:")
    kept, dropped = obs(at(D0)), obs(at(D0 + timedelta(days=7)))
    wh.store_calendar(batch([kept, dropped]), SYNC)
    wh.store_calendar(batch([kept], cursor="c2"), LATER)
    raw = _raw(wh)
    assert raw["event_id"].to_list() == [kept.event_id]
    assert raw["first_seen_at"][0] == SYNC and raw["last_seen_at"][0] == LATER
    assert wh.cursor_for("google", M) == "c2"


def test_incremental_batch_upserts_and_marks_removed_ids() -> None:
    wh = Warehouse(":memory:")
    one, two = obs(at(D0)), obs(at(D0 + timedelta(days=7)))
    wh.store_calendar(batch([one, two]), SYNC)
    moved = replace(one, start=at(D0, 14), end=at(D0, 14, 30), original_start=at(D0))
    wh.store_calendar(
        batch([moved], full=False, removed=[two.event_id, "never-seen"], cursor="c2"), LATER
    )
    raw = _raw(wh).select("event_id", "state", "start", "first_start", "cancel_seen_at")
    assert raw.rows() == [
        (one.event_id, "live", at(D0, 14), at(D0), None),
        (two.event_id, "removed", at(D0 + timedelta(days=7)), at(D0 + timedelta(days=7)), LATER),
    ]


def test_a_failed_sync_keeps_cursor_and_data() -> None:
    wh = Warehouse(":memory:")
    wh.store_calendar(batch([obs(at(D0))]), SYNC)
    wh.record_failure("google", M, "mailbox not found", LATER)
    state = wh.table("sync_state").row(0, named=True)
    assert (state["status"], state["cursor"], state["last_sync"]) == ("failed", "c1", SYNC)
    assert "mailbox not found" in state["error"]
    assert _raw(wh).height == 1


def test_a_batch_with_another_calendars_observation_writes_nothing() -> None:
    wh = Warehouse(":memory:")
    with pytest.raises(BadInputError):
        wh.store_calendar(batch([obs(at(D0)), obs(at(D0), calendar=R)]), SYNC)
    assert _raw(wh).is_empty() and wh.cursor_for("google", M) is None


def test_runs_record_outcome_and_counts() -> None:
    wh = Warehouse(":memory:")
    run = wh.start_run(date(2030, 1, 1), sandbox=True)
    wh.finish_run(run, "partial", {"calendars_synced": 3, "calendars_failed": 1})
    row = wh.table("runs").row(0, named=True)
    assert (row["outcome"], row["calendars_failed"], row["sandbox"]) == ("partial", 1, True)
    with pytest.raises(BadInputError):
        wh.finish_run(run, "great", {})


def test_snapshot_of_the_same_day_replaces_it() -> None:
    wh = Warehouse(":memory:")
    wh.snapshot_roster(roster(BASIC_ROSTER), date(2030, 1, 1))
    wh.snapshot_roster(roster({M: None}), date(2030, 1, 1))
    assert wh.table("roster_snapshots")["email"].to_list() == [M]


def test_build_returns_row_counts_of_every_table() -> None:
    wh = build([[obs(at(D0))]], date(2030, 1, 1))
    counts = wh.build(BuildContext(as_of=date(2030, 1, 1)))
    assert counts["occurrences"] == 1 and counts["pair_metrics"] == 3
    assert all(wh.table(name).height == n for name, n in counts.items())


def test_read_only_query_refuses_writes_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with Warehouse(path) as wh:
        wh.store_calendar(batch([obs(at(D0))]), SYNC)
    with pytest.raises(BadInputError, match="read-only"):
        query_read_only(path, "DELETE FROM raw_observations")
    columns, rows = query_read_only(path, "SELECT count(*) AS n FROM raw_observations")
    assert (columns, rows) == (["n"], [(1,)])


def test_read_only_query_cannot_read_other_files(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    with pytest.raises(BadInputError):
        query_read_only(path, "SELECT * FROM read_csv('/etc/passwd')")
