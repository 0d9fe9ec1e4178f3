"""Events carry their Google Meet link, and observations its meeting_key (in person: None)."""

from __future__ import annotations

from typing import Any

import pytest
from google_org import BOSS, MIA, GoogleWorld, find, roster

from connectors.google.calendar import GoogleCalendarSource
from connectors.google.client import CALENDAR_SCOPE, build_service, load_credentials
from connectors.google.normalise import meet_key
from connectors.model import meeting_key
from connectors.sandbox.calls import meet_code, meeting_code_of
from connectors.sandbox.google_render import event_id
from connectors.sandbox.model import Instance


def expected_key(instance: Instance) -> str | None:
    code = meeting_code_of(instance)
    return None if code is None else meeting_key("google", meet_code(code))


def raw_events(world: GoogleWorld, calendar: str) -> list[dict[str, Any]]:
    credentials = load_credentials(world.settings, [CALENDAR_SCOPE]).with_subject(calendar)
    endpoint = world.settings.api_endpoint + "calendar/v3/"
    with build_service("calendar", "v3", credentials, endpoint, world.http) as service:
        request = service.events().list(calendarId="primary", showDeleted=True, maxResults=2500)
        items: list[dict[str, Any]] = request.execute()["items"]
    return items


def test_online_events_carry_the_meet_link_as_calendar_serves_it(world: GoogleWorld) -> None:
    events = {e["id"]: e for e in raw_events(world, BOSS)}
    online, in_person = find(world.org, "w0"), find(world.org, "roomy")
    link = events[event_id(online)]
    code = meet_code(str(meeting_code_of(online)))
    assert link["hangoutLink"] == f"https://meet.google.com/{code}"
    conference = link["conferenceData"]
    assert conference["conferenceId"] == code
    assert conference["conferenceSolution"]["key"]["type"] == "hangoutsMeet"
    assert conference["entryPoints"][0]["uri"] == link["hangoutLink"]
    assert "hangoutLink" not in events[event_id(in_person)]
    assert "conferenceData" not in events[event_id(in_person)]
    # Every instance of a series shares its code; the cancelled instance's stub has none.
    assert events[event_id(find(world.org, "w6"))]["hangoutLink"] == link["hangoutLink"]
    stub = events[event_id(find(world.org, "w3"))]
    assert stub["status"] == "cancelled" and "hangoutLink" not in stub


def test_observations_carry_the_meeting_key_of_their_meet_code(world: GoogleWorld) -> None:
    source = GoogleCalendarSource(world.settings, world.http, roster(), world.window)
    batch = source.sync_calendar(BOSS, None)
    instances = {event_id(i): i for i in world.org.instances}
    full = [o for o in batch.observations if o.participants]
    assert {o.meeting_key is None for o in full} == {True, False}  # both kinds are here
    for observation in full:
        assert observation.meeting_key == expected_key(instances[observation.event_id])
    stubs = [o for o in batch.observations if not o.participants]
    assert stubs and all(o.meeting_key is None for o in stubs)


def test_each_copy_of_a_meeting_has_the_same_key(world: GoogleWorld) -> None:
    source = GoogleCalendarSource(world.settings, world.http, roster(), world.window)
    boss = {o.event_id: o.meeting_key for o in source.sync_calendar(BOSS, None).observations}
    mia = {o.event_id: o.meeting_key for o in source.sync_calendar(MIA, None).observations}
    # A copy MIA removed is a stub on her calendar: no link there, so no key.
    shared = [i for i in boss if boss[i] is not None and mia.get(i) is not None]
    assert len(shared) >= 5 and all(boss[i] == mia[i] for i in shared)


MEET = "https://meet.google.com/abc-defg-hij"


@pytest.mark.parametrize(
    ("event", "code"),
    [
        pytest.param(
            {
                "conferenceData": {
                    "conferenceId": "abc-defg-hij",
                    "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
                }
            },
            "abc-defg-hij",
            id="conference-data",
        ),
        pytest.param({"hangoutLink": MEET + "?authuser=0"}, "abc-defg-hij", id="link-only"),
        pytest.param(
            {
                "hangoutLink": MEET,
                "conferenceData": {
                    "conferenceId": "zoom-123",
                    "conferenceSolution": {"key": {"type": "addOn"}},
                },
            },
            "abc-defg-hij",
            id="add-on-conference-then-link",
        ),
        pytest.param(
            {
                "conferenceData": {
                    "conferenceId": "zoom-123",
                    "conferenceSolution": {"key": {"type": "addOn"}},
                }
            },
            None,
            id="add-on-conference-only",
        ),
        pytest.param({}, None, id="in-person"),
    ],
)
def test_meet_key_reads_the_code_from_conference_data_else_the_link(
    event: dict[str, Any], code: str | None
) -> None:
    assert meet_key(event) == (None if code is None else meeting_key("google", code))
    # The audit log writes the same code upper-case without dashes: the same key.
    if code is not None:
        assert meet_key(event) == meeting_key("google", code.replace("-", "").upper())
