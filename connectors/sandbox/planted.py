"""The 1:1s of the planted cases, with margins wide enough that noise cannot blur them.

- the chronic canceler manager cancels two of every three past instances of each
  report's weekly 1:1 (the last one before the anchor held, so no report is neglected);
- the chronic canceler report declines every other past instance;
- neglected reports' series stopped 50–86 days before the anchor;
- the never-met report and both new hires have no 1:1 at all;
- the changed report met the old manager weekly until the change, then the new one;
- the late-night report organizes a weekly 1:1 at 23:30 America/Los_Angeles (the next
  day in UTC).
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from connectors.sandbox.builder import Builder, latest_weekday
from connectors.sandbox.model import Instance, Member
from connectors.sandbox.oneonones import (
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
    return []  # the never-met report and the new hires: no 1:1 at all


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
) -> list[Instance]:
    weekday, default_at = slot(rng)
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
    first = latest_weekday(plan.changed_on + timedelta(days=7), rng.randint(1, 5))
    after = _weekly(rng, builder, span, report, new, start=first)
    return [before_line, Line(report.email, new.email, after)]


def _late_night(
    rng: random.Random, builder: Builder, span: Span, report: Member, manager: Member
) -> Line:
    start = line_start(report, manager, span)
    days = line_days(span, start, 7, rng.randint(1, 4), 0)
    meeting = one_on_one(rng, builder, report, manager, 30)
    made = builder.series(meeting, days, time(23, 30), created_before(days[0]))
    return Line(report.email, manager.email, made)
