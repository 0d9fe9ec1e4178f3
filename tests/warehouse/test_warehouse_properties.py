"""Hypothesis properties of the occurrence rules and metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from wh_factory import R, at, build, copy_on, obs

from connectors.model import Observation

MON = date(2029, 9, 3)
AS_OF = date(2030, 1, 7)
KINDS = st.sampled_from(["held", "cancelled", "declined"])
MEETINGS = st.lists(st.tuples(st.integers(0, 120), KINDS), min_size=1, max_size=12,
                    unique_by=lambda m: m[0])  # fmt: skip


def _observations(meetings: list[tuple[int, str]], shift: int = 0) -> list[Observation]:
    out = []
    for day, kind in meetings:
        o = obs(at(MON + timedelta(days=day + shift)))
        if kind == "cancelled":
            o = replace(o, state="cancelled")
        elif kind == "declined":
            o = replace(o, declined_by=(R,))
        out.append(o)
    return out


def _metrics(calendars: list[list[Observation]], as_of: date = AS_OF) -> pl.DataFrame:
    return build(calendars, as_of).table("pair_metrics")


@settings(max_examples=12, deadline=None)
@given(MEETINGS)
def test_coverage_is_between_zero_and_one(meetings: list[tuple[int, str]]) -> None:
    coverage = _metrics([_observations(meetings)])["coverage"].drop_nulls()
    assert ((coverage >= 0) & (coverage <= 1)).all()


@settings(max_examples=12, deadline=None)
@given(MEETINGS, st.randoms(use_true_random=False))
def test_metrics_ignore_arrival_order_and_copies_on_the_reports_calendar(
    meetings: list[tuple[int, str]], rnd: object
) -> None:
    mine = _observations(meetings)
    shuffled = list(mine)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    theirs = [copy_on(o, R, declined_by=o.declined_by) for o in shuffled]
    both = _metrics([shuffled, theirs])
    assert _metrics([mine]).drop("data").equals(both.drop("data"))  # data: which were read
    assert both.filter(report_email=R)["data"].to_list() == ["ok"]


@settings(max_examples=12, deadline=None)
@given(MEETINGS, st.integers(1, 20))
def test_shifting_everything_by_whole_weeks_shifts_only_dates(
    meetings: list[tuple[int, str]], weeks: int
) -> None:
    days = 7 * weeks
    base = _metrics([_observations(meetings)])
    moved = _metrics([_observations(meetings, days)], AS_OF + timedelta(days=days))
    shifted = ["last_held_at", "last_held_date", "next_scheduled_at"]
    assert moved.drop(shifted).equals(base.drop(shifted))
    for column in ("last_held_at", "last_held_date"):
        assert moved[column].equals(base[column] + timedelta(days=days))
