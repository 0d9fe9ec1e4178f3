"""Manager–report 1:1 series, skip-level and peer 1:1s, and the odd one-off.

Every line's series is phased so that its last instance before the anchor falls 2–15
days before it: a report who is not planted as neglected always has a recent held 1:1,
whatever the cadence (weekly, biweekly or every four weeks).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from connectors.sandbox.builder import Builder, Meeting, every, latest_weekday, utc_midnight
from connectors.sandbox.model import Instance, Member
from connectors.sandbox.plan import Plan

CADENCES = (7, 7, 7, 7, 7, 7, 14, 14, 14, 28)
MINUTES = (30, 30, 30, 30, 45, 45, 60, 60, 90)


@dataclass
class Span:
    """The generated period: history start, anchor and the end of the look-ahead."""

    history_start: date
    anchor: date
    horizon: date


@dataclass
class Line:
    """The generated 1:1 series of one manager–report line."""

    report: str
    manager: str
    instances: list[Instance]


def line_days(span: Span, start: date, period: int, weekday: int, lag_weeks: int) -> list[date]:
    """Days of a series from `start` on, its last day before the anchor 2–15 days back."""
    last = latest_weekday(span.anchor - timedelta(days=2), weekday)
    last -= timedelta(days=7 * lag_weeks)
    first = last - timedelta(days=period * ((last - start).days // period))
    return list(every(first, period, span.horizon))


def slot(rng: random.Random) -> tuple[int, time]:
    """A random weekday (Mon–Fri) and local working-hours start time."""
    return rng.randint(1, 5), time(rng.randint(9, 16), rng.choice((0, 30)))


def agenda(rng: random.Random, builder: Builder) -> dict[str, object]:
    """Description/attachment/room fields of a 1:1: some carry a running agenda doc."""
    roll = rng.random()
    fields: dict[str, object] = {}
    if roll < 0.3:
        fields["description"] = f"Notes: https://docs.example.com/d/{builder.new_id()}"
    elif roll < 0.35:
        fields["has_attachment"] = True
    if rng.random() < 0.06:
        fields["rooms"] = (f"room-{rng.randint(1, 40)}@resource.example.com",)
        fields["location"] = "Room by the window"
    return fields


def one_on_one(
    rng: random.Random, builder: Builder, organizer: Member, other: Member, minutes: int
) -> Meeting:
    """A 1:1 between two people, in the organizer's zone."""
    return Meeting(
        organizer=organizer.email,
        attendees=(other.email,),
        timezone=organizer.timezone,
        minutes=minutes,
        title=rng.choice(("1:1", f"{organizer.name} / {other.name}", "Weekly catch-up")),
        **agenda(rng, builder),  # type: ignore[arg-type]
    )


def created_before(first: date) -> datetime:
    """When a series was booked: a week before its first instance."""
    return utc_midnight(first) - timedelta(days=7, hours=-9)


def line_start(report: Member, manager: Member, span: Span) -> date:
    """The first day a line's 1:1s may take place: after both hires and history start."""
    return max(report.hired_on + timedelta(days=3), manager.hired_on, span.history_start)


def normal_line(
    rng: random.Random, builder: Builder, report: Member, manager: Member, plan: Plan, span: Span
) -> Line:
    """The series of a line whose report is not planted (weekly for the chronic manager)."""
    forced = manager.email == plan.chronic_manager.email
    period = 7 if forced else rng.choice(CADENCES)
    minutes = rng.choice(MINUTES)
    organizer, other = (manager, report) if forced or rng.random() < 0.8 else (report, manager)
    weekday, at = slot(rng)
    days = line_days(span, line_start(report, manager, span), period, weekday, rng.randrange(2))
    meeting = one_on_one(rng, builder, organizer, other, minutes)
    made = builder.series(meeting, days, at, created_before(days[0]))
    return Line(report.email, manager.email, made)


def skip_and_peer(
    rng: random.Random,
    builder: Builder,
    person: Member,
    boss: Member | None,
    peers: list[Member],
    span: Span,
) -> None:
    """Now and then a skip-level series with `boss` (every four weeks) and a biweekly
    peer 1:1 with one of `peers` (the manager's other active, unplanted reports)."""
    if boss is not None and rng.random() < 0.1:
        _extra_series(rng, builder, span, boss, person, 28)
    if len(peers) > 1 and rng.random() < 0.05:
        peer = rng.choice([p for p in peers if p is not person])
        _extra_series(rng, builder, span, person, peer, 14)


def _extra_series(
    rng: random.Random, builder: Builder, span: Span, organizer: Member, other: Member, period: int
) -> None:
    start = max(organizer.hired_on, other.hired_on, span.history_start) + timedelta(days=3)
    weekday, at = slot(rng)
    days = line_days(span, start, period, weekday, rng.randrange(2))
    builder.series(
        one_on_one(rng, builder, organizer, other, 30), days, at, created_before(days[0])
    )
