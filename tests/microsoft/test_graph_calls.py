"""Teams attendance: events carry their meeting, and call records come back as presences.

Through the real httpx + msal client against the sandbox's Graph on 127.0.0.1, over a
small generated org. The truth is the sandbox's call plan (connectors/sandbox/calls.py):
every online 1:1 a Microsoft person organised that was held has a call in which those
who did not decline joined (a no-show: only the organizer), and some reporting lines
have unscheduled peer-to-peer calls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from connectors.microsoft.auth import TokenProvider
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.microsoft.calls import MicrosoftCallSource
from connectors.model import CallPresence, meeting_key
from connectors.retry import RetryPolicy
from connectors.sandbox.builder import utc_midnight
from connectors.sandbox.calls import (
    PlannedCall,
    adhoc_calls,
    instance_call,
    join_url,
    meeting_code_of,
    outcome_of,
)
from connectors.sandbox.graph_call_render import record_id, sessions
from connectors.sandbox.graph_common import APP_ROLES, opaque_id
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import Fault, Reply
from connectors.settings import SyncWindow
from core.errors import AuthError

from .graph_org import GraphWorld

ANCHOR = date(2026, 3, 18)
NOW = utc_midnight(ANCHOR)  # the sandbox's present: calls over by then are recorded
RETENTION = timedelta(days=30)
Row = tuple[str, str | None, str, datetime, datetime]


@cache
def small_org() -> SandboxOrg:
    """About 40 people, half on Microsoft 365, 16 weeks of history (no other meetings)."""
    return generate_org(seed=2, size=40, anchor=ANCHOR, history_weeks=16, background="none")


@pytest.fixture
def org_world(world: GraphWorld) -> Iterator[GraphWorld]:
    """The world serving the small generated org, with every permission granted."""
    org = small_org()
    world.sandbox.state.org = org
    world.sandbox.state.roles = set(APP_ROLES)
    yield dataclasses.replace(world, org=org)
    world.sandbox.state.roles = set(APP_ROLES)


def roster(org: SandboxOrg) -> frozenset[str]:
    return frozenset(m.email.lower() for m in org.people)


def call_source(world: GraphWorld, page_size: int = 60) -> MicrosoftCallSource:
    retry = RetryPolicy(sleep=world.sleeps.append, jitter=lambda low, high: high)
    return MicrosoftCallSource(
        world.settings,
        world.http,
        roster(world.org),
        retry,
        client=world.client,
        page_size=page_size,
    )


def planned_calls(org: SandboxOrg) -> list[tuple[PlannedCall, str | None]]:
    """Every call the tenant records, from the plan, with its outcome (None: ad hoc)."""
    tenant = {m.email.lower() for m in org.people if m.provider == "microsoft"}
    found: list[tuple[PlannedCall, str | None]] = []
    for instance in org.instances:
        call = instance_call(instance, "microsoft", org.anchor)
        if call is not None and instance.organizer.lower() in tenant:
            found.append((call, outcome_of(instance)))
    unscheduled = adhoc_calls(org.people, org.history_start, org.anchor)
    found += [(call, None) for call in unscheduled if call.provider == "microsoft"]
    return found


def expected(org: SandboxOrg, since: datetime, until: datetime) -> set[Row]:
    """The presences the plan says a read of [since, until) returns.

    A peer-to-peer record has one session, both people in it from its start to its end.
    """
    rows = set()
    for call, _ in planned_calls(org):
        if not (since <= call.end < until) or call.start < NOW - RETENTION:
            continue
        key = meeting_key("microsoft", join_url(call.code)) if call.code else None
        for p in call.presences:
            joined, left = (p.joined_at, p.left_at) if call.code else (call.start, call.end)
            rows.add((record_id(call.call_id), key, p.email, joined, left))
    return rows


def rows(presences: list[CallPresence]) -> set[Row]:
    return {(p.call_id, p.meeting_key, p.email, p.joined_at, p.left_at) for p in presences}


def test_events_carry_the_join_url_and_observations_its_meeting_key(
    org_world: GraphWorld,
) -> None:
    org = org_world.org
    window = SyncWindow(NOW - timedelta(days=60), NOW + timedelta(days=14))
    source = MicrosoftCalendarSource(
        org_world.settings, org_world.http, roster(org), window, client=org_world.client
    )
    online, in_person = 0, 0
    for member in [m for m in org.people if m.provider == "microsoft"][:6]:
        mailbox = member.email.lower()
        by_id = {opaque_id(mailbox, i.uid): i for i in org.calendar(mailbox)}
        for observation in source.sync_calendar(mailbox, None).observations:
            code = meeting_code_of(by_id[observation.event_id])
            want = meeting_key("microsoft", join_url(code)) if code else None
            assert observation.meeting_key == want
            online, in_person = online + (code is not None), in_person + (code is None)

    assert online > 0 and in_person > 0


def test_read_calls_returns_exactly_the_planned_presences(org_world: GraphWorld) -> None:
    since = NOW - timedelta(days=14)

    batch = call_source(org_world).read_calls(since, NOW)

    assert rows(list(batch.presences)) == expected(org_world.org, since, NOW)
    assert (batch.read_from, batch.read_until, batch.provider) == (since, NOW, "microsoft")
    # The window holds each case: both joined, the organizer alone, an unscheduled call,
    # and someone who dropped out and rejoined (two sessions, one presence).
    window = [(c, o) for c, o in planned_calls(org_world.org) if since <= c.end < NOW]
    assert any(o == "attended" and len(c.presences) == 2 for c, o in window)
    assert any(o == "no_show" and len(c.presences) == 1 for c, o in window)
    assert any(o is None for c, o in window)
    assert any(len(sessions(c, {}, "t")) > len(c.presences) for c, o in window if c.code)
    unscheduled = [p for p in batch.presences if p.meeting_key is None]
    assert unscheduled and all(len(p.call_id) == 36 for p in unscheduled)


def test_records_older_than_30_days_are_gone(org_world: GraphWorld) -> None:
    start = utc_midnight(org_world.org.history_start)

    batch = call_source(org_world).read_calls(start, NOW)

    assert min(p.joined_at for p in batch.presences) >= NOW - RETENTION
    assert any(c.end < NOW - RETENTION for c, _ in planned_calls(org_world.org))
    assert rows(list(batch.presences)) == expected(org_world.org, start, NOW)


def test_records_and_sessions_are_paged(org_world: GraphWorld) -> None:
    since = NOW - timedelta(days=7)

    batch = call_source(org_world, page_size=1).read_calls(since, NOW)

    assert rows(list(batch.presences)) == expected(org_world.org, since, NOW)
    listed = org_world.count("GET", "/communications/callRecords")
    assert listed > 2  # one record a page
    assert org_world.count("GET", "/sessions") > 0  # a group call's second session
    assert batch.requests == len(org_world.server.requests) - 2  # tokens aside


def test_without_call_records_permission_the_error_names_it(org_world: GraphWorld) -> None:
    org_world.sandbox.withdraw_permission("CallRecords.Read.All")

    with pytest.raises(AuthError, match=r"CallRecords\.Read\.All.*403 Forbidden"):
        call_source(org_world).read_calls(NOW - timedelta(days=7), NOW)


def test_without_user_read_permission_the_error_names_it(org_world: GraphWorld) -> None:
    org_world.sandbox.withdraw_permission("User.Read.All")

    with pytest.raises(AuthError, match=r"User\.Read\.All"):
        call_source(org_world).read_calls(NOW - timedelta(days=7), NOW)


def test_throttled_list_and_record_reads_are_retried(org_world: GraphWorld) -> None:
    throttled = Reply.json(
        {"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
        429,
        **{"Retry-After": "0.25"},
    )
    org_world.server.add_fault(Fault(r"/communications/callRecords$", throttled))
    org_world.server.add_fault(Fault(r"/communications/callRecords/[0-9a-f-]+$", throttled))
    since = NOW - timedelta(days=7)

    batch = call_source(org_world).read_calls(since, NOW)

    assert org_world.sleeps == [0.25, 0.25]
    assert rows(list(batch.presences)) == expected(org_world.org, since, NOW)


def test_only_roster_people_are_kept(org_world: GraphWorld) -> None:
    tenant = frozenset(m.email.lower() for m in org_world.org.people if m.provider == "microsoft")
    since = NOW - timedelta(days=28)
    world = org_world
    source = MicrosoftCallSource(world.settings, world.http, tenant, client=world.client)

    batch = source.read_calls(since, NOW)

    everyone = expected(org_world.org, since, NOW)
    assert rows(list(batch.presences)) == {row for row in everyone if row[2] in tenant}
    assert any(row[2] not in tenant for row in everyone)  # a Google colleague joined


def get(world: GraphWorld, path: str, **params: str) -> Any:
    token = TokenProvider(world.settings, world.client).token()
    url = world.settings.graph_endpoint + path
    return world.client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})


def test_wire_list_has_no_sessions_and_old_records_are_404(org_world: GraphWorld) -> None:
    calls = [c for c, _ in planned_calls(org_world.org)]
    old = next(c for c in calls if c.start < NOW - RETENTION)
    recent = next(c for c in calls if c.start >= NOW - RETENTION and c.code)
    window = f"startDateTime ge {recent.start:%Y-%m-%dT%H:%M:%SZ}"

    listed = get(org_world, "/communications/callRecords", **{"$filter": window}).json()
    one = get(org_world, f"/communications/callRecords/{record_id(recent.call_id)}").json()
    gone = get(org_world, f"/communications/callRecords/{record_id(old.call_id)}")
    bad = get(org_world, "/communications/callRecords", **{"$filter": "type eq 'groupCall'"})

    first = listed["value"][0]
    assert first["id"] == record_id(recent.call_id) and "sessions" not in first
    assert first["type"] == "groupCall" and first["joinWebUrl"] == join_url(recent.code or "")
    assert "sessions" not in one and one["endDateTime"] == first["endDateTime"]
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "NotFound"
    assert bad.status_code == 400
