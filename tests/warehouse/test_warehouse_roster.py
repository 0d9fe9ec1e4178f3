"""Effective-dated reporting lines from roster snapshots."""

from __future__ import annotations

from datetime import date

import polars as pl
from wh_factory import BOSS, M, R, roster, snapshot_frame

from connectors.model import Person
from warehouse.columns import SNAPSHOT_ARROW_SCHEMA, snapshot_table
from warehouse.frames import SNAPSHOT_SCHEMA
from warehouse.roster import reporting_lines

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


def test_change_learned_late_starts_on_start_date_and_ends_old_line_there() -> None:
    """A weekly run learns of a change made three days before its snapshot."""
    lines = _lines(
        (date(2030, 1, 1), {R: M}, {R: date(2029, 6, 1)}),
        (date(2030, 1, 8), {R: M2}, {R: date(2030, 1, 5)}),
    )
    assert lines == [(R, M, date(2029, 6, 1), date(2030, 1, 5)), (R, M2, date(2030, 1, 5), None)]


def test_change_announced_ahead_keeps_old_line_until_start_date() -> None:
    lines = _lines(
        (date(2030, 1, 1), {R: M}, {}),
        (date(2030, 1, 8), {R: M2}, {R: date(2030, 1, 15)}),
    )
    assert lines == [(R, M, None, date(2030, 1, 15)), (R, M2, date(2030, 1, 15), None)]


def test_report_who_moves_and_moves_back_has_three_dated_lines() -> None:
    lines = _lines(
        (date(2030, 1, 1), {R: M}, {}),
        (date(2030, 1, 8), {R: M2}, {R: date(2030, 1, 6)}),
        (date(2030, 1, 15), {R: M}, {R: date(2030, 1, 13)}),
    )
    assert lines == [
        (R, M, None, date(2030, 1, 6)),
        (R, M2, date(2030, 1, 6), date(2030, 1, 13)),
        (R, M, date(2030, 1, 13), None),
    ]


def test_unchanged_hire_date_does_not_date_a_change_of_manager() -> None:
    """A directory's start_date is the hire date: it stays the same across a change."""
    hired = {R: date(2025, 3, 1)}
    lines = _lines((date(2030, 1, 1), {R: M}, hired), (date(2030, 1, 8), {R: M2}, hired))
    assert lines == [(R, M, date(2025, 3, 1), date(2030, 1, 8)), (R, M2, date(2030, 1, 8), None)]


def test_start_date_before_the_previous_line_is_clamped_to_it() -> None:
    lines = _lines(
        (date(2030, 1, 1), {R: M}, {R: date(2029, 6, 1)}),
        (date(2030, 1, 8), {R: M2}, {R: date(2029, 1, 1)}),
    )
    assert lines == [(R, M, date(2029, 6, 1), date(2029, 6, 1)), (R, M2, date(2029, 6, 1), None)]


def test_a_snapshot_keeps_each_persons_last_row_in_lower_case_with_the_frames_types() -> None:
    people = [
        Person("Ann@X.org", "Ann", "Boss@X.org", "google", date(2029, 1, 2), "Lead"),
        Person("bob@x.org", "Bob", None, "microsoft", None, ""),
        Person("ann@x.org", "Ann Again", "bob@x.org", "google", None, None),
    ]
    table = snapshot_table(people, date(2030, 1, 1))
    assert table.schema == SNAPSHOT_ARROW_SCHEMA
    assert [tuple(row.values()) for row in table.to_pylist()] == [
        (date(2030, 1, 1), "bob@x.org", "Bob", None, "microsoft", None, None),
        (date(2030, 1, 1), "ann@x.org", "Ann Again", "bob@x.org", "google", None, None),
    ]
    assert snapshot_frame(people, date(2030, 1, 1)).schema == SNAPSHOT_SCHEMA
    assert snapshot_table([], date(2030, 1, 1)).schema == SNAPSHOT_ARROW_SCHEMA
