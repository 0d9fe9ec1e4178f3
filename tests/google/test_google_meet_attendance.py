"""GoogleMeetSource through google-api-python-client's reports_v1 against the sandbox.

The truth is the sandbox's call plan (connectors/sandbox/calls.py): every presence of a
roster person in a call that a Google member organised (or an ad-hoc call of a Google
reporting line) and that ended in the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from meet_world import SINCE, UNTIL, MeetWorld

from connectors.google.calendar import GoogleCalendarSource
from connectors.google.client import CALENDAR_SCOPE
from connectors.google.meet import AUDIT_SCOPE, GoogleMeetSource
from connectors.model import CallPresence, meeting_key
from connectors.sandbox.calls import (
    PlannedCall,
    adhoc_calls,
    instance_call,
    meet_code,
    outcome_of,
)
from connectors.sandbox.google_api import google_error
from connectors.sandbox.google_meet import hold_late_activities, release_late_activities
from connectors.sandbox.google_meet_log import is_late
from connectors.sandbox.google_render import event_id
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Fault
from connectors.settings import SyncWindow
from core.errors import AuthError, BadInputError, RetriableError

Row = tuple[str, str | None, str, datetime, datetime]


def planned_calls(org: SandboxOrg) -> list[tuple[PlannedCall, str]]:
    """The plan's Google calls, each with its outcome ("adhoc" for an unscheduled one)."""
    google = {m.email for m in org.people if m.provider == "google"}
    calls = [
        (call, outcome_of(i))
        for i in org.instances
        if i.organizer in google and (call := instance_call(i, "google", org.anchor))
    ]
    adhoc = adhoc_calls(org.people, org.history_start, org.anchor)
    return calls + [(c, "adhoc") for c in adhoc if c.provider == "google"]


def in_window(meet: MeetWorld) -> list[tuple[PlannedCall, str]]:
    return [
        (call, outcome)
        for call, outcome in planned_calls(meet.org)
        if any(SINCE <= p.left_at < UNTIL and p.email in meet.roster for p in call.presences)
    ]


def rows(presences: Iterable[CallPresence]) -> set[Row]:
    return {(p.call_id, p.meeting_key, p.email, p.joined_at, p.left_at) for p in presences}


def planned_rows(meet: MeetWorld, call: PlannedCall) -> set[Row]:
    """The presences of a scheduled call (its key from the event's Meet code)."""
    key = meeting_key("google", meet_code(str(call.code)))
    return {
        (call.call_id, key, p.email, p.joined_at, p.left_at)
        for p in call.presences
        if p.email in meet.roster and SINCE <= p.left_at < UNTIL
    }


def test_read_calls_returns_exactly_the_presences_the_plan_says(meet: MeetWorld) -> None:
    batch = meet.source().read_calls(SINCE, UNTIL)
    got = rows(batch.presences)
    assert (batch.provider, batch.read_from, batch.read_until) == ("google", SINCE, UNTIL)
    planned = in_window(meet)
    scheduled = [(c, o) for c, o in planned if o != "adhoc"]
    expected = set().union(*(planned_rows(meet, c) for c, _ in scheduled))
    adhoc = [c for c, o in planned if o == "adhoc"]
    adhoc_rows = {r for r in got if r[0] in {c.call_id for c in adhoc}}
    assert got - adhoc_rows == expected
    # Each case is in the window: an attended 1:1, a no-show (the organizer alone), an ad-hoc call.
    outcomes = {o for c, o in planned if len(c.presences) <= 2}
    assert {"attended", "no_show", "adhoc"} <= outcomes
    for call, outcome in scheduled:
        people = {r[2] for r in got if r[0] == call.call_id}
        if outcome == "no_show":
            assert people == {call.presences[0].email}  # the organizer waited alone
    # Ad-hoc calls: both people, each with a meeting key of its own that no event has.
    event_keys = {r[1] for r in expected}
    for call in adhoc:
        mine = {r for r in adhoc_rows if r[0] == call.call_id}
        assert {r[2] for r in mine} == {p.email for p in call.presences}
        assert len({r[1] for r in mine}) == 1 and None not in {r[1] for r in mine}
        assert not {r[1] for r in mine} & event_keys
    assert len(meet.reports_requests()) == batch.requests == 1


def test_an_attended_call_joins_its_calendar_event_through_the_meeting_key(
    meet: MeetWorld,
) -> None:
    call = next(c for c, o in in_window(meet) if o == "attended" and len(c.presences) == 2)
    instance = next(i for i in meet.org.instances if i.uid == call.instance_uid)
    calendar = GoogleCalendarSource(meet.settings, meet.http, meet.roster, SyncWindow(SINCE, UNTIL))
    copies = calendar.sync_calendar(instance.organizer, None).observations
    (event,) = [o for o in copies if o.event_id == event_id(instance)]
    presences = meet.source().read_calls(SINCE, UNTIL).presences
    joined = [p for p in presences if p.call_id == call.call_id]
    assert {p.email for p in joined} == set(event.participants)
    assert {p.meeting_key for p in joined} == {event.meeting_key} != {None}


@pytest.fixture(scope="module")
def window_rows(served_meet: MeetWorld) -> set[Row]:
    """What a plain read of the window gives (the other tests' reference)."""
    return rows(served_meet.source().read_calls(SINCE, UNTIL).presences)


def test_small_pages_are_followed_to_the_same_presences(
    meet: MeetWorld, window_rows: set[Row]
) -> None:
    paged = meet.source(page_size=7).read_calls(SINCE, UNTIL)
    assert rows(paged.presences) == window_rows
    # At least as many activities as presences kept, 7 a page.
    assert paged.requests == len(meet.reports_requests()) >= -(-len(window_rows) // 7)


def test_a_late_activity_is_missing_from_a_first_read_and_picked_up_after_release(
    meet: MeetWorld, window_rows: set[Row]
) -> None:
    everything = window_rows
    late = {r for r in everything if is_late(r[0], r[2])}
    assert late, "the window has late activities"
    hold_late_activities(meet.org)
    first = rows(meet.source().read_calls(SINCE, UNTIL).presences)
    assert first == everything - late
    release_late_activities(meet.org)
    again = rows(meet.source().read_calls(SINCE - timedelta(days=1), UNTIL).presences)
    assert late <= again and first <= again


def test_a_scope_the_admin_console_did_not_delegate_is_a_clear_auth_error(
    meet: MeetWorld,
) -> None:
    meet.state.issuer.delegated = frozenset({CALENDAR_SCOPE})
    with pytest.raises(AuthError) as raised:
        meet.source().read_calls(SINCE, UNTIL)
    message = str(raised.value)
    assert f"not allowed admin.reports.audit.readonly for {meet.settings.admin_subject}" in message
    assert AUDIT_SCOPE in message and "domain-wide delegation" in message
    assert meet.reports_requests() == [] and meet.sleeps == []


def test_a_subject_who_is_not_an_admin_is_refused_with_a_clear_auth_error(
    meet: MeetWorld,
) -> None:
    admin = meet.settings.admin_subject
    people = meet.org.people
    someone = next(
        m.email for m in people if m.provider == "google" and m.active and m.email != admin
    )
    expected = f"not allowed admin.reports.audit.readonly for {someone}.*HTTP 403 forbidden"
    with pytest.raises(AuthError, match=expected):
        meet.source(reports_admin_subject=someone).read_calls(SINCE, UNTIL)
    assert len(meet.reports_requests()) == 1 and meet.sleeps == []


def test_without_any_admin_subject_the_source_refuses_to_start(meet: MeetWorld) -> None:
    nobody = replace(meet.settings, admin_subject=None)
    with pytest.raises(BadInputError, match=r"google\.reports_admin_subject"):
        GoogleMeetSource(nobody, meet.http, meet.roster)


@pytest.mark.parametrize("status", [429, 503])
def test_a_fault_is_retried_and_the_read_completes(
    meet: MeetWorld, window_rows: set[Row], status: int
) -> None:
    fault = google_error(status, "backendError" if status >= 500 else "rateLimitExceeded", "busy")
    meet.server.add_fault(Fault("/admin/reports/", fault, times=2))
    batch = meet.source().read_calls(SINCE, UNTIL)
    assert rows(batch.presences) == window_rows
    assert len(meet.sleeps) == 2 and batch.requests == 3 == len(meet.reports_requests())


def test_a_fault_that_outlasts_the_retries_is_raised_as_retriable(meet: MeetWorld) -> None:
    meet.server.add_fault(Fault("/admin/reports/", google_error(500, "backendError", "x"), 10))
    with pytest.raises(RetriableError, match="Meet audit log"):
        meet.source().read_calls(SINCE, UNTIL)
    assert len(meet.sleeps) == 3
