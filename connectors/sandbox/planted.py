"""The 1:1s of the planted cases, with margins wide enough that noise cannot blur them.

- the chronic canceler manager cancels two of every three past instances of each
  report's weekly 1:1 (the last one before the anchor held, so no report is neglected);
- the chronic canceler report declines every other past instance;
- neglected reports' series stopped 50–86 days before the anchor;
- the never-met report and both new hires have no 1:1 at all;
- the under-served report, hired 55–65 days before the anchor, is met every four
  weeks from a month in: twice so far, the last time 2–8 days before the anchor;
- the changed report met the old manager weekly until the change, then the new one
  weekly from a week or two later: twice so far, so the new line is still getting to
  know each other;
- every line of the falling subtree is weekly and skips the three weeks before the
  anchor (the series ended; a new one resumes after it), its last held 1:1 22–28
  days back: each line's coverage is 5 workdays lower than a week earlier, and none
  is neglected;
- the late-night report organizes a weekly 1:1 at 23:30 America/Los_Angeles (the next
  day in UTC).
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from connectors.sandbox.builder import Builder, every, latest_weekday
from connectors.sandbox.model import Instance, Member
from connectors.sandbox.oneonones import (
    MINUTES,
    Line,
    Span,
    created_before,
    line_days,
    line_start,
    one_on_one,
    slot,
)
from connectors.sandbox.plan import Plan


def planted_line(
    rng: random.Random,
    builder: Builder,
    report: Member,
    manager: Member,
    plan: Plan,
    span: Span,
    old_manager: Member | None = None,
) -> list[Line]:
    """The series of a planted report's line (`old_manager`: the changed report's)."""
    if report.email in plan.neglected:
        made = _weekly(rng, builder, span, report, manager)
        return [_stop(builder, Line(report.email, manager.email, made), span, _days(plan, report))]
    if report.email == plan.chronic_report.email:
        return [_chronic_report(rng, builder, span, report, manager)]
    if report.email == plan.changed.email and old_manager is not None:
        return _manager_change(rng, builder, span, plan, report, old_manager, manager)
    if report.email == plan.suspended.email:
        made = _weekly(rng, builder, span, report, manager)
        return [_stop(builder, Line(report.email, manager.email, made), span, 40)]
    if report.email == plan.late_night.email:
        return [_late_night(rng, builder, span, report, manager)]
    if report.email == plan.under_served.email:
        return [_under_served(rng, builder, span, report, manager)]
    return []  # the never-met report and the new hires: no 1:1 at all


FALLING_WEEKS = 3  # the falling subtree's lines skip the weeks before the anchor


def falling_line(
    rng: random.Random, builder: Builder, report: Member, manager: Member, span: Span
) -> Line:
    """A weekly line of the falling subtree: its series ends before the last
    `FALLING_WEEKS` weeks before the anchor and a new one resumes the day after it (a
    local date on the anchor may fall before it in UTC)."""
    weekday, at = slot(rng)
    days = line_days(span, line_start(report, manager, span), 7, weekday, 0)
    gap_from = span.anchor - timedelta(weeks=FALLING_WEEKS)
    organizer, other = (manager, report) if rng.random() < 0.8 else (report, manager)
    meeting = one_on_one(rng, builder, organizer, other, rng.choice(MINUTES))
    made = []
    for part in ([d for d in days if d < gap_from], [d for d in days if d > span.anchor]):
        made += builder.series(meeting, part, at, created_before(part[0])) if part else []
    return Line(report.email, manager.email, made)


def _days(plan: Plan, report: Member) -> int:
    return plan.neglected[report.email]


def cancel_pattern(rng: random.Random, lines: list[Line], anchor: date) -> None:
    """The chronic manager cancels 2 of 3 past instances, counting back from a held one."""
    for line in lines:
        past = [i for i in line.instances if i.start.date() < anchor]
        for back, instance in enumerate(reversed(past)):
            if back % 3:
                instance.cancelled = True
                instance.cancelled_at = instance.start - timedelta(hours=rng.randint(1, 72))
                instance.updated_at = instance.cancelled_at


def _weekly(
    rng: random.Random,
    builder: Builder,
    span: Span,
    report: Member,
    manager: Member,
    start: date | None = None,
    at: time | None = None,
    weekday: int | None = None,
) -> list[Instance]:
    random_weekday, default_at = slot(rng)
    weekday = weekday or random_weekday
    first = start or line_start(report, manager, span)
    days = line_days(span, first, 7, weekday, 0)
    meeting = one_on_one(rng, builder, manager, report, 30)
    return builder.series(meeting, days, at or default_at, created_before(days[0]))


def _stop(builder: Builder, line: Line, span: Span, days_before: int) -> Line:
    """Drop the instances from `days_before` the anchor on (the series was ended)."""
    cutoff = span.anchor - timedelta(days=days_before)
    kept = [i for i in line.instances if i.start.date() < cutoff]
    dropped = {id(i) for i in line.instances} - {id(i) for i in kept}
    builder.instances[:] = [i for i in builder.instances if id(i) not in dropped]
    return Line(line.report, line.manager, kept)


def _chronic_report(
    rng: random.Random, builder: Builder, span: Span, report: Member, manager: Member
) -> Line:
    made = _weekly(rng, builder, span, report, manager)
    past = [i for i in made if i.start.date() < span.anchor]
    for back, instance in enumerate(reversed(past)):
        if back % 2:
            instance.attendees[0].response = "declined"
            answered = instance.start - timedelta(hours=rng.randint(2, 48))
            instance.attendees[0].responded_at = instance.updated_at = answered
    return Line(report.email, manager.email, made)


def _manager_change(
    rng: random.Random,
    builder: Builder,
    span: Span,
    plan: Plan,
    report: Member,
    old: Member,
    new: Member,
) -> list[Line]:
    before = _weekly(rng, builder, span, report, old)
    cut = (span.anchor - plan.changed_on).days
    before_line = _stop(builder, Line(report.email, old.email, before), span, cut)
    # Two instances before the anchor, the last 2–7 days back: none on the anchor's eve
    # or the anchor itself, which may fall on the other side of it in UTC.
    near = {(span.anchor - timedelta(days=back)).isoweekday() for back in (0, 1)}
    weekday = rng.choice([day for day in range(1, 6) if day not in near])
    last = latest_weekday(span.anchor - timedelta(days=2), weekday)
    first = last - timedelta(days=7)
    after = _weekly(rng, builder, span, report, new, start=first, weekday=weekday)
    return [before_line, Line(report.email, new.email, after)]


def _under_served(
    rng: random.Random, builder: Builder, span: Span, report: Member, manager: Member
) -> Line:
    weekday, at = slot(rng)
    last = latest_weekday(span.anchor - timedelta(days=2), weekday)
    days = list(every(last - timedelta(days=28), 28, span.horizon))
    meeting = one_on_one(rng, builder, manager, report, 30)
    made = builder.series(meeting, days, at, created_before(days[0]))
    return Line(report.email, manager.email, made)


def _late_night(
    rng: random.Random, builder: Builder, span: Span, report: Member, manager: Member
) -> Line:
    start = line_start(report, manager, span)
    days = line_days(span, start, 7, rng.randint(1, 4), 0)
    meeting = one_on_one(rng, builder, report, manager, 30)
    made = builder.series(meeting, days, time(23, 30), created_before(days[0]))
    return Line(report.email, manager.email, made)
