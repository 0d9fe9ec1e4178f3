"""Meetings on people's calendars that are not 1:1s.

None of them may look like a 1:1 to the pipeline: every background meeting has three
or more people, or one person (focus time, out of office), or a group address, or
someone outside the roster, or is all-day. `full` adds daily stand-ups, more focus
time and many project meetings (about 25 meetings a week per person) for benchmarks.
Team meetings are generated per team, the rest per person; group meetings of
colleagues come from `groups.py`.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from connectors.sandbox.builder import Builder, Meeting, every, latest_weekday
from connectors.sandbox.model import Instance, Member
from connectors.sandbox.names import LOCATIONS, filler
from connectors.sandbox.oneonones import Span, created_before, slot

VENDOR = "vendor@partner.example"


def team_meetings(
    rng: random.Random,
    builder: Builder,
    span: Span,
    manager: Member,
    team: list[Member],
    level: str,
) -> None:
    """The team's weekly meeting, its four-weekly all-day team day, and (`full`) a daily
    stand-up: `team` is the manager's active reports."""
    _team_series(rng, builder, span, manager, team, "Team meeting", 7, 60)
    _team_series(rng, builder, span, manager, team, "Team day", 28, 0)
    if level == "full":
        _team_series(rng, builder, span, manager, team, "Stand-up", 1, 15)


def personal(rng: random.Random, builder: Builder, span: Span, person: Member, level: str) -> None:
    """Focus time blocks (no attendees), now and then an out-of-office or a vendor call."""
    _personal(rng, builder, span, person, 2 if level == "full" else 1)


def _team_series(
    rng: random.Random,
    builder: Builder,
    span: Span,
    manager: Member,
    team: list[Member],
    title: str,
    period: int,
    minutes: int,
) -> None:
    """A recurring team meeting; members join from their hire date, rooms now and then."""
    if len(team) < 2:
        return  # with one report it would look like a 1:1
    weekday, at = slot(rng)
    first = span.history_start + timedelta(days=rng.randrange(min(period, 7)))
    if period > 1:
        first = latest_weekday(first + timedelta(days=6), weekday)
    days = [d for d in every(first, period, span.horizon) if d.isoweekday() <= 5]
    meeting = Meeting(
        organizer=manager.email,
        attendees=tuple(p.email for p in team),
        timezone=manager.timezone,
        minutes=minutes,
        title=title,
        description=filler(rng),
        location=rng.choice(LOCATIONS),
        rooms=(f"room-{rng.randint(1, 40)}@resource.example.com",) if rng.random() < 0.5 else (),
        all_day=minutes == 0,
    )
    made = builder.series(meeting, days, at, created_before(days[0]))
    _trim_before_hire(builder, made, {p.email: p.hired_on for p in team}, span.history_start)


def _trim_before_hire(
    builder: Builder, made: list[Instance], hired: dict[str, date], since: date
) -> None:
    """Drop attendees not yet hired; drop instances left with fewer than three people."""
    if all(h <= since for h in hired.values()):
        return
    gone = set()
    for instance in made:
        day = instance.start.date()
        instance.attendees = [a for a in instance.attendees if hired.get(a.email, since) <= day]
        if sum(1 for a in instance.attendees if not a.resource) < 2:
            gone.add(id(instance))
    if gone:
        builder.instances[:] = [i for i in builder.instances if id(i) not in gone]


def _personal(
    rng: random.Random, builder: Builder, span: Span, person: Member, focus_per_week: int
) -> None:
    """Focus time blocks (no attendees), now and then an out-of-office or a vendor call."""
    start = max(span.history_start, person.hired_on)
    for _ in range(focus_per_week if rng.random() < (1.0 if focus_per_week > 1 else 0.3) else 0):
        weekday, _at = slot(rng)
        days = list(every(latest_weekday(start + timedelta(days=6), weekday), 7, span.horizon))
        focus = Meeting(person.email, (), person.timezone, 120, "Focus time", kind="focusTime")
        builder.series(focus, days, time(rng.choice((8, 13, 14))), created_before(start))
    if rng.random() < 0.15 and (span.anchor - start).days > 30:
        _out_of_office(rng, builder, span, person, start)
    if rng.random() < 0.04:
        vendor = Meeting(person.email, (VENDOR,), person.timezone, 45, "Vendor sync")
        weekday, at = slot(rng)
        days = list(every(latest_weekday(start + timedelta(days=6), weekday), 14, span.horizon))
        builder.series(vendor, days, at, created_before(start))


def _out_of_office(
    rng: random.Random, builder: Builder, span: Span, person: Member, start: date
) -> None:
    days = rng.randint(2, 5)
    first = start + timedelta(days=rng.randrange((span.horizon - start).days - days))
    away = Meeting(
        person.email,
        (),
        person.timezone,
        days * 1440,
        "Out of office",
        kind="outOfOffice",
        show_as="oof",
    )
    builder.one_off(away, first, time(0), created_before(first))


def all_hands(builder: Builder, span: Span, ceo: Member) -> None:
    """Every four weeks, the CEO invites everyone through a group address."""
    meeting = Meeting(ceo.email, (), ceo.timezone, 60, "All hands", groups=("all@example.com",))
    first = latest_weekday(span.history_start + timedelta(days=6), 4)
    builder.series(meeting, list(every(first, 28, span.horizon)), time(9), created_before(first))
