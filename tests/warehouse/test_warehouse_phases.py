"""Relationship phases, adherence and gap_cv, with hand-computed values.

Lines are built through the warehouse (real DuckDB) from literal rosters and 1:1s;
the rules the roster cannot easily reach (a title change after the line reached
maintain, a line without data) go through `with_phases` on literal frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl
import pytest
from wh_factory import BOSS, SYNC, M, R, at, batch, obs, pair_row, snapshot_frame, weekly

from connectors.model import Observation, Person
from warehouse import explain_pair
from warehouse.db import Warehouse
from warehouse.gaps import gap_metrics
from warehouse.params import BuildContext, PhaseParams
from warehouse.phases import with_phases
from warehouse.roster import title_changes

AS_OF = date(2030, 1, 7)
HISTORY = AS_OF - timedelta(days=180)
W0 = AS_OF - timedelta(days=90)

Roster = dict[str, tuple[str | None, date | None, str | None]]  # email → manager, start, title


def build(
    snapshots: Sequence[tuple[date, Roster]], held: Sequence[Observation], as_of: date = AS_OF
) -> Warehouse:
    """A warehouse with the roster snapshots and the held 1:1s (one calendar each
    for a manager), built as of `as_of` with the synced history from HISTORY."""
    wh = Warehouse(":memory:")
    for taken_on, people in snapshots:
        roster = [
            Person(email, email, manager, "google", start, title)
            for email, (manager, start, title) in people.items()
        ]
        wh.snapshot_roster(roster, taken_on)
    for organizer in sorted({o.calendar_email for o in held}):
        mine = [o for o in held if o.calendar_email == organizer]
        wh.store_calendar(batch(mine, calendar=organizer), SYNC)
    wh.build(BuildContext(as_of=as_of, history_start=HISTORY))
    return wh


def phase_of(wh: Warehouse, report: str = R) -> tuple[object, ...]:
    row = pair_row(wh, report)
    return tuple(
        row[c] for c in ("phase", "phase_since", "expected_in_window", "adherence", "behind_phase")
    )


def line_from(start: date | None, title: str | None = None) -> Roster:
    return {BOSS: (None, None, "Director"), M: (BOSS, None, "Manager"), R: (M, start, title)}


def test_a_new_report_met_twice_in_two_months_is_getting_to_know_and_behind() -> None:
    start = AS_OF - timedelta(days=60)
    held = [obs(at(start + timedelta(days=10))), obs(at(start + timedelta(days=40)))]
    wh = build([(start, line_from(start))], held)
    phase, since, expected, adherence, behind = phase_of(wh)
    # 60 days of W since the start, one 1:1 expected every 7: 8.57; 2 held.
    assert (phase, since, behind) == ("get_to_know", start, True)
    assert expected == pytest.approx(60 / 7)
    assert adherence == pytest.approx(2 / (60 / 7))  # 0.233 < 0.5
    assert pair_row(wh)["gap_cv"] is None  # one gap


def test_three_held_start_sharing_context_until_120_days_after_the_start() -> None:
    start = AS_OF - timedelta(days=100)
    held = weekly(start + timedelta(days=7), 13)  # start + 7, + 14, … + 91
    wh = build([(start, line_from(start))], held)
    phase, since, expected, adherence, behind = phase_of(wh)
    assert (phase, since, behind) == ("share_context", start + timedelta(days=21), False)
    assert expected == pytest.approx(90 / 7)  # the whole window is on the line
    # held in W [start + 10, start + 100): start + 14 … start + 91, 12 of them.
    assert adherence == pytest.approx(12 / (90 / 7))
    assert pair_row(wh)["gap_cv"] == 0.0  # every gap 7 days


def test_past_120_days_the_line_maintains_since_the_day_sharing_context_ended() -> None:
    start = AS_OF - timedelta(days=130)
    held = weekly(start + timedelta(days=7), 17)  # up to start + 119
    wh = build([(start, line_from(start))], held)
    phase, since, expected, adherence, behind = phase_of(wh)
    assert (phase, since, behind) == ("maintain", start + timedelta(days=120), False)
    assert expected == pytest.approx(90 / 14)
    assert adherence == 1.0  # 10 held against 6.4 expected: capped


def test_a_line_that_predates_the_synced_history_maintains_without_a_start() -> None:
    held = weekly(AS_OF - timedelta(days=70), 4, calendar=M)
    old_hire = {**line_from(None), "r2@x.org": (M, date(2021, 3, 1), None)}
    wh = build([(date(2029, 1, 1), old_hire)], held)
    assert phase_of(wh)[:2] == ("maintain", None)
    assert phase_of(wh, "r2@x.org")[:2] == ("maintain", None)  # started before HISTORY
    # 4 held against 90 / 14 = 6.43 expected: adherence 0.62, not behind.
    assert phase_of(wh)[3] == pytest.approx(4 / (90 / 14))
    assert phase_of(wh)[4] is False
    # Nothing held, 6.43 expected: behind.
    assert phase_of(wh, "r2@x.org")[3:] == (0.0, True)


def test_a_title_change_30_days_ago_moves_a_maintain_line_back_to_share_context() -> None:
    changed = AS_OF - timedelta(days=30)
    snapshots = [
        (date(2029, 1, 1), line_from(None, "Engineer")),
        (changed - timedelta(days=7), line_from(None, None)),  # a snapshot without a title
        (changed, line_from(None, "Senior Engineer")),
    ]
    wh = build(snapshots, weekly(AS_OF - timedelta(days=63), 9))
    phase, since, expected, adherence, behind = phase_of(wh)
    assert (phase, since, behind) == ("share_context", changed, False)
    assert expected == pytest.approx(90 / 7)
    assert adherence == pytest.approx(9 / (90 / 7))  # 0.7


def test_a_change_of_manager_starts_a_new_line_at_get_to_know() -> None:
    changed = AS_OF - timedelta(days=20)
    before = {BOSS: (None, None, None), M: (BOSS, None, None), R: (BOSS, None, None)}
    with_boss = weekly(AS_OF - timedelta(days=84), 9, calendar=BOSS, organizer=BOSS,
                       pair=(BOSS, R), series="b")  # fmt: skip
    with_m = [obs(at(changed + timedelta(days=6)))]
    wh = build([(date(2029, 1, 1), before), (changed, line_from(None))], [*with_boss, with_m[0]])
    phase, since, expected, adherence, behind = phase_of(wh)
    assert (pair_row(wh)["manager_email"], phase, since) == (M, "get_to_know", changed)
    assert expected == pytest.approx(20 / 7)  # only W's days on the new line
    assert adherence == pytest.approx(1 / (20 / 7))  # 0.35: behind
    assert behind is True


def test_a_line_not_yet_expected_to_meet_once_is_not_behind() -> None:
    start = AS_OF - timedelta(days=5)
    wh = build([(start, line_from(start))], [obs(at(AS_OF - timedelta(days=60)), pair=(M, BOSS))])
    assert phase_of(wh) == ("get_to_know", start, pytest.approx(5 / 7), 0.0, False)


def test_gap_cv_is_the_sample_deviation_over_the_mean_of_the_window_gaps() -> None:
    days = [W0 + timedelta(days=d) for d in (1, 8, 22, 29)]  # gaps 7, 14, 7
    held = pl.DataFrame(
        {"manager_email": M, "report_email": R, "local_date": days, "start": [at(d) for d in days]}
    )
    cv = gap_metrics(held, W0, AS_OF)["gap_cv"][0]
    mean = 28 / 3
    sample_sd = (((7 - mean) ** 2 * 2 + (14 - mean) ** 2) / 2) ** 0.5  # 4.04
    assert cv == pytest.approx(sample_sd / mean)  # 0.433
    two_gaps = gap_metrics(held.head(3), W0, AS_OF)["gap_cv"][0]
    assert two_gaps is None


def test_title_changes_keep_the_last_change_before_as_of_and_skip_missing_titles() -> None:
    def snap(day: date, title: str | None) -> pl.DataFrame:
        return snapshot_frame([Person(R, "R", M, "google", None, title)], day)

    days = [date(2029, 1, d) for d in (1, 8, 15, 22, 29)]
    titles = [None, "Engineer", None, "Engineer", "Lead"]  # first title, gap, same, change
    snapshots = pl.concat([snap(d, t) for d, t in zip(days, titles, strict=True)])
    assert title_changes(snapshots, date(2029, 2, 1)).rows() == [(R, date(2029, 1, 29))]
    assert title_changes(snapshots, date(2029, 1, 28)).is_empty()


def figures(**columns: object) -> pl.DataFrame:
    """One line's figures as `pair_figures` leaves them for the phases."""
    row = {"manager_email": M, "report_email": R, "valid_from": None, "held": 0,
           "known_on": None, "data": "ok"} | columns  # fmt: skip
    schema = {"valid_from": pl.Date, "known_on": pl.Date, "held": pl.Int64}
    return pl.DataFrame([row], schema_overrides=schema)


def phases(frame: pl.DataFrame, changed_on: date | None = None) -> dict[str, object]:
    changes = pl.DataFrame(
        {
            "report_email": [R] if changed_on else [],
            "title_changed_on": [changed_on] if changed_on else [],
        },
        schema={"report_email": pl.String, "title_changed_on": pl.Date},
    )
    ctx = BuildContext(as_of=AS_OF, phases=PhaseParams())
    return with_phases(frame, ctx, HISTORY, changes).row(0, named=True)


def test_a_title_change_after_reaching_maintain_reopens_share_context_from_that_day() -> None:
    start, known = AS_OF - timedelta(days=170), AS_OF - timedelta(days=160)
    line = figures(valid_from=start, held=12, known_on=known)
    assert (phases(line)["phase"], phases(line)["phase_since"]) == (
        "maintain",
        start + timedelta(days=120),
    )
    reopened = phases(line, changed_on=AS_OF - timedelta(days=10))
    assert (reopened["phase"], reopened["phase_since"]) == (
        "share_context",
        AS_OF - timedelta(days=10),
    )
    before_the_line = phases(line, changed_on=start - timedelta(days=1))
    assert before_the_line["phase"] == "maintain"  # a change before the line does not count


def test_a_title_change_while_sharing_context_extends_it_from_the_same_day() -> None:
    start, known = AS_OF - timedelta(days=150), AS_OF - timedelta(days=140)
    line = figures(valid_from=start, held=12, known_on=known)
    extended = phases(line, changed_on=start + timedelta(days=60))  # ends at start + 180
    assert (extended["phase"], extended["phase_since"]) == ("share_context", known)


def test_a_line_without_data_has_a_phase_but_no_adherence() -> None:
    row = phases(figures(valid_from=AS_OF - timedelta(days=30), data="none"))
    assert (row["phase"], row["expected_in_window"]) == ("get_to_know", pytest.approx(30 / 7))
    assert (row["adherence"], row["behind_phase"]) == (None, None)


def test_explain_shows_the_phase_and_why() -> None:
    start = AS_OF - timedelta(days=60)
    held = [obs(at(start + timedelta(days=10))), obs(at(start + timedelta(days=40)))]
    wh = build([(start, line_from(start))], held)
    text = explain_pair(wh, R, BuildContext(as_of=AS_OF, history_start=HISTORY))
    assert f"phase = get_to_know: 2 of 3 held 1:1s since the line started on {start}" in text
    assert "a 1:1 every 7 days in get_to_know) = 8.57; held 2" in text
    assert "adherence = min(1, held / expected) = 0.23; behind_phase = True" in text
    assert "gap_cv = sample standard deviation / mean of the gaps in the window = null" in text

    later = AS_OF + timedelta(days=10)
    wh = build([(start, line_from(start))], weekly(start + timedelta(days=7), 9), later)
    text = explain_pair(wh, R, BuildContext(as_of=later, history_start=HISTORY))
    assert (
        f"phase = share_context since {start + timedelta(days=21)} (held 1:1 number 3) until "
        f"{start + timedelta(days=120)} (120 days after the line started on {start})"
    ) in text
