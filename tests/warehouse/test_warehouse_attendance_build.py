"""Attendance through the warehouse: calls stored beside the calendars give each
occurrence its attendance and each line its attended rate and unscheduled call hours,
`require_attendance` stops a no-show from counting as held, and the build split by
pair still equals the whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from wh_factory import BASIC_ROSTER, R2, SYNC, M, R, at, batch, copy_on, obs, pair_row, roster

from connectors.model import CallBatch, CallPresence
from warehouse import query_read_only
from warehouse.build import compute
from warehouse.db import HISTORY_TABLES, Warehouse
from warehouse.params import BuildContext, MetricParams
from warehouse.schema import DERIVED_TABLES

MON = date(2029, 11, 5)  # a Monday
AS_OF = MON + timedelta(days=28)
K, K2 = "key-m-r", "key-m-r2"
README = (Path(__file__).parent.parent.parent / "README.md").read_text()


def day(offset: int) -> date:
    return MON + timedelta(days=offset)


def here(email: str, joined: datetime, minutes: int, call: str, key: str | None) -> CallPresence:
    return CallPresence("google", call, key, email, joined, joined + timedelta(minutes=minutes))


# M–R: a weekly online 1:1 (K). Week 0 both joined, week 1 R never did, week 2 has no
# record at all, week 3 both joined again. M–R2: one online 1:1 (K2) R2 missed.
# M and R also had a direct call (no meeting key) on Thursday of week 0.
CALLS = (
    here(M, at(day(0)), 30, "w0", K),
    here(R, at(day(0), 10, 2), 28, "w0", K),
    here(M, at(day(7)), 30, "w1", K),
    here(M, at(day(21), 9, 55), 35, "w3", K),
    here(R, at(day(21)), 30, "w3", K),
    here(M, at(day(2)), 30, "r2", K2),
    here(M, at(day(3), 15), 15, "adhoc", None),
    here(R, at(day(3), 15), 15, "adhoc", None),
)


def calendars() -> list[list[Any]]:
    weekly_r = [obs(at(day(7 * i)), meeting_key=K) for i in range(4)]
    with_r2 = obs(at(day(2)), pair=(M, R2), series="s2", meeting_key=K2)
    in_person = obs(at(day(4)), series=None, recurring=False)  # M–R, no link
    return [
        [*weekly_r, with_r2, in_person],
        [copy_on(o, R, meeting_key=None) for o in weekly_r],  # R's copies carry no link
    ]


def warehouse(path: Path | str = ":memory:", with_calls: bool = True) -> Warehouse:
    wh = Warehouse(path)
    wh.snapshot_roster(roster(BASIC_ROSTER), date(2020, 1, 1))
    for observations in calendars():
        first = observations[0]
        wh.store_calendar(batch(observations, calendar=first.calendar_email), SYNC)
    if with_calls:
        read = CallBatch("google", CALLS, at(MON, 0), at(AS_OF, 0))
        wh.store_calls(read, at(AS_OF, 6))
    return wh


def _attendance(wh: Warehouse) -> list[tuple[object, ...]]:
    occ = wh.table("occurrences").sort("start")
    return occ.select("report_email", "local_date", "attendance", "attended_minutes").rows()


def test_each_occurrence_gets_its_attendance_and_each_line_its_rate_and_unscheduled_hours() -> None:
    wh = warehouse()
    wh.build(BuildContext(as_of=AS_OF))
    assert _attendance(wh) == [
        (R, day(0), "attended", 28.0),
        (R2, day(2), "no_show", None),
        (R, day(4), "unknown", None),  # in person
        (R, day(7), "no_show", None),
        (R, day(14), "unknown", None),  # no record
        (R, day(21), "attended", 30.0),
    ]
    r, r2 = pair_row(wh, R), pair_row(wh, R2)
    assert (r["attended_rate"], r["unscheduled_call_hours"]) == (pytest.approx(2 / 3), 0.25)
    assert (r2["attended_rate"], r2["unscheduled_call_hours"]) == (0.0, 0.0)
    assert (r["attended"], r["no_show"], r2["attended"], r2["no_show"]) == (2, 1, 0, 1)
    # The organisation: 2 of the 4 held online 1:1s with call records had both people.
    kpis = wh.table("org_kpis").row(0, named=True)
    assert (kpis["attended"], kpis["no_show"], kpis["attended_rate"]) == (2, 2, 0.5)
    (top,) = wh.table("org_rollups").filter(pl.col("manager_email") == M).rows(named=True)
    assert (top["attended"], top["no_show"], top["attended_rate"]) == (2, 2, 0.5)
    assert wh.table("occurrences")["meeting_key"].drop_nulls().unique().sort().to_list() == [K, K2]


def test_without_call_evidence_everything_is_unknown_and_the_figures_are_null() -> None:
    wh = warehouse(with_calls=False)
    wh.build(BuildContext(as_of=AS_OF))
    assert {row[2] for row in _attendance(wh)} == {"unknown"}
    r = pair_row(wh, R)
    assert (r["attended_rate"], r["unscheduled_call_hours"]) == (None, None)
    assert (r["attended"], r["no_show"]) == (0, 0)
    kpis = wh.table("org_kpis").row(0, named=True)
    assert (kpis["attended"], kpis["no_show"], kpis["attended_rate"]) == (0, 0, None)


def test_require_attendance_stops_a_no_show_from_counting_as_held() -> None:
    ctx = BuildContext(as_of=AS_OF, history_start=MON - timedelta(days=60))
    strict = BuildContext(as_of=AS_OF, history_start=ctx.history_start,
                          params=MetricParams(require_attendance=True))  # fmt: skip
    before, after = warehouse(), warehouse()
    before.build(ctx)
    after.build(strict)
    # R2's only held 1:1 was a no-show: met 26 days ago, or never met in 88 days of history.
    r2, strict_r2 = pair_row(before, R2), pair_row(after, R2)
    assert (r2["neglected"], r2["last_held_date"], r2["held"]) == (False, day(2), 1)
    assert (strict_r2["neglected"], strict_r2["last_held_date"], strict_r2["held"]) == (
        True, None, 1,
    )  # fmt: skip
    assert r2["coverage"] > 0 and r2["leverage_hours"] > 0
    assert (strict_r2["coverage"], strict_r2["leverage_hours"]) == (0.0, 0.0)
    # R's no-show falls inside the fortnight its neighbours cover: coverage unchanged.
    r, strict_r = pair_row(before, R), pair_row(after, R)
    assert strict_r["coverage"] == r["coverage"]
    assert strict_r["median_gap_days"] != r["median_gap_days"]  # one date fewer between
    manager = after.table("manager_metrics").filter(pl.col("manager_email") == M).row(0, named=True)
    assert manager["neglected_reports"] == 1


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _as_stored(frame: pl.DataFrame) -> pl.DataFrame:
    with duckdb.connect(":memory:") as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_frame", frame.to_arrow())
        con.execute("CREATE TABLE t AS SELECT * FROM _frame")
        return _sorted(con.sql("SELECT * FROM t").pl())


def _expected(wh: Warehouse, ctx: BuildContext) -> dict[str, pl.DataFrame]:
    raw, snapshots = wh.raw_frames()
    frames = compute(raw, snapshots, ctx, wh.synced_calendars(), wh.call_evidence())
    return {name: _as_stored(frame) for name, frame in frames.items()}


def _last_first(fn: Callable[..., Any], calls: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
    return iter([fn(*args) for args in reversed(list(calls))])


@pytest.mark.parametrize(("partitions", "mapped"), [(1, False), (2, False), (4, False),
                                                     (1, True), (3, True)])  # fmt: skip
def test_the_build_split_by_pair_keeps_every_attendance_figure(
    tmp_path: Path, partitions: int, mapped: bool
) -> None:
    with warehouse(tmp_path / "w.duckdb") as wh:
        ctx = BuildContext(as_of=AS_OF, params=MetricParams(require_attendance=True))
        expected = _expected(wh, ctx)
        assert set(expected["occurrences"]["attendance"]) == {"attended", "no_show", "unknown"}
        mapper = _last_first if mapped else None
        wh.build(ctx, partitions=partitions, mapper=mapper, workdir=tmp_path)
        for name in DERIVED_TABLES:
            assert_frame_equal(_sorted(wh.table(name)), expected[name], check_exact=True)


def test_the_history_split_by_pair_keeps_every_attendance_figure() -> None:
    strict = MetricParams(require_attendance=True)
    contexts = [BuildContext(as_of=AS_OF - timedelta(days=days), params=strict) for days in (0, 14)]
    with warehouse() as wh:
        wh.build_history(contexts, partitions=3)
        for ctx in contexts:
            expected = _expected(wh, ctx)
            for history, name in HISTORY_TABLES.items():
                stored = wh._con.sql(
                    f"SELECT * EXCLUDE (as_of) FROM {history} WHERE as_of = ?", params=[ctx.as_of]
                ).pl()
                assert_frame_equal(_sorted(stored), expected[name], check_exact=True)


def _readme_query(marker: str) -> str:
    blocks = [block.split("```", 1)[0] for block in README.split("```sql\n")[1:]]
    [query] = [block for block in blocks if marker in block]
    return query


def test_the_readme_attendance_query_answers_per_manager(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with warehouse(path) as wh:
        wh.build(BuildContext(as_of=AS_OF))
    columns, rows = query_read_only(path, _readme_query("attended_rate"))
    assert columns == ["manager_email", "attended", "no_shows", "attended_rate",
                       "attended_hours", "unscheduled_call_hours"]  # fmt: skip
    assert rows == [(M, 2, 2, 0.5, 1.0, 0.25)]


def test_metrics_require_attendance_is_off_by_default_and_reaches_the_metric_params() -> None:
    from runtime.config import MetricsConfig

    assert MetricsConfig().params().require_attendance is False
    assert MetricsConfig(require_attendance=True).params() == MetricParams(require_attendance=True)
