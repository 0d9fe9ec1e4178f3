"""History tables: a snapshot per build's as_of, replaced by a rebuild, filled by the
backfill, with stable columns; the README's roll-up queries over them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal
from wh_factory import BASIC_ROSTER, BOSS, SYNC, M, R, batch, roster, weekly

from warehouse import query_read_only
from warehouse.build import compute
from warehouse.db import HISTORY_TABLES, Warehouse
from warehouse.params import BuildContext, MetricParams

FIRST = date(2029, 9, 3)  # a Monday
D1, D2 = date(2030, 1, 7), date(2030, 1, 14)
README = (Path(__file__).parent.parent.parent / "README.md").read_text()


def _warehouse(path: Path | str = ":memory:") -> Warehouse:
    """M meets R weekly for 16 weeks and BOSS meets M weekly for 8; R2 is never met."""
    wh = Warehouse(path)
    wh.snapshot_roster(roster(BASIC_ROSTER), date(2020, 1, 1))
    boss = {"calendar": BOSS, "organizer": BOSS, "pair": (BOSS, M), "series": "b1"}
    for observations in (weekly(FIRST, 16), weekly(FIRST, 8, **boss)):
        calendar = observations[0].calendar_email
        wh.store_calendar(batch(observations, calendar=calendar), SYNC)
    return wh


def _snapshot(wh: Warehouse, history: str, day: date) -> pl.DataFrame:
    rows = wh.table(history).filter(pl.col("as_of") == day).drop("as_of")
    return rows.sort(rows.columns, nulls_last=True)


def _current(wh: Warehouse, table: str) -> pl.DataFrame:
    rows = wh.table(table)
    return rows.sort(rows.columns, nulls_last=True)


def _dates(wh: Warehouse, history: str) -> list[tuple[date, int]]:
    counts = wh.table(history).group_by("as_of").len().sort("as_of")
    return list(counts.iter_rows())


SNAPSHOTS = {h: t for h, t in HISTORY_TABLES.items() if h != "weekly_activity_history"}


def test_each_build_keeps_its_as_of_snapshot_and_a_rebuild_of_that_date_replaces_it() -> None:
    wh = _warehouse()
    wh.build(BuildContext(as_of=D1))
    first = {history: _snapshot(wh, history, D1) for history in SNAPSHOTS}
    wh.build(BuildContext(as_of=D2))
    for history, table in SNAPSHOTS.items():
        assert wh.table(history).columns == ["as_of", *wh.table(table).columns]
        assert_frame_equal(_snapshot(wh, history, D2), _current(wh, table))
        rows = _current(wh, table).height
        assert _dates(wh, history) == [(D1, first[history].height), (D2, rows)]
    assert not wh.has_table("weekly_activity_history")  # the backfill's alone

    wh.build(BuildContext(as_of=D2, params=MetricParams(window_days=30)))
    for history, table in SNAPSHOTS.items():
        assert _dates(wh, history) == [(D1, first[history].height), (D2, wh.table(table).height)]
        assert_frame_equal(_snapshot(wh, history, D2), _current(wh, table))
        assert_frame_equal(_snapshot(wh, history, D1), first[history])
    kpis = wh.table("kpi_history").sort("as_of")
    # D1's 90 days hold 10 of M and R's 1:1s and 2 of BOSS and M's; D2's 30 days, 1 and 0.
    assert kpis["scheduled"].to_list() == [10 + 2, 1 + 0]


def test_the_backfill_fills_every_history_table_without_touching_the_current_ones() -> None:
    wh = _warehouse()
    wh.build(BuildContext(as_of=D2))
    current = _current(wh, "org_rollups")
    days = [D1 - timedelta(weeks=2), D1 - timedelta(weeks=1), D1]
    weekly_rows = wh.build_history([BuildContext(as_of=day) for day in days])
    assert_frame_equal(_current(wh, "org_rollups"), current)
    assert [day for day, _ in _dates(wh, "weekly_activity_history")] == days
    assert [weekly_rows[day] for day in days] == [
        n for _, n in _dates(wh, "weekly_activity_history")
    ]
    for history, table in SNAPSHOTS.items():
        assert [day for day, _ in _dates(wh, history)] == [*days, D2]
        for day in days:
            expected = compute(*wh.raw_frames(), BuildContext(as_of=day), wh.synced_calendars())
            frame = expected[table]
            assert_frame_equal(
                _snapshot(wh, history, day),
                frame.sort(frame.columns, nulls_last=True),
                check_dtypes=False,  # DuckDB's types (a count stays a whole number)
            )


def test_a_history_table_of_an_earlier_version_gets_the_new_columns_and_keeps_its_rows() -> None:
    wh = _warehouse()
    wh._con.execute(  # as a backfill of an earlier version wrote it: as_of last, fewer columns
        "CREATE TABLE manager_metrics_history (manager_email VARCHAR, reports BIGINT, as_of DATE)"
    )
    wh._con.execute("INSERT INTO manager_metrics_history VALUES (?, 7, ?)", [M, D1])
    wh.build(BuildContext(as_of=D2))
    history = wh.table("manager_metrics_history")
    assert history.columns == ["as_of", *wh.table("manager_metrics").columns]
    old = history.filter(pl.col("as_of") == D1).row(0, named=True)
    assert (old["manager_email"], old["reports"], old["mean_coverage"]) == (M, 7, None)
    assert history.filter(pl.col("as_of") == D2).height == wh.table("manager_metrics").height


def _readme_query(marker: str) -> str:
    blocks = [block.split("```", 1)[0] for block in README.split("```sql\n")[1:]]
    [query] = [block for block in blocks if marker in block]
    return query


def test_the_readme_roll_up_queries_answer_on_a_warehouse_with_history(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    quarter_ago = D2 - timedelta(weeks=12)
    with _warehouse(path) as wh:
        wh.build_history([BuildContext(as_of=quarter_ago), BuildContext(as_of=D2 - timedelta(7))])
        wh.build(BuildContext(as_of=D2))
        coverage = dict(
            wh.table("org_rollups_history")
            .filter(pl.col("manager_email") == M)
            .select("as_of", "mean_coverage")
            .iter_rows()
        )
    before, now = round(coverage[quarter_ago], 2), round(coverage[D2], 2)
    assert before != now
    _, rows = query_read_only(path, _readme_query("FROM org_rollups_history cur"))
    # M (BOSS's report: depth 1) and R; R2 never met
    assert rows == [(M, "M", 2, before, now, round(coverage[D2] - coverage[quarter_ago], 2))]
    columns, rows = query_read_only(path, _readme_query("WITH RECURSIVE"))
    assert columns[:3] == ["organisation", "people", "neglected_reports"]
    assert [row[:5] for row in rows] == [(M, 2, 1, "R2", "M")]
    assert R not in {row[3] for row in rows}
