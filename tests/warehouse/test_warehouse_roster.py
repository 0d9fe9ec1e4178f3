"""Effective-dated reporting lines from roster snapshots."""

from __future__ import annotations

from datetime import date

import polars as pl
from wh_factory import BOSS, M, R, roster

from warehouse.roster import reporting_lines, snapshot_frame

M2 = "m2@x.org"


def _lines(*snapshots: tuple[date, dict[str, str | None], dict[str, date]]) -> list[tuple]:
    frame = pl.concat([snapshot_frame(roster(m, s), d) for d, m, s in snapshots])
    return reporting_lines(frame).filter(pl.col("report_email") == R).rows()


def test_line_in_first_snapshot_starts_on_start_date_or_null() -> None:
    assert _lines((date(2030, 1, 1), {R: M}, {R: date(2029, 6, 1)})) == [
        (R, M, date(2029, 6, 1), None)
    ]
    assert _lines((date(2030, 1, 1), {R: M}, {})) == [(R, M, None, None)]


def test_manager_change_closes_one_line_and_opens_another() -> None:
    lines = _lines(
        (date(2030, 1, 1), {R: M, M: BOSS}, {}),
        (date(2030, 1, 8), {R: M, M: BOSS}, {}),
        (date(2030, 1, 15), {R: M2, M: BOSS}, {}),
    )
    assert lines == [(R, M, None, date(2030, 1, 15)), (R, M2, date(2030, 1, 15), None)]


def test_later_line_starts_on_its_start_date_when_that_is_later() -> None:
    lines = _lines(
        (date(2030, 1, 1), {M: BOSS}, {}),
        (date(2030, 1, 8), {R: M}, {R: date(2030, 1, 20)}),
    )
    assert lines == [(R, M, date(2030, 1, 20), None)]


def test_line_that_disappears_and_returns_is_two_lines() -> None:
    lines = _lines(
        (date(2030, 1, 1), {R: M}, {}),
        (date(2030, 2, 1), {M: None}, {}),
        (date(2030, 3, 1), {R: M}, {}),
    )
    assert lines == [(R, M, None, date(2030, 2, 1)), (R, M, date(2030, 3, 1), None)]
