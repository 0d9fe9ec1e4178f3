"""Everyday noise on the 1:1s of people who are not planted.

Cancellations, declines, removed copies, moved instances, rebooked ("replaced")
instances and extra one-offs, decided line by line from the line's own generator.
Margins keep the planted truth intact: no noise in the 21 days before the anchor (so
every such report has a recent held 1:1), none near the window's start, never on two
instances of a series in a row, and on each line a person initiates a cancellation
or decline inside the window only while that stays under 12% of the line's 1:1s there
(so under 12% of all their 1:1s there too; the chronic threshold is 25%). One line
of the plan always gets an extra one-off deleted outright, early in the history
(outside the window), so every org has one, and a line per provider one booked in
the weeks ahead.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, time, timedelta

from connectors.sandbox.builder import Builder, Meeting, to_local
from connectors.sandbox.model import Instance
from connectors.sandbox.oneonones import Line, Span

RATE = 0.06
BUDGET = 0.12
ACTIONS = ("cancel", "decline", "remove", "move", "move", "replace")


def add_noise(
    rng: random.Random,
    builder: Builder,
    line: Line,
    span: Span,
    deleted_one_off: bool = False,
    booked_ahead: bool = False,
) -> None:
    """Apply noise to one line's series (not a planted person's)."""
    exposure = sum(
        1
        for i in line.instances
        if span.anchor - timedelta(days=86) <= i.start.date() <= span.anchor - timedelta(days=3)
    )
    initiated: Counter[str] = Counter()
    noisy: list[date] = []
    skip_next = False
    for instance in list(line.instances):
        day = instance.start.date()
        if skip_next or not _eligible(day, span) or rng.random() >= RATE:
            skip_next = False
            continue
        action = rng.choice(ACTIONS)
        initiator = _initiator(action, instance)
        if initiator and _in_window(day, span.anchor):
            if initiated[initiator] + 1 > BUDGET * exposure:
                continue
            initiated[initiator] += 1
        _apply(rng, builder, action, instance)
        noisy.append(day)
        skip_next = True
    extras = _extra_one_off(rng, builder, line, noisy, span)
    if deleted_one_off:
        extras += _early_deleted_one_off(rng, builder, line, noisy, span)
    if booked_ahead:
        extras += _first_one_off(rng, builder, line, noisy, span.anchor + timedelta(days=3), span)
    for extra in extras:
        if extra.deleted:  # a day and a half ahead, or as soon as it was booked
            extra.cancelled_at = max(extra.created_at, extra.start - timedelta(hours=36))


def _eligible(day: date, span: Span) -> bool:
    before = (span.anchor - day).days
    return not (-1 <= before <= 21 or 84 <= before <= 96)


def _in_window(day: date, anchor: date) -> bool:
    return 0 < (anchor - day).days <= 97


def _initiator(action: str, instance: Instance) -> str | None:
    if action == "cancel":
        return instance.organizer
    if action in ("decline", "remove"):
        return instance.attendees[0].email
    return None


def _apply(rng: random.Random, builder: Builder, action: str, instance: Instance) -> None:
    if action in ("cancel", "replace"):
        instance.cancelled = True
        instance.cancelled_at = instance.start - timedelta(hours=rng.randint(1, 120))
        instance.updated_at = instance.cancelled_at
        if action == "replace":
            _rebook(rng, builder, instance)
    elif action == "decline":
        instance.attendees[0].response = "declined"
        instance.attendees[0].responded_at = instance.start - timedelta(hours=rng.randint(1, 96))
        instance.updated_at = instance.attendees[0].responded_at
    elif action == "remove":
        instance.removed_by.add(instance.attendees[0].email)
    else:
        shift = rng.choice((timedelta(hours=rng.randint(1, 3)), timedelta(days=rng.randint(1, 2))))
        instance.updated_at = instance.original_start - timedelta(hours=rng.randint(2, 72))
        instance.start += shift
        instance.end += shift


def _rebook(rng: random.Random, builder: Builder, cancelled: Instance) -> None:
    """The pair books a one-off 1–5 days later, at the moment of the cancellation."""
    made = builder.one_off(
        _meeting_of(cancelled),
        _local_date(cancelled) + timedelta(days=rng.randint(1, 5)),
        _local_time(cancelled),
        cancelled.cancelled_at or cancelled.start,
    )
    made.description = cancelled.description


def _extra_one_off(
    rng: random.Random, builder: Builder, line: Line, noisy: list[date], span: Span
) -> list[Instance]:
    """Now and then an extra one-off 1:1, far from any noise (so it replaces nothing)."""
    if not line.instances or rng.random() >= 0.06:
        return []
    day = span.history_start + timedelta(
        days=rng.randrange((span.horizon - span.history_start).days)
    )
    return _one_off_on(rng, builder, line, noisy, day, rng.random() < 0.1)


def _early_deleted_one_off(
    rng: random.Random, builder: Builder, line: Line, noisy: list[date], span: Span
) -> list[Instance]:
    """A one-off deleted outright, on the first free weekday in the history before the
    window (none when the line is too young)."""
    first = span.history_start + timedelta(days=rng.randrange(14))
    return _first_one_off(rng, builder, line, noisy, first, span, deleted=True)


def _first_one_off(
    rng: random.Random,
    builder: Builder,
    line: Line,
    noisy: list[date],
    first: date,
    span: Span,
    deleted: bool = False,
) -> list[Instance]:
    """A one-off on the first free weekday from `first` (deleted ones before the window,
    others before the horizon); none when there is no such day."""
    last = span.anchor - timedelta(days=100) if deleted else span.horizon - timedelta(days=1)
    day = first
    while day <= last:
        made = _one_off_on(rng, builder, line, noisy, day, deleted)
        if made:
            return made
        day += timedelta(days=1)
    return []


def _one_off_on(
    rng: random.Random, builder: Builder, line: Line, noisy: list[date], day: date, deleted: bool
) -> list[Instance]:
    model = line.instances[0] if line.instances else None
    if (
        model is None
        or day.isoweekday() > 5
        or day < model.start.date() + timedelta(days=3)
        or any(abs((day - n).days) < 10 for n in noisy)
    ):
        return []
    made = builder.one_off(_meeting_of(model), day, _local_time(model), model.created_at)
    made.created_at = made.updated_at = made.start - timedelta(days=rng.randint(1, 10))
    made.deleted = deleted
    return [made]


def _meeting_of(instance: Instance) -> Meeting:
    humans = tuple(a.email for a in instance.attendees if not (a.resource or a.group))
    rooms = tuple(a.email for a in instance.attendees if a.resource)
    minutes = int((instance.end - instance.start).total_seconds() // 60)
    return replace(
        Meeting(instance.organizer, humans, instance.timezone, minutes, title=instance.title),
        rooms=rooms,
        location=instance.location,
        has_attachment=instance.has_attachment,
    )


def _local_date(instance: Instance) -> date:
    return to_local(instance.original_start, instance.timezone).date()


def _local_time(instance: Instance) -> time:
    return to_local(instance.original_start, instance.timezone).time()
