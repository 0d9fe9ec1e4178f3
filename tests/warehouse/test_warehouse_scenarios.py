"""One named scenario per occurrence rule and metric, with hand-computed values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from wh_factory import BOSS, SYNC, M, R, at, batch, build, copy_on, obs, pair_row, stub, weekly

from warehouse.db import Warehouse
from warehouse.params import BuildContext, MetricParams, OrgCalendar

MON = date(2029, 11, 5)  # a Monday
AS_OF = date(2030, 1, 7)  # a Monday, 9 weeks after MON


def _occ(wh: Warehouse) -> pl.DataFrame:
    return wh.table("occurrences").sort("scheduled_start")


def test_biweekly_ninety_minute_one_on_one_covers_ten_workdays_worth_80_hours() -> None:
    wh = build([[obs(at(MON), minutes=90)]], MON + timedelta(days=14),
               params=MetricParams(window_days=14))  # fmt: skip
    row = pair_row(wh)
    assert (row["coverage"], row["leverage_hours"], row["held_hours"]) == (1.0, 80.0, 1.5)
    assert row["leverage_ratio"] == pytest.approx(53.33, abs=0.01)


def test_manager_cancelling_two_of_eight_weekly_is_a_chronic_canceler() -> None:
    series = weekly(MON, 8)
    for i in (2, 5):
        series[i] = replace(series[i], state="cancelled")
    row = pair_row(build([series], AS_OF))
    assert (row["scheduled"], row["cancel_rate"], row["cancelled_by_manager"]) == (8, 0.25, 2)
    chronic = build([series], AS_OF).table("chronic_cancelers")
    assert chronic.select("person_email", "role", "exposure", "initiated").rows() == [
        (M, "manager", 8, 2)
    ]


def test_canceler_below_minimum_exposure_is_not_chronic() -> None:
    series = weekly(MON, 3)
    series[0] = replace(series[0], state="cancelled")
    wh = build([series], MON + timedelta(days=21))
    assert wh.table("chronic_cancelers").is_empty()
    assert wh.table("manager_metrics").filter(pl.col("manager_email") == M)["cancel_rate"][0] == (
        pytest.approx(1 / 3)
    )


def test_cancelled_instance_rebooked_three_days_later_is_replaced_not_cancelled() -> None:
    series = weekly(MON, 3)
    series[1] = replace(series[1], state="cancelled")
    rebooked = obs(at(MON + timedelta(days=10)), series=None, recurring=False,
                   created_at=at(MON + timedelta(days=6)))  # fmt: skip
    wh = build([[*series, rebooked]], MON + timedelta(days=21))
    assert _occ(wh)["status"].to_list() == ["held", "replaced", "held", "held"]
    row = pair_row(wh)
    assert (row["scheduled"], row["cancel_rate"], row["rescheduled"]) == (3, 0.0, 1)


def test_one_off_created_long_before_does_not_replace_a_cancellation() -> None:
    series = weekly(MON, 3)
    series[1] = replace(series[1], state="cancelled")
    unrelated = obs(at(MON + timedelta(days=10)), series=None, recurring=False,
                    created_at=at(MON - timedelta(days=30)))  # fmt: skip
    wh = build([[*series, unrelated]], MON + timedelta(days=21))
    assert _occ(wh)["status"].to_list() == ["held", "cancelled", "held", "held"]


def test_late_evening_one_on_one_across_dst_keeps_its_local_date() -> None:
    # 23:30 in New York is 04:30 UTC next day before DST (11 March 2029), 03:30 after.
    before = obs(datetime(2029, 3, 6, 4, 30, tzinfo=UTC))
    after = obs(datetime(2029, 3, 13, 3, 30, tzinfo=UTC))
    wh = build([[before, after]], date(2029, 4, 1), org=OrgCalendar(timezone="America/New_York"))
    assert _occ(wh)["local_date"].to_list() == [date(2029, 3, 5), date(2029, 3, 12)]


@pytest.mark.parametrize(("days_ago", "overdue"), [(10, False), (15, True)], ids=["10d", "15d"])
def test_new_manager_not_yet_met_is_intro_overdue_only_after_grace(
    days_ago: int, overdue: bool
) -> None:
    changed = AS_OF - timedelta(days=days_ago)
    snapshots = [(date(2029, 1, 1), {M: BOSS, R: BOSS}), (changed, {M: BOSS, R: M})]
    boss = weekly(MON, 2, pair=(BOSS, R), organizer=BOSS, calendar=BOSS)
    # R's calendar was read too: without any read calendar the line would be "no data".
    wh = build([boss, [copy_on(o, R) for o in boss]], AS_OF, snapshots=snapshots)
    row = pair_row(wh)
    assert (row["manager_email"], row["valid_from"], row["intro_overdue"]) == (M, changed, overdue)


def test_meeting_on_both_calendars_and_two_providers_is_one_occurrence() -> None:
    mine = obs(at(MON))
    theirs = copy_on(mine, R, event_id="graph-id-1", provider="microsoft")
    wh = build([[mine], [copy_on(mine, R)], [theirs]], AS_OF)
    occ = _occ(wh)
    assert occ.select("providers", "status", "relation").rows() == [
        ("google,microsoft", "held", "manager_report")
    ]


def test_stub_is_attributed_through_its_series_organizer() -> None:
    series = weekly(MON, 3, organizer=R, calendar=R)
    wh = build([[series[0], stub(series[1]), series[2]]], AS_OF)
    cancelled = _occ(wh).filter(pl.col("status") == "cancelled")
    assert cancelled.select("canceled_by", "organizer_email", "minutes").rows() == [(R, R, 30)]


def test_lead_time_from_provider_timestamp() -> None:
    cancelled = obs(at(MON), state="cancelled", updated_at=at(MON) - timedelta(hours=30))
    wh = build([[cancelled]], AS_OF)
    assert _occ(wh)["cancel_lead_hours"].to_list() == [30.0]
    assert pair_row(wh)["late_cancellations"] == 0


def test_lead_time_from_sync_bracket_when_an_earlier_sync_saw_it_live() -> None:
    wh = Warehouse(":memory:")
    wh.snapshot_roster([], date(2020, 1, 1))
    live = obs(at(MON))
    wh.store_calendar(batch([live]), at(MON) - timedelta(days=3))
    wh.store_calendar(batch([stub(live)], full=False), at(MON) - timedelta(hours=6))
    wh.build(BuildContext(as_of=AS_OF))
    occ = _occ(wh).row(0, named=True)
    assert (occ["status"], occ["canceled_by"], occ["cancel_lead_hours"]) == ("cancelled", M, 6.0)


def test_lead_time_is_null_when_first_seen_cancelled_without_timestamp() -> None:
    wh = build([[stub(obs(at(MON))), obs(at(MON + timedelta(days=7)))]], AS_OF)
    assert _occ(wh)["cancel_lead_hours"].to_list() == [None, None]


def test_report_declining_with_response_time_is_a_late_decline_by_the_report() -> None:
    declined = obs(at(MON), declined_by=(R,))
    theirs = copy_on(declined, R, response_at=at(MON) - timedelta(hours=2))
    wh = build([[declined], [theirs]], AS_OF)
    occ = _occ(wh).row(0, named=True)
    assert (occ["status"], occ["canceled_by"], occ["cancel_lead_hours"]) == ("declined", R, 2.0)
    row = pair_row(wh)
    assert (row["cancelled_by_report"], row["late_cancellations"]) == (1, 1)


def test_report_removing_their_copy_while_organizers_stands_is_a_decline() -> None:
    mine = obs(at(MON))
    wh = build([[mine], [copy_on(mine, R, state="removed")]], AS_OF)
    assert _occ(wh).select("status", "canceled_by").rows() == [("declined", R)]


def test_median_gap_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    days = [0, 7, 21, 28, 49]  # gaps 7, 14, 7, 21 → middle values 7 and 14
    wh = build([[obs(at(MON + timedelta(days=d))) for d in days]], MON + timedelta(days=50))
    row = pair_row(wh)
    assert (row["median_gap_days"], row["cadence"], row["max_gap_days"]) == (10.5, "biweekly", 21)


def test_open_gap_counts_in_max_gap_and_makes_the_report_neglected() -> None:
    wh = build([weekly(MON, 3)], MON + timedelta(days=14 + 40))
    row = pair_row(wh)
    assert (row["median_gap_days"], row["max_gap_days"], row["days_since_last"]) == (7.0, 40, 40)
    assert row["neglected"] is True
    neglected = wh.table("neglected_reports").select("report_email", "days_since_last")
    assert neglected.rows() == [(M, None), ("r2@x.org", None), (R, 40)]  # never met first


def test_skip_level_meeting_is_not_a_reporting_line_occurrence() -> None:
    wh = build([[obs(at(MON), pair=(BOSS, R), organizer=BOSS, calendar=BOSS)]], AS_OF)
    assert _occ(wh).select("relation", "manager_email").rows() == [("skip_level", None)]
    assert pair_row(wh)["scheduled"] == 0


def test_moved_instance_is_rescheduled_and_counted_on_its_original_slot() -> None:
    moved = obs(at(MON, 15), original_start=at(MON))
    occ = _occ(build([[moved], [copy_on(moved, R)]], AS_OF)).row(0, named=True)
    assert (occ["scheduled_start"], occ["start"], occ["rescheduled"]) == (
        at(MON),
        at(MON, 15),
        True,
    )


def test_weekly_activity_uses_iso_weeks() -> None:
    wh = build([weekly(MON, 2)], AS_OF)
    weeks = wh.table("weekly_activity").select("week", "week_start", "held").rows()
    assert weeks == [("2029-W45", MON, 1), ("2029-W46", MON + timedelta(days=7), 1)]


def test_last_held_at_is_the_start_of_the_last_held_1on1_like_next_scheduled_at() -> None:
    series = weekly(MON, 12)  # 10:00 UTC; the last two are after AS_OF
    wh = build([series], AS_OF)
    row = pair_row(wh)
    last_held = series[8].start  # 2030-01-01, the last one before AS_OF (2030-01-07)
    assert (row["last_held_at"], row["last_held_date"]) == (last_held, last_held.date())
    assert row["next_scheduled_at"] == series[9].start
    types = dict(wh.table("pair_metrics").schema)
    assert types["last_held_at"] == types["next_scheduled_at"] == pl.Datetime("us", "UTC")
    neglected = wh.table("neglected_reports").schema
    assert neglected["last_held_at"] == pl.Datetime("us", "UTC")
    assert neglected["last_held_date"] == pl.Date()


def test_line_whose_calendars_never_synced_is_no_data_not_neglected() -> None:
    """R's calendar synced; M's and BOSS's failed from the start; X was never read."""
    x = "x@x.org"
    roster = {BOSS: None, M: BOSS, R: M, x: BOSS}
    wh = build([[obs(at(MON), calendar=R)]], AS_OF, snapshots=[(date(2020, 1, 1), roster)])
    for email in (M, BOSS):
        wh.record_failure("google", email, "403: mailbox not enabled", SYNC)
    wh.build(BuildContext(as_of=AS_OF))
    rows = wh.table("pair_metrics").sort("report_email")
    data = dict(zip(rows["report_email"], rows["data"], strict=True))
    assert data == {M: "none", R: "partial", x: "none"}
    no_data = rows.filter(pl.col("data") == "none")
    assert no_data.select("neglected", "intro_overdue", "coverage").null_count().row(0) == (2, 2, 2)
    assert rows.filter(report_email=R)["neglected"].to_list() == [True]
    assert set(wh.table("neglected_reports")["report_email"]) == {R}
    boss = wh.table("manager_metrics").filter(manager_email=BOSS).row(0, named=True)
    assert (boss["no_data_reports"], boss["neglected_reports"]) == (2, 0)
