"""Background meetings: every kind present, none shaped like a 1:1 between colleagues."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from connectors.sandbox.background import VENDOR
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.truth import candidates
from tests.sandbox.org_helpers import humans, is_one_on_one
from warehouse.params import MetricParams

ANCHOR = date(2026, 4, 15)  # the history holds the March DST changes and April's in Sydney


@pytest.fixture(scope="module")
def org() -> SandboxOrg:
    return generate_org(seed=3, size=120, anchor=ANCHOR)


def test_every_kind_of_background_meeting_is_on_calendars(org: SandboxOrg) -> None:
    instances = org.instances
    assert any(i.all_day for i in instances)
    assert any(i.kind == "outOfOffice" and i.show_as == "oof" for i in instances)
    assert any(i.kind == "focusTime" and not i.attendees for i in instances)
    assert any(len(humans(i)) >= 3 and any(a.resource for a in i.attendees) for i in instances)
    assert any(any(a.group for a in i.attendees) for i in instances)
    assert any(VENDOR in humans(i) for i in instances)
    assert any(len(humans(i)) == 3 for i in instances)


def test_background_adds_no_1on1_between_colleagues(org: SandboxOrg) -> None:
    quiet = generate_org(seed=3, size=120, anchor=ANCHOR, background="none")
    roster = {p.email for p in org.people if p.active}
    google = {p.email for p in org.people if p.provider == "google"}
    found = candidates(org.instances, roster, google, ANCHOR, MetricParams())
    assert found == candidates(quiet.instances, roster, google, ANCHOR, MetricParams())
    assert len(quiet.instances) < len(org.instances)


def test_background_meetings_carry_filler_text(org: SandboxOrg) -> None:
    others = [i for i in org.instances if not is_one_on_one(i) and i.kind == "default"]
    assert any(i.description and i.location for i in others)


def test_full_background_gives_about_25_meetings_a_week_each() -> None:
    full = generate_org(seed=3, size=80, anchor=ANCHOR, background="full")
    weeks = 8
    since = ANCHOR - timedelta(weeks=weeks)
    per_person: Counter[str] = Counter()
    for i in full.instances:
        if since <= i.start.date() < ANCHOR:
            per_person.update(humans(i))
    active = [p.email for p in full.people if p.active]
    assert sum(per_person[e] for e in active) / len(active) / weeks >= 24


def test_unknown_background_level_is_refused() -> None:
    with pytest.raises(ValueError, match="background"):
        generate_org(size=60, anchor=ANCHOR, background="busy")


def test_too_small_an_org_is_refused() -> None:
    with pytest.raises(ValueError, match="size"):
        generate_org(size=10, anchor=ANCHOR)
