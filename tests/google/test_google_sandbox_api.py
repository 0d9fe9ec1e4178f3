"""The sandbox's Google endpoints speak the real wire format (read with the real client)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.exceptions import RefreshError
from google_org import BOSS, MAX, MIA, RAJ, ROOM, SUE, GoogleWorld, find
from googleapiclient.errors import HttpError

from connectors.google.client import CALENDAR_SCOPE, build_service, load_credentials
from connectors.sandbox.google_render import event_id


@pytest.fixture
def calendar_as_mia(world: GoogleWorld) -> Iterator[Any]:
    credentials = load_credentials(world.settings, [CALENDAR_SCOPE]).with_subject(MIA)
    endpoint = world.settings.api_endpoint + "calendar/v3/"
    with build_service("calendar", "v3", credentials, endpoint, world.http) as service:
        yield service


def listing(service: Any, **params: Any) -> dict[str, Any]:
    response: dict[str, Any] = service.events().list(calendarId="primary", **params).execute()
    return response


def items_by_id(service: Any, **params: Any) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in listing(service, **params)["items"]}


def test_attendee_copy_marks_self_rooms_and_local_times(
    world: GoogleWorld, calendar_as_mia: Any
) -> None:
    items = items_by_id(calendar_as_mia, showDeleted=True)
    roomy = items[event_id(find(world.org, "roomy"))]
    by_email = {a["email"]: a for a in roomy["attendees"]}
    assert by_email[MIA]["self"] is True and "self" not in by_email[BOSS]
    assert by_email[BOSS]["organizer"] is True and by_email[ROOM]["resource"] is True
    assert roomy["organizer"] == {"email": BOSS, "displayName": "Bo Boss"}
    assert roomy["start"]["dateTime"] == "2025-02-15T10:00:00-05:00"
    assert roomy["start"]["timeZone"] == "America/New_York"


def test_all_day_and_special_event_types_render_like_google(
    world: GoogleWorld, calendar_as_mia: Any
) -> None:
    items = items_by_id(calendar_as_mia)
    allday = items[event_id(find(world.org, "allday"))]
    assert allday["start"] == {"date": "2025-02-12"} and allday["end"] == {"date": "2025-02-13"}
    assert items[event_id(find(world.org, "ooo"))]["eventType"] == "outOfOffice"
    assert items[event_id(find(world.org, "focus"))]["eventType"] == "focusTime"


def test_cancelled_instance_is_a_bare_stub_shown_only_with_show_deleted(
    world: GoogleWorld, calendar_as_mia: Any
) -> None:
    cancelled = event_id(find(world.org, "w3"))
    assert cancelled not in items_by_id(calendar_as_mia)
    stub = items_by_id(calendar_as_mia, showDeleted=True)[cancelled]
    assert set(stub) == {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert stub["status"] == "cancelled" and cancelled.startswith(stub["recurringEventId"])


def test_bounded_full_sync_still_gets_a_sync_token(calendar_as_mia: Any) -> None:
    window = {"timeMin": "2025-01-01T00:00:00Z", "timeMax": "2025-02-01T00:00:00Z"}
    response = listing(calendar_as_mia, singleEvents=True, **window)
    assert response["nextSyncToken"] and "nextPageToken" not in response
    assert len(response["items"]) == 3  # w0, w1, w2 (w3 is cancelled)


@pytest.mark.parametrize("clash", [{"timeMin": "2025-01-01T00:00:00Z"}, {"showDeleted": False}])
def test_sync_token_refuses_parameters_the_api_forbids_with_it(
    calendar_as_mia: Any, clash: dict[str, Any]
) -> None:
    token = listing(calendar_as_mia)["nextSyncToken"]
    with pytest.raises(HttpError) as raised:
        listing(calendar_as_mia, syncToken=token, **clash)
    assert raised.value.resp.status == 400


@pytest.mark.parametrize(
    ("calendar", "status"), [(RAJ, 403), (MAX, 404), ("nobody@example.com", 404)]
)
def test_calendar_of_someone_else_is_refused(
    calendar_as_mia: Any, calendar: str, status: int
) -> None:
    with pytest.raises(HttpError) as raised:
        calendar_as_mia.events().list(calendarId=calendar).execute()
    assert raised.value.resp.status == status


def test_calendar_token_cannot_read_the_directory(world: GoogleWorld) -> None:
    credentials = load_credentials(world.settings, [CALENDAR_SCOPE]).with_subject(BOSS)
    endpoint = world.settings.api_endpoint
    service = build_service("admin", "directory_v1", credentials, endpoint, world.http)
    with service, pytest.raises(HttpError) as raised:
        service.users().list(customer="my_customer").execute()
    assert raised.value.resp.status == 403


def test_suspended_user_cannot_be_impersonated(world: GoogleWorld) -> None:
    credentials = load_credentials(world.settings, [CALENDAR_SCOPE]).with_subject(SUE)
    endpoint = world.settings.api_endpoint + "calendar/v3/"
    service = build_service("calendar", "v3", credentials, endpoint, world.http)
    with service, pytest.raises(RefreshError, match="invalid_grant"):
        service.events().list(calendarId="primary").execute()
