"""Generate the sandbox organisation: people, 1:1s, planted cases, background meetings.

`generate_org` is deterministic: the same arguments give an identical organisation
(one `random.Random(seed)`, ids from the seed and counters, datetimes derived from the
anchor). The planted cases (`SandboxOrg.truth`) are what the metrics (README "What it
measures") give as of the anchor with default parameters, the org time zone UTC and a
roster whose line start dates are the reports' `hired_on`; a reference computation
checks this on every call.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from connectors.sandbox.background import add_background
from connectors.sandbox.builder import Builder
from connectors.sandbox.model import SandboxOrg, Truth
from connectors.sandbox.noise import add_noise
from connectors.sandbox.oneonones import Span, normal_lines, skip_and_peer
from connectors.sandbox.people import build_people
from connectors.sandbox.plan import Plan, make_plan
from connectors.sandbox.planted import cancel_pattern, planted_lines
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
    _validate(size, history_weeks, ahead_weeks, background)
    anchor = anchor or datetime.now(UTC).date()
    with _no_gc():
        org = _generate(seed, size, anchor, history_weeks, ahead_weeks, background)
    check_truth(org)
    return org


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic collector: the generator allocates hundreds of thousands of
    objects and no cycles, and repeated full collections would double its run time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _generate(
    seed: int, size: int, anchor: date, history_weeks: int, ahead_weeks: int, background: str
) -> SandboxOrg:
    span = Span(
        history_start=anchor - timedelta(weeks=history_weeks),
        anchor=anchor,
        horizon=anchor + timedelta(weeks=ahead_weeks),
    )
    rng = random.Random(seed)
    people = build_people(rng, size, anchor)
    plan = make_plan(rng, people, anchor)
    builder = Builder(seed)
    lines = normal_lines(rng, builder, people, plan, span)
    planted_lines(rng, builder, people, plan, span)
    cancel_pattern(rng, [ln for ln in lines if ln.manager == plan.chronic_manager.email], anchor)
    add_noise(rng, builder, [ln for ln in lines if not {ln.report, ln.manager} & plan.quiet], span)
    skip_and_peer(rng, builder, people, plan, span)
    if background != "none":
        add_background(rng, builder, people, span, background)
    return SandboxOrg(people, builder.instances, _truth(plan), anchor, span.history_start)


def _validate(size: int, history_weeks: int, ahead_weeks: int, background: str) -> None:
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
    )
