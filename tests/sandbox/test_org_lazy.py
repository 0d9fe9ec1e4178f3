"""Calendars generated on demand: any order, shared meetings, mutations kept, large orgs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from connectors.sandbox import calendars
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.mutations import cancel_instance, one_on_ones
from connectors.sandbox.org import generate_org
from connectors.sandbox.people import build_people
from connectors.sandbox.plan import PART_LIMIT, make_plan, planted_part
from connectors.sandbox.units import unit_of
from tests.sandbox.org_helpers import is_one_on_one

ANCHOR = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _org() -> SandboxOrg:
    return generate_org(seed=5, size=80, anchor=ANCHOR)


@pytest.fixture(scope="module")
def org() -> SandboxOrg:
    return _org()


def test_calendars_are_the_same_whatever_order_they_are_asked_in(org: SandboxOrg) -> None:
    emails = [p.email for p in org.people]
    shuffled = emails[:]
    random.Random(1).shuffle(shuffled)
    other = _org()
    assert {e: org.calendar(e) for e in emails} == {e: other.calendar(e) for e in shuffled}


def test_a_meeting_is_the_same_on_every_calendar_that_holds_it(org: SandboxOrg) -> None:
    seen: dict[str, object] = {}
    shared = 0
    for person in org.people:
        for instance in org.calendar(person.email):
            if instance.uid in seen:
                assert seen[instance.uid] == instance
                shared += 1
            seen[instance.uid] = instance
    assert shared > 1000  # 1:1s, team and group meetings, each on several calendars


def test_the_calendars_together_hold_every_instance_of_the_org() -> None:
    lazy = _org()
    gathered = {i.uid: i for p in lazy.people for i in lazy.calendar(p.email)}
    everything = {i.uid: i for i in lazy.instances}
    assert gathered == everything
    assert all(i.organizer in {p.email for p in lazy.people} for i in everything.values())


def test_every_id_names_the_unit_that_regenerates_it(org: SandboxOrg) -> None:
    kinds = set()
    for person in org.people[:20]:
        for instance in org.calendar(person.email):
            key = unit_of(instance.uid)
            assert key is not None
            kinds.add(key[0])
    assert {"line", "team", "personal", "group", "hands"} <= kinds


def test_a_mutated_meeting_stays_mutated_after_the_cache_lets_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calendars, "MAX_CACHED_INSTANCES", 50)
    lazy = _org()
    report = next(p for p in lazy.people[10:] if p.manager_email and p.active)
    manager = report.manager_email or ""
    assert lazy.untouched(report.email) and lazy.untouched(manager)
    upcoming = next(i for i in one_on_ones(lazy, report.email, manager) if i.start > NOW)
    cancel_instance(lazy, upcoming.uid, NOW)
    for person in lazy.people:  # reads everyone's calendar: the cache turns over
        lazy.calendar(person.email)
    for who in (report.email, manager):
        [copy] = [i for i in lazy.calendar(who) if i.uid == upcoming.uid]
        assert copy.cancelled and copy.cancelled_at == NOW
        assert not lazy.untouched(who)
        [before] = [i for i in lazy.pristine(who) or [] if i.uid == upcoming.uid]
        assert not before.cancelled
    # Only the unit of their 1:1s was handed out to be changed: their team and everyone
    # else still read as generated (a sync's shortcut for them holds).
    touched = {p.email for p in lazy.people if not lazy.untouched(p.email)}
    assert touched == {report.email, manager}


def test_a_large_orgs_planted_part_is_one_small_subtree() -> None:
    people = build_people(random.Random(3), 6000, ANCHOR)
    part = planted_part(people)
    assert 50 < len(part) <= PART_LIMIT
    inside = {p.email for p in part}
    root = part[0]
    assert all(p.manager_email in inside for p in part if p is not root)
    plan = make_plan(random.Random(4), people, ANCHOR)
    roles = {plan.chronic_manager.email, plan.chronic_report.email, plan.changed.email}
    roles |= {plan.never_met.email, plan.new_hire_overdue.email, *plan.neglected}
    assert roles <= plan.part


def test_a_large_org_checks_its_truth_on_the_planted_part() -> None:
    large = generate_org(seed=2, size=2500, anchor=ANCHOR, background="none")
    truth = large.truth
    planted = truth.neglected | truth.chronic_cancelers | truth.never_met
    part = large.calendars.structure.plan.part  # type: ignore[attr-defined]
    assert planted <= part and len(part) <= PART_LIMIT
    ones = [i for p in large.people[-5:] for i in large.calendar(p.email) if is_one_on_one(i)]
    assert ones  # people outside the part have their 1:1s too
