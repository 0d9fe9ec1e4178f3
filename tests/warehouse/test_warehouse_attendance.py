"""Attendance rules on literal frames worked out by hand: which held online 1:1s both
people joined, which one of them missed, and unscheduled time together on calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warehouse.attendance import copy_keys, unscheduled_call_hours, with_attendance
from warehouse.frames import CALL_SCHEMA
from warehouse.params import BuildContext, MetricParams

M, R, C = "m@x.org", "r@x.org", "c@x.org"
DAY = date(2030, 1, 7)  # a Monday
K, OTHER = "key-of-the-series", "key-of-another-meeting"


def t(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def occurrence(
    oid: str, start: datetime, *, status: str = "held", key: str | None = K, minutes: int = 30
) -> dict[str, object]:
    end = start + timedelta(minutes=minutes)
    return {"occurrence_id": oid, "person_a": M, "person_b": R, "status": status,
            "meeting_key": key, "start": start, "end": end}  # fmt: skip


def occurrences(*rows: dict[str, object]) -> pl.DataFrame:
    text, utc = pl.String(), pl.Datetime("us", "UTC")
    schema = {"occurrence_id": text, "person_a": text, "person_b": text, "status": text,
              "meeting_key": text, "start": utc, "end": utc}  # fmt: skip
    return pl.DataFrame(list(rows), schema=schema)


def presence(
    call: str, email: str, joined: datetime, left: datetime, key: str | None = K
) -> dict[str, object]:
    return {"provider": "google", "call_id": call, "meeting_key": key, "email": email,
            "joined_at": joined, "left_at": left}  # fmt: skip


def calls(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=CALL_SCHEMA)


def judged(occ: pl.DataFrame, found: pl.DataFrame | None) -> list[tuple[object, ...]]:
    result = with_attendance(occ, found).sort("occurrence_id")
    return result.select("occurrence_id", "attendance", "attended_minutes").rows()


def test_both_joining_is_attended_for_the_minutes_they_were_together() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    found = calls(presence("c1", M, t(10, 2), t(10, 30)), presence("c1", R, t(10, 5), t(10, 28)))
    assert judged(occ, found) == [("o1", "attended", 23.0)]


def test_only_the_organizer_joining_is_a_no_show() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    assert judged(occ, calls(presence("c1", M, t(10), t(10, 30)))) == [("o1", "no_show", None)]


def test_a_third_person_in_the_call_does_not_stand_in_for_the_report() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    found = calls(presence("c1", M, t(10), t(10, 30)), presence("c1", C, t(10), t(10, 30)))
    assert judged(occ, found) == [("o1", "no_show", None)]


def test_an_in_person_one_on_one_is_unknown_even_when_both_were_on_some_call() -> None:
    occ = occurrences(occurrence("o1", t(10), key=None))
    found = calls(presence("c1", M, t(10), t(10, 30), OTHER),
                  presence("c1", R, t(10), t(10, 30), OTHER))  # fmt: skip
    assert judged(occ, found) == [("o1", "unknown", None)]


@pytest.mark.parametrize("status", ["cancelled", "declined", "replaced", "upcoming"])
def test_a_one_on_one_that_was_not_held_is_unknown_whoever_joined(status: str) -> None:
    occ = occurrences(occurrence("o1", t(10), status=status))
    found = calls(presence("c1", M, t(10), t(10, 30)), presence("c1", R, t(10), t(10, 30)))
    assert judged(occ, found) == [("o1", "unknown", None)]


def test_a_held_online_one_on_one_without_any_record_is_unknown() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    assert judged(occ, calls()) == [("o1", "unknown", None)]
    assert judged(occ, None) == [("o1", "unknown", None)]


def test_a_call_twenty_minutes_after_the_slot_still_counts_for_it() -> None:
    occ = occurrences(occurrence("o1", t(10)))  # 10:00-10:30, counted from 9:30 to 11:00
    found = calls(presence("c1", M, t(10, 50), t(11, 10)), presence("c1", R, t(10, 50), t(11, 10)))
    assert judged(occ, found) == [("o1", "attended", 20.0)]


def test_a_call_forty_minutes_after_the_slot_does_not() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    found = calls(presence("c1", M, t(11, 10), t(11, 30)), presence("c1", R, t(11, 10), t(11, 30)))
    assert judged(occ, found) == [("o1", "unknown", None)]


def test_a_call_with_the_series_link_on_another_day_does_not_match() -> None:
    tuesday = DAY + timedelta(days=1)
    occ = occurrences(occurrence("o1", t(10)), occurrence("o2", t(10, day=DAY + timedelta(7))))
    found = calls(presence("c1", M, t(10, day=tuesday), t(10, 30, day=tuesday)),
                  presence("c1", R, t(10, day=tuesday), t(10, 30, day=tuesday)))  # fmt: skip
    assert judged(occ, found) == [("o1", "unknown", None), ("o2", "unknown", None)]


def test_each_instance_of_a_series_gets_its_own_call() -> None:
    week = DAY + timedelta(days=7)
    occ = occurrences(occurrence("o1", t(10)), occurrence("o2", t(10, day=week)))
    found = calls(presence("c1", M, t(10), t(10, 30)), presence("c1", R, t(10), t(10, 30)),
                  presence("c2", M, t(10, day=week), t(10, 30, day=week)))  # fmt: skip
    assert judged(occ, found) == [("o1", "attended", 30.0), ("o2", "no_show", None)]


def test_a_rejoin_is_one_stretch_and_time_apart_is_not_together() -> None:
    occ = occurrences(occurrence("o1", t(10)))
    found = calls(
        presence("c1", M, t(10), t(10, 10)),
        presence("c1", M, t(10, 5), t(10, 20)),  # a second device: 10:00-10:20 in all
        presence("c1", R, t(10, 15), t(10, 30)),
        presence("c2", M, t(10, 25), t(10, 30)),  # the same meeting, a new call
    )
    assert judged(occ, found) == [("o1", "attended", 10.0)]


def test_a_call_that_crosses_midnight_matches_a_late_one_on_one() -> None:
    occ = occurrences(occurrence("o1", t(23, 40)))  # to 00:10 the next day
    next_day = DAY + timedelta(days=1)
    found = calls(presence("c1", M, t(0, 5, day=next_day), t(0, 20, day=next_day)),
                  presence("c1", R, t(23, 50), t(0, 20, day=next_day)))  # fmt: skip
    assert judged(occ, found) == [("o1", "attended", 15.0)]


CTX = BuildContext(as_of=DAY + timedelta(days=14), params=MetricParams(window_days=28))
W0 = CTX.as_of - timedelta(days=28)
LINE = pl.DataFrame({"manager_email": [M], "report_email": [R]})


def hours(found: pl.DataFrame | None, keys: tuple[str, ...] = ()) -> object:
    known = pl.DataFrame(
        {"person_a": [M] * len(keys), "person_b": [R] * len(keys), "meeting_key": list(keys)},
        schema={"person_a": pl.String(), "person_b": pl.String(), "meeting_key": pl.String()},
    )
    frame = unscheduled_call_hours(found, known, LINE, W0, CTX)
    return frame.select("unscheduled_call_hours").item()


def test_a_direct_call_between_manager_and_report_is_unscheduled_time() -> None:
    found = calls(presence("c1", M, t(15), t(15, 15), None),
                  presence("c1", R, t(15, 0), t(15, 15), None))  # fmt: skip
    assert hours(found) == 0.25


def test_a_call_on_the_link_of_one_of_their_one_on_ones_is_not_unscheduled() -> None:
    found = calls(presence("c1", M, t(15), t(15, 30)), presence("c1", R, t(15), t(15, 30)))
    assert hours(found, (K,)) == 0.0
    assert hours(found, (OTHER,)) == 0.5  # a meeting of theirs that is no 1:1 of theirs


def test_a_call_with_a_third_person_or_outside_the_window_is_not_unscheduled() -> None:
    before = W0 - timedelta(days=1)
    found = calls(
        presence("c1", M, t(15), t(16), None), presence("c1", R, t(15), t(16), None),
        presence("c1", C, t(15), t(16), None),
        presence("c2", M, t(15, day=before), t(16, day=before), None),
        presence("c2", R, t(15, day=before), t(16, day=before), None),
    )  # fmt: skip
    assert hours(found) == 0.0


def test_without_call_evidence_unscheduled_time_is_unknown() -> None:
    assert hours(None) is None
    assert hours(calls()) == 0.0


PRESENCES = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3"]),
        st.sampled_from([M, R, C]),
        st.sampled_from([K, OTHER, None]),
        st.integers(0, 6 * 60),  # minutes after 8:00
        st.integers(0, 90),  # minutes long
    ),
    max_size=12,
)


def _calls(rows: list[tuple[str, str, str | None, int, int]]) -> pl.DataFrame:
    stretches = [
        presence(call, email, t(8) + timedelta(minutes=start),
                 t(8) + timedelta(minutes=start + length), key)
        for call, email, key, start, length in rows
    ]  # fmt: skip
    return calls(*stretches)


@settings(max_examples=60, deadline=None)
@given(PRESENCES, st.data())
def test_the_order_of_call_records_changes_nothing(
    rows: list[tuple[str, str, str | None, int, int]], data: st.DataObject
) -> None:
    occ = occurrences(occurrence("o1", t(9)), occurrence("o2", t(11)),
                      occurrence("o3", t(13), key=None))  # fmt: skip
    shuffled = data.draw(st.permutations(rows))
    found = judged(occ, _calls(rows))
    assert found == judged(occ, _calls(shuffled))
    assert hours(_calls(rows), (K,)) == hours(_calls(shuffled), (K,))
    by_id = {oid: (attendance, minutes) for oid, attendance, minutes in found}
    assert by_id["o3"] == ("unknown", None)  # in person, whatever the calls
    for attendance, minutes in by_id.values():
        assert (minutes is not None) == (attendance == "attended")


def test_every_booked_link_of_a_pair_is_theirs_even_one_folded_into_another_booking() -> None:
    raw = pl.DataFrame(
        {
            "participants": [
                ["a@x.org", "b@x.org"],
                ["a@x.org", "b@x.org"],
                [],
                ["a@x.org", "c@x.org"],
            ],
            "meeting_key": ["series", "duplicate", "stub", None],
        },
        schema={"participants": pl.List(pl.String()), "meeting_key": pl.String()},
    )
    keys = copy_keys(raw).sort("meeting_key")
    assert keys.rows() == [("a@x.org", "b@x.org", "duplicate"), ("a@x.org", "b@x.org", "series")]
