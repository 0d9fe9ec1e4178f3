"""Generate the sandbox organisation: people up front, calendars on demand.

`generate_org` is deterministic: the same arguments give an identical organisation.
The people, reporting lines, zones, hire dates and planted roles are built up front
with one `random.Random(seed)`; every calendar is assembled on demand from units of
meetings, each generated from a seed derived from the org seed and the unit's ids
(`structure.py`, `units.py`), so calendars come out the same in any order of
requests, and a meeting shared by several calendars is the same on each.

The planted cases (`SandboxOrg.truth`) are what the metrics (README "What it
measures") give as of the anchor with default parameters, the org time zone UTC and a
roster whose line start dates are the reports' `hired_on`; a reference computation
checks this on every call. Up to `plan.WHOLE_ORG_PART` people the roles are picked
from, and the check runs over, the whole organisation. In a larger one the roles are
picked inside the *planted part* (a subtree of at most `plan.PART_LIMIT` people) and
the check runs over the calendars of that part alone: every line whose report is in
it, with everything on those calendars, compared on the people of the part. (The
rest of the org has the same everyday 1:1s and noise, whose margins keep every report
met recently and every person's cancellations under the chronic rate.)
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from connectors.sandbox.calendars import LazyCalendars
from connectors.sandbox.model import SandboxOrg, Truth
from connectors.sandbox.oneonones import Span
from connectors.sandbox.people import build_people
from connectors.sandbox.plan import WHOLE_ORG_PART, Plan, make_plan
from connectors.sandbox.structure import Structure
from connectors.sandbox.truth import check_truth

MIN_SIZE = 40
BACKGROUNDS = ("none", "normal", "full")


def generate_org(
    seed: int = 7,
    size: int = 200,
    anchor: date | None = None,
    history_weeks: int = 26,
    ahead_weeks: int = 4,
    background: str = "normal",
) -> SandboxOrg:
    """A synthetic organisation of about `size` people as of `anchor` (default: today UTC).

    `background` is "normal" (a realistic sprinkle of other meetings), "full" (about 25
    meetings a week per person, for benchmarks) or "none". Raises `ValueError` for
    arguments it cannot honour and `TruthMismatchError` if the planted cases are not what
    the metric rules compute (a generator bug).
    """
    _validate(seed, size, history_weeks, ahead_weeks, background)
    anchor = anchor or datetime.now(UTC).date()
    span = Span(
        history_start=anchor - timedelta(weeks=history_weeks),
        anchor=anchor,
        horizon=anchor + timedelta(weeks=ahead_weeks),
    )
    rng = random.Random(seed)
    people = build_people(rng, size, anchor)
    plan = make_plan(rng, people, anchor)
    calendars = LazyCalendars(Structure.of(seed, span, background, people, plan))
    org = SandboxOrg(people, calendars, _truth(plan), anchor, span.history_start)
    with no_gc():
        check_truth(org, None if size <= WHOLE_ORG_PART else plan.part)
    return org


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic collector: generating calendars allocates hundreds of thousands
    of objects and no cycles, and repeated full collections would double its run time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validate(seed: int, size: int, history_weeks: int, ahead_weeks: int, background: str) -> None:
    if seed < 0:
        raise ValueError("seed must not be negative")
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE} to hold every planted case")
    if history_weeks < 16:
        raise ValueError("history_weeks must be at least 16 (the 90-day window and margins)")
    if ahead_weeks < 1:
        raise ValueError("ahead_weeks must be at least 1")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {', '.join(BACKGROUNDS)}")


def _truth(plan: Plan) -> Truth:
    """The planted sets, stated from the roles (not computed from the instances)."""
    never_met = {plan.never_met.email, plan.new_hire_overdue.email, plan.new_hire_recent.email}
    fresh = {plan.under_served.email, plan.changed.email}
    return Truth(
        neglected={*plan.neglected, plan.never_met.email},
        chronic_cancelers={plan.chronic_manager.email, plan.chronic_report.email},
        intro_overdue={plan.new_hire_overdue.email, plan.never_met.email},
        never_met=never_met,
        manager_change=(
            plan.changed.email,
            plan.old_manager,
            plan.changed.manager_email or "",
            plan.changed_on,
        ),
        # the never-met report was hired years ago: a line older than the synced
        # history is maintained, whatever its 1:1s
        get_to_know={plan.new_hire_overdue.email, plan.new_hire_recent.email} | fresh,
        under_served={plan.under_served.email},
        falling_subtree=plan.falling_root.email,
    )
