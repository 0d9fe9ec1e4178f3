"""Pure tests of Google event normalisation with literal event dicts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.google.normalise import normalise_event, normalise_events, series_key

A, B, C = "a@example.com", "b@example.com", "c@example.com"
ROSTER = frozenset({A, B, C})


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "evt1",
        "status": "confirmed",
        "summary": "1:1 secret title",
        "description": "notes",
        "location": "Room 1",
        "created": "2025-01-01T10:00:00.000Z",
        "updated": "2025-01-02T10:00:00.000Z",
        "organizer": {"email": A, "self": True},
        "start": {"dateTime": "2025-01-06T11:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2025-01-06T11:30:00-05:00", "timeZone": "America/New_York"},
        "attendees": [
            {"email": A, "organizer": True, "self": True, "responseStatus": "accepted"},
            {"email": B, "responseStatus": "accepted"},
        ],
        "eventType": "default",
    }
    return base | overrides


def stub(event_id: str = "ser_20250113T160000Z", series: str = "ser") -> dict[str, Any]:
    return {
        "kind": "calendar#event",
        "etag": '"1"',
        "id": event_id,
        "status": "cancelled",
        "recurringEventId": series,
        "originalStartTime": {"dateTime": "2025-01-13T11:00:00-05:00"},
    }


def test_two_person_meeting_becomes_a_live_observation_in_utc() -> None:
    observation = normalise_event(event(), "A@Example.com", ROSTER)
    assert observation is not None
    assert observation.participants == (A, B)
    assert observation.calendar_email == A
    assert observation.organizer_email == A
    assert observation.state == "live"
    assert observation.start == datetime(2025, 1, 6, 16, 0, tzinfo=UTC)
    assert observation.end == datetime(2025, 1, 6, 16, 30, tzinfo=UTC)
    assert observation.updated_at == datetime(2025, 1, 2, 10, 0, tzinfo=UTC)
    assert not observation.recurring and observation.original_start is None


def test_observation_keeps_no_title_description_or_location() -> None:
    observation = normalise_event(event(description="see https://x.example/doc"), A, ROSTER)
    assert observation is not None
    stored = repr(dataclasses.astuple(observation))
    assert "secret" not in stored and "Room 1" not in stored and "x.example" not in stored


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"start": {"date": "2025-01-06"}}, id="all-day"),
        pytest.param({"eventType": "outOfOffice"}, id="out-of-office"),
        pytest.param({"eventType": "focusTime"}, id="focus-time"),
        pytest.param({"eventType": "workingLocation"}, id="working-location"),
        pytest.param({"attendeesOmitted": True}, id="attendees-omitted"),
        pytest.param({"attendees": []}, id="organizer-alone"),
        pytest.param(
            {"attendees": [{"email": B}, {"email": C}]},
            id="three-people",
        ),
        pytest.param({"attendees": [{"email": "team@example.com"}]}, id="group-address"),
        pytest.param({"attendees": [{"email": "x@elsewhere.org"}]}, id="outsider"),
        pytest.param({"organizer": {"email": "x@group.calendar.google.com"}}, id="group-organizer"),
    ],
)
def test_events_that_cannot_be_one_on_ones_are_dropped(overrides: dict[str, Any]) -> None:
    assert normalise_event(event(**overrides), A, ROSTER) is None


def test_room_does_not_count_as_a_participant() -> None:
    room = {"email": "room@resource.example.com", "resource": True, "responseStatus": "accepted"}
    observation = normalise_event(event(attendees=[{"email": B}, room]), A, ROSTER)
    assert observation is not None and observation.participants == (A, B)


def test_declined_attendee_is_recorded() -> None:
    attendees = [{"email": A, "organizer": True}, {"email": B, "responseStatus": "declined"}]
    observation = normalise_event(event(attendees=attendees), B, ROSTER)
    assert observation is not None and observation.declined_by == (B,)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param({"description": "agenda http://docs.example.com/1"}, True, id="http-link"),
        pytest.param({"description": "see HTTPS://docs.example.com"}, True, id="https-link"),
        pytest.param({"attachments": [{"fileUrl": "https://drive/x"}]}, True, id="attachment"),
        pytest.param({"description": "talk about docs"}, False, id="plain-text"),
        pytest.param({"description": None}, False, id="no-description"),
    ],
)
def test_agenda_flag_comes_from_attachment_or_link(extra: dict[str, Any], expected: bool) -> None:
    observation = normalise_event(event(**extra), A, ROSTER)
    assert observation is not None and observation.has_agenda is expected


def test_moved_instance_keeps_original_slot_and_series() -> None:
    moved = event(
        id="ser_20250113T160000Z",
        recurringEventId="ser",
        originalStartTime={"dateTime": "2025-01-13T11:00:00-05:00"},
        start={"dateTime": "2025-01-14T11:00:00-05:00"},
        end={"dateTime": "2025-01-14T11:30:00-05:00"},
    )
    observation = normalise_event(moved, A, ROSTER)
    assert observation is not None
    assert observation.recurring and observation.series_key == "ser"
    assert observation.original_start == datetime(2025, 1, 13, 16, tzinfo=UTC)
    assert observation.start == datetime(2025, 1, 14, 16, tzinfo=UTC)


def test_cancelled_instance_stub_is_a_cancelled_observation_without_participants() -> None:
    observation = normalise_event(stub(), B, ROSTER)
    assert observation is not None
    assert observation.state == "cancelled"
    assert observation.participants == () and observation.organizer_email is None
    assert observation.original_start == datetime(2025, 1, 13, 16, tzinfo=UTC)
    assert observation.series_key == "ser"


def test_bare_stub_of_a_deleted_one_off_is_not_an_observation() -> None:
    assert normalise_event({"id": "x", "status": "cancelled"}, A, ROSTER) is None


def test_deleted_one_off_with_its_data_is_a_cancelled_copy_stamped_by_updated() -> None:
    deleted = event(status="cancelled", updated="2025-01-13T08:30:00.000Z")
    observation = normalise_event(deleted, A, ROSTER)
    assert observation is not None and observation.state == "cancelled"
    assert observation.participants == (A, B) and observation.organizer_email == A
    assert observation.updated_at == datetime(2025, 1, 13, 8, 30, tzinfo=UTC)
    assert observation.start is not None and not observation.recurring


def test_deleted_one_off_with_a_third_person_is_not_an_observation() -> None:
    deleted = event(status="cancelled")
    deleted["attendees"] = [*deleted["attendees"], {"email": C}]
    assert normalise_event(deleted, A, ROSTER) is None


def test_full_listing_keeps_a_deleted_one_off_with_data_and_ignores_its_bare_stub() -> None:
    listing = [event(status="cancelled"), {"id": "x", "status": "cancelled"}]
    result = normalise_events(listing, A, ROSTER, full=True)
    assert [(o.event_id, o.state) for o in result.observations] == [("evt1", "cancelled")]
    assert result.removed_ids == []


@pytest.mark.parametrize(
    ("recurring_id", "expected"),
    [
        ("abc", "abc"),
        ("abc_R20250203T170000", "abc"),
        ("abc_R20250203T170000Z", "abc"),
        (None, None),
    ],
)
def test_series_key_is_shared_across_a_split(
    recurring_id: str | None, expected: str | None
) -> None:
    assert series_key(recurring_id) == expected


def test_full_listing_keeps_stubs_only_of_kept_series() -> None:
    live = event(id="ser_20250106T160000Z", recurringEventId="ser")
    result = normalise_events([live, stub(), stub("other_1", "other")], A, ROSTER, full=True)
    assert [o.event_id for o in result.observations] == [live["id"], stub()["id"]]
    assert result.removed_ids == []


def test_incremental_listing_keeps_every_stub_and_reports_dropped_ids_removed() -> None:
    three = event(id="three", attendees=[{"email": B}, {"email": C}])
    events = [stub("other_1", "other"), {"id": "gone", "status": "cancelled"}, three]
    result = normalise_events(events, A, ROSTER, full=False)
    assert [o.event_id for o in result.observations] == ["other_1"]
    assert result.removed_ids == ["gone", "three"]
