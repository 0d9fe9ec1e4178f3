"""The build split by pair gives the same tables as the whole raw table at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from integration.sync_world import build_context as sandbox_context
from integration.sync_world import open_world, sync_once
from polars.testing import assert_frame_equal
from wh_factory import BOSS, R2, M, R, roster, snapshot_frame

from connectors.sandbox.org import generate_org
from core.errors import BadInputError
from warehouse.build import compute
from warehouse.copies import is_stub
from warehouse.db import HISTORY_TABLES, Warehouse
from warehouse.frames import RAW_SCHEMA
from warehouse.params import BuildContext
from warehouse.partitions import ROWS_PER_PARTITION, partition_count
from warehouse.schema import DERIVED_TABLES

M2, R3, OUT = "m2@x.org", "r3@x.org", "out@x.org"
FIRST_ROSTER = {BOSS: None, M: BOSS, M2: BOSS, R: M, R2: M, R3: M2}
MOVED_ROSTER = {**FIRST_ROSTER, R2: M2}  # R2 changes manager on the second snapshot
PEOPLE = [BOSS, M, M2, R, R2, R3, OUT]
PAIRS = [[M, R], [R, M], [M, R2], [M2, R2], [R2, M2], [M2, R3], [BOSS, M], [BOSS, R], [R, R2],
         [R, OUT], [M, M]]  # fmt: skip
TRIOS = [[M, R, R2], [BOSS, M, M2]]
MON = datetime(2029, 9, 3, 10, tzinfo=UTC)
SYNC, LATER = datetime(2029, 12, 1, tzinfo=UTC), datetime(2029, 12, 8, tzinfo=UTC)
AS_OF = date(2029, 12, 10)

ROW = st.fixed_dictionaries(
    {
        "who": st.sampled_from([*PAIRS, *TRIOS, [], []]),
        "calendar": st.integers(0, 6),
        "provider": st.sampled_from(["google", "microsoft"]),
        "series": st.sampled_from([None, "s1", "s1", "s2"]),
        "organizer": st.sampled_from([0, 1, 0, 1, None]),
        "stub_of": st.integers(0, 29),  # a stub lands in the series of an earlier copy
        "state": st.sampled_from(["live", "live", "cancelled", "removed"]),
        "day": st.integers(0, 40),  # every third day: copies of one meeting collide
        "minutes": st.sampled_from([5, 30, 30, 60, 200]),
        "moved_days": st.sampled_from([0, 0, 1, -2]),
        "declined": st.booleans(),
        "recurring": st.booleans(),
        "has_agenda": st.booleans(),
        "lead_hours": st.one_of(st.none(), st.integers(1, 96)),
        "seen_later": st.booleans(),
    }
)


def _raw_row(index: int, row: dict[str, Any]) -> dict[str, object]:
    """One raw copy: a pair, a trio (never a 1:1) or a stub (no participants, no times)
    on the calendar of an earlier copy."""
    who: list[str] = row["who"]
    slot = MON + timedelta(days=3 * row["day"])
    start = slot + timedelta(days=row["moved_days"])
    stub = not who
    organizer = None if stub or row["organizer"] is None else who[row["organizer"]]
    lead = row["lead_hours"]
    return {
        "provider": row["provider"],
        "calendar_email": (who or [M, R])[row["calendar"] % len(who or [M, R])],
        "event_id": f"e{index}",
        "series_key": row["series"],
        "organizer_email": organizer,
        "participants": who,
        "declined_by": [who[-1]] if row["declined"] and who else [],
        "state": "cancelled" if stub else row["state"],
        "start": None if stub else start,
        "end": None if stub else start + timedelta(minutes=row["minutes"]),
        "original_start": slot if stub or row["moved_days"] else None,
        "recurring": row["recurring"],
        "has_agenda": row["has_agenda"],
        "created_at": slot - timedelta(days=20),
        "updated_at": None if lead is None else slot - timedelta(hours=lead),
        "response_at": None,
        "first_seen_at": SYNC,
        "last_seen_at": LATER if row["seen_later"] else SYNC,
        "live_seen_at": SYNC if row["state"] == "live" or row["seen_later"] else None,
        "cancel_seen_at": LATER if row["state"] != "live" and row["seen_later"] else None,
        "first_start": None if stub else slot,
    }


def _raw(rows: list[dict[str, Any]]) -> pl.DataFrame:
    copies: list[dict[str, object]] = []
    for index, row in enumerate(rows):
        copy = _raw_row(index, row)
        known = [c for c in copies if c["participants"] and c["organizer_email"]]
        if not copy["participants"] and known:
            series = known[row["stub_of"] % len(known)]
            copy |= {key: series[key] for key in ("provider", "calendar_email", "series_key")}
        copies.append(copy)
    return pl.DataFrame(copies, schema=RAW_SCHEMA)


def _warehouse(raw: pl.DataFrame, synced: list[str], path: Path | str = ":memory:") -> Warehouse:
    """A warehouse holding `raw` as it is, two roster snapshots and the sync state of
    the `synced` calendars."""
    wh = Warehouse(path)
    wh.snapshot_roster(roster(FIRST_ROSTER), date(2029, 6, 1))
    wh.snapshot_roster(roster(MOVED_ROSTER), date(2029, 10, 15))
    con = wh._con  # raw rows as generated, not as a sync would merge them
    con.register("_raw", raw.to_arrow())
    con.execute("INSERT INTO raw_observations SELECT * FROM _raw")
    con.unregister("_raw")
    for email in synced:
        con.execute(
            "INSERT INTO sync_state VALUES ('google', ?, 'c', ?, ?, 'ok', NULL, 1)",
            [email, SYNC, SYNC],
        )
    return wh


def _as_stored(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` as a warehouse table returns it (through DuckDB's types), rows sorted."""
    with duckdb.connect(":memory:") as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_frame", frame.to_arrow())
        con.execute("CREATE TABLE t AS SELECT * FROM _frame")
        stored = con.sql("SELECT * FROM t").pl()
    return _sorted(stored)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _expected(wh: Warehouse, ctx: BuildContext) -> dict[str, pl.DataFrame]:
    """Every derived table from the whole raw table in memory (`compute`)."""
    frames = compute(*wh.raw_frames(), ctx, wh.synced_calendars())
    return {name: _as_stored(frame) for name, frame in frames.items()}


ROWS = st.lists(ROW, min_size=8, max_size=30)
SYNCED = st.lists(st.sampled_from(PEOPLE), unique=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, SYNCED, st.integers(1, 8), st.sampled_from([None, date(2029, 8, 1)]))
def test_every_partition_count_builds_the_tables_of_the_whole_raw_table(
    rows: list[dict[str, Any]], synced: list[str], partitions: int, history: date | None
) -> None:
    ctx = BuildContext(as_of=AS_OF, history_start=history)
    wh = _warehouse(_raw(rows), synced)
    expected = _expected(wh, ctx)
    counts = wh.build(ctx, partitions=partitions)
    for name in DERIVED_TABLES:
        assert_frame_equal(_sorted(wh.table(name)), expected[name], check_exact=True)
        assert counts[name] == expected[name].height


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, SYNCED, st.integers(2, 8))
def test_history_split_by_pair_matches_each_dates_whole_build(
    rows: list[dict[str, Any]], synced: list[str], partitions: int
) -> None:
    contexts = [BuildContext(as_of=AS_OF - timedelta(days=days)) for days in (0, 30)]
    wh = _warehouse(_raw(rows), synced)
    weekly_rows = wh.build_history(contexts, partitions=partitions)
    for ctx in contexts:
        expected = _expected(wh, ctx)
        assert weekly_rows[ctx.as_of] == expected["weekly_activity"].height
        for history, name in HISTORY_TABLES.items():
            stored = wh._con.sql(
                f"SELECT * EXCLUDE (as_of) FROM {history} WHERE as_of = ?",
                params=[ctx.as_of],
            ).pl()
            assert_frame_equal(_sorted(stored), expected[name], check_exact=True)


def test_partition_count_follows_the_raw_table_size_unless_forced() -> None:
    assert partition_count(0) == 1
    assert partition_count(ROWS_PER_PARTITION) == 1
    assert partition_count(ROWS_PER_PARTITION + 1) == 2
    assert partition_count(10, requested=4) == 4


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"], ids=repr)
def test_a_partition_count_that_is_not_a_positive_whole_number_is_refused(bad: object) -> None:
    with pytest.raises(BadInputError, match="partitions must be a whole number of at least 1"):
        partition_count(10, requested=bad)  # type: ignore[arg-type]


LIVE = {"who": [M, R], "calendar": 0, "provider": "google", "series": "s1", "organizer": 0,
        "stub_of": 0, "state": "live", "day": 3, "minutes": 30, "moved_days": 0,
        "declined": False, "recurring": True, "has_agenda": False, "lead_hours": None,
        "seen_later": False}  # fmt: skip


@pytest.mark.parametrize("partitions", range(1, 9))
def test_a_stub_joins_the_pair_its_series_last_had_in_any_partition_count(
    partitions: int,
) -> None:
    rows = [
        LIVE,  # M's series s1 with R, seen on the first sync ...
        {**LIVE, "who": [R2, M], "calendar": 1, "day": 4, "minutes": 60, "seen_later": True},
        {**LIVE, "who": [], "day": 5, "stub_of": 0},  # ... then with R2: the stub is theirs
        {**LIVE, "series": "s2", "who": [M, R, R2], "day": 6, "seen_later": True},
        {**LIVE, "series": "s2", "day": 7},
        {**LIVE, "who": [], "day": 8, "stub_of": 2},  # s2 last had three people: no 1:1
    ]
    wh = _warehouse(_raw(rows), synced=[M])
    ctx = BuildContext(as_of=AS_OF)
    expected = _expected(wh, ctx)
    wh.build(ctx, partitions=partitions)
    occ = _sorted(wh.table("occurrences"))
    assert_frame_equal(occ, expected["occurrences"], check_exact=True)
    stub = occ.filter(pl.col("scheduled_start") == MON + timedelta(days=15))
    # Its length is the median of the whole series', both pairs' copies (30 and 60).
    assert stub.select("person_b", "status", "minutes").rows() == [(R2, "cancelled", 45)]
    assert occ.filter(pl.col("scheduled_start") == MON + timedelta(days=24)).is_empty()


def test_two_copies_of_a_meeting_on_one_calendar_fold_the_same_in_any_read_order() -> None:
    raw = _raw([LIVE, {**LIVE, "minutes": 60}])
    snapshots = snapshot_frame(roster(FIRST_ROSTER), date(2029, 6, 1))
    ctx = BuildContext(as_of=AS_OF)
    read = [compute(rows, snapshots, ctx)["occurrences"] for rows in (raw, raw.reverse())]
    assert read[0]["minutes"].to_list() == read[1]["minutes"].to_list() == [30]  # e0's


def _memory_limit(wh: Warehouse) -> str:
    return str(wh._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])


def test_a_file_warehouse_builds_in_partitions_and_leaves_no_files_or_settings(
    tmp_path: Path,
) -> None:
    rows = [LIVE, {**LIVE, "who": [R2, M], "day": 4}, {**LIVE, "who": [M2, R3], "day": 5}]
    path = tmp_path / "w.duckdb"
    with _warehouse(_raw(rows), synced=[M, R2], path=path) as wh:
        limit = _memory_limit(wh)
        ctx = BuildContext(as_of=AS_OF)
        expected = _expected(wh, ctx)
        wh.build(ctx, partitions=3)
        assert _memory_limit(wh) == limit
        for name in DERIVED_TABLES:
            assert_frame_equal(_sorted(wh.table(name)), expected[name], check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_a_synced_sandbox_org_builds_the_same_tables_in_four_partitions(tmp_path: Path) -> None:
    anchor = date(2026, 11, 16)
    org = generate_org(seed=11, size=40, anchor=anchor)
    synced_at = datetime(2026, 11, 15, 12, tzinfo=UTC)
    with open_world(tmp_path / "sandbox", org) as world, Warehouse(":memory:") as wh:
        sync_once(world, wh, anchor - timedelta(days=1), synced_at)
        ctx = sandbox_context(anchor)
        expected = _expected(wh, ctx)
        counts = wh.build(ctx, partitions=4)
        assert counts["occurrences"] > 500  # a real org's worth ...
        assert not wh.raw_frames()[0].filter(is_stub()).is_empty()  # ... Google's stubs too
        for name in DERIVED_TABLES:
            assert_frame_equal(_sorted(wh.table(name)), expected[name], check_exact=True)


def _last_first(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
    """A mapper whose results arrive in the reverse of the calls' order."""
    return iter([fn(*args) for args in reversed(list(calls))])


@pytest.mark.parametrize("partitions", [1, 3])
def test_partitions_computed_through_a_mapper_in_any_order_build_the_same_tables(
    tmp_path: Path, partitions: int
) -> None:
    rows = [LIVE, {**LIVE, "who": [R2, M], "day": 4}, {**LIVE, "who": [M2, R3], "day": 5},
            {**LIVE, "who": [], "day": 6, "stub_of": 0}]  # fmt: skip
    shared = tmp_path / "shared"
    shared.mkdir()
    with _warehouse(_raw(rows), synced=[M, R2], path=tmp_path / "w.duckdb") as wh:
        ctx = BuildContext(as_of=AS_OF)
        expected = _expected(wh, ctx)
        counts = wh.build(ctx, partitions=partitions, mapper=_last_first, workdir=shared)
        for name in DERIVED_TABLES:
            assert_frame_equal(_sorted(wh.table(name)), expected[name], check_exact=True)
            assert counts[name] == expected[name].height
    assert list(shared.iterdir()) == []


def test_a_mapper_that_loses_a_partition_fails_the_build_and_changes_nothing(
    tmp_path: Path,
) -> None:
    def first_only(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        return iter([fn(*next(iter(calls)))])

    with _warehouse(_raw([LIVE]), synced=[M], path=tmp_path / "w.duckdb") as wh:
        with pytest.raises(RuntimeError, match=r"no result for partitions \[1, 2\]"):
            wh.build(BuildContext(as_of=AS_OF), partitions=3, mapper=first_only)
        assert not wh.has_table("occurrences")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def _history(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {name: _sorted(wh.table(name)) for name in HISTORY_TABLES}


@pytest.mark.parametrize("partitions", [1, 3])
def test_history_computed_through_a_mapper_in_any_order_equals_the_sequential_history(
    tmp_path: Path, partitions: int
) -> None:
    rows = [LIVE, {**LIVE, "who": [R2, M], "day": 4}, {**LIVE, "who": [M2, R3], "day": 5},
            {**LIVE, "who": [], "day": 6, "stub_of": 0}]  # fmt: skip
    contexts = [BuildContext(as_of=AS_OF - timedelta(days=days)) for days in (60, 30, 0)]
    with _warehouse(_raw(rows), synced=[M, R2]) as wh:
        sequential = wh.build_history(contexts, partitions=partitions)
        expected = _history(wh)
    shared = tmp_path / "shared"
    shared.mkdir()
    with _warehouse(_raw(rows), synced=[M, R2], path=tmp_path / "w.duckdb") as wh:
        mapped = wh.build_history(contexts, partitions, mapper=_last_first, workdir=shared)
        assert mapped == sequential
        for name, frame in _history(wh).items():
            assert_frame_equal(frame, expected[name], check_exact=True)
        assert not wh.has_table("occurrences")  # the history alone: no current table
    assert expected["weekly_activity_history"]["as_of"].n_unique() == 3
    assert list(shared.iterdir()) == []


def test_a_mapper_that_loses_a_date_of_a_partition_fails_the_backfill(tmp_path: Path) -> None:
    def all_but_last(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        return iter([fn(*args) for args in list(calls)[:-1]])

    contexts = [BuildContext(as_of=AS_OF - timedelta(days=days)) for days in (30, 0)]
    with _warehouse(_raw([LIVE]), synced=[M], path=tmp_path / "w.duckdb") as wh:
        with pytest.raises(RuntimeError, match=r"no result for partitions \[1\]"):
            wh.build_history(contexts, partitions=2, mapper=all_but_last)
        assert not wh.has_table("kpi_history")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]
