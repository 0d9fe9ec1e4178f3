"""Pure Graph event → Observation rules, on literal payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from connectors.microsoft.normalise import normalise_event, parse_instant, parse_local
from connectors.microsoft.zones import WINDOWS_TO_IANA, zone_for
from connectors.sandbox.graph_render import local
from connectors.sandbox.zones import WINDOWS_NAMES as SANDBOX_WINDOWS_NAMES
from core.errors import FatalSourceError

A, B, C = "ann@corp.test", "bob@corp.test", "cy@corp.test"
ROSTER = frozenset({A, B, C})


def person(email: str, response: str = "accepted", kind: str = "required") -> dict[str, Any]:
    return {
        "type": kind,
        "status": {"response": response, "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {"name": email.split("@")[0], "address": email},
    }


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "AAMk-1",
        "subject": "Ann / Bob",
        "body": {"contentType": "html", "content": "<p>catch up</p>"},
        "location": {"displayName": "Room 4"},
        "hasAttachments": False,
        "isAllDay": False,
        "isCancelled": False,
        "showAs": "busy",
        "type": "singleInstance",
        "seriesMasterId": None,
        "createdDateTime": "2026-02-01T12:00:00.1234567Z",
        "lastModifiedDateTime": "2026-02-02T12:00:00.0000000Z",
        "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
        "start": {"dateTime": "2026-03-09T15:30:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-09T16:00:00.0000000", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Ann", "address": "Ann@Corp.test"}},
        "attendees": [person(B)],
    }
    return base | changes


def test_single_instance_becomes_a_live_observation_without_text() -> None:
    seen = normalise_event(event(), A, ROSTER)

    assert seen is not None
    assert seen.participants == (A, B) and seen.organizer_email == A
    assert seen.state == "live" and not seen.recurring and seen.series_key is None
    assert seen.start == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    assert seen.created_at == datetime(2026, 2, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert seen.updated_at == datetime(2026, 2, 2, 12, tzinfo=UTC)
    assert not seen.has_agenda and seen.declined_by == () and seen.original_start is None
    assert "Room 4" not in repr(seen) and "catch up" not in repr(seen)


@pytest.mark.parametrize(
    "changes",
    [
        {"isAllDay": True},
        {"showAs": "oof"},
        {"attendees": [person(B), person(C)]},
        {"attendees": [person(B), person("dl-team@corp.test")]},
        {"attendees": [person("ext@partner.test")]},
        {"attendees": []},
    ],
    ids=["all-day", "out-of-office", "three-people", "group-address", "outsider", "alone"],
)
def test_events_that_cannot_be_one_on_ones_are_dropped(changes: dict[str, Any]) -> None:
    assert normalise_event(event(**changes), A, ROSTER) is None


def test_a_room_does_not_count_as_a_participant() -> None:
    seen = normalise_event(
        event(attendees=[person(B), person("r@corp.test", kind="resource")]), A, ROSTER
    )

    assert seen is not None and seen.participants == (A, B)


def test_occurrence_uses_series_master_and_original_start() -> None:
    seen = normalise_event(
        event(
            type="exception",
            seriesMasterId="AAMk-master",
            iCalUId="040000-per-occurrence",
            originalStart="2026-03-09T15:30:00Z",
            start={"dateTime": "2026-03-10T15:30:00.0000000", "timeZone": "UTC"},
        ),
        A,
        ROSTER,
    )

    assert seen is not None and seen.series_key == "AAMk-master" and seen.recurring
    assert seen.original_start == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    assert seen.start == datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def test_cancelled_attendee_copy_is_cancelled() -> None:
    copy = event(
        isCancelled=True, responseStatus={"response": "accepted", "time": "0001-01-01T00:00:00Z"}
    )
    seen = normalise_event(copy, B, ROSTER)

    assert seen is not None and seen.state == "cancelled" and seen.calendar_email == B


def test_owner_decline_is_attributed_with_its_response_time() -> None:
    copy = event(responseStatus={"response": "declined", "time": "2026-03-08T10:15:00.5000000Z"})
    seen = normalise_event(copy, B, ROSTER)

    assert seen is not None and seen.declined_by == (B,)
    assert seen.response_at == datetime(2026, 3, 8, 10, 15, 0, 500000, tzinfo=UTC)


def test_attendee_decline_on_the_organizer_copy_is_attributed() -> None:
    seen = normalise_event(event(attendees=[person(B, "declined")]), A, ROSTER)

    assert seen is not None and seen.declined_by == (B,) and seen.response_at is None


@pytest.mark.parametrize(
    "changes",
    [
        {"hasAttachments": True},
        {"body": {"contentType": "html", "content": '<a href="HTTPS://docs.x/1">doc</a>'}},
        {"body": {"contentType": "text", "content": "notes at http://wiki/1on1"}},
    ],
    ids=["attachment", "https-link", "http-link"],
)
def test_agenda_is_an_attachment_or_a_link(changes: dict[str, Any]) -> None:
    seen = normalise_event(event(**changes), A, ROSTER)

    assert seen is not None and seen.has_agenda


def test_named_windows_zone_is_read_with_its_dst_offset() -> None:
    winter = {"dateTime": "2026-03-06T09:00:00.0000000", "timeZone": "Pacific Standard Time"}
    summer = {"dateTime": "2026-03-09T09:00:00.0000000", "timeZone": "Pacific Standard Time"}

    assert parse_local(winter) == datetime(2026, 3, 6, 17, tzinfo=UTC)
    assert parse_local(summer) == datetime(2026, 3, 9, 16, tzinfo=UTC)


def test_iana_zone_names_are_accepted_too() -> None:
    value = {"dateTime": "2026-07-01T09:00:00.0000000", "timeZone": "Europe/Berlin"}

    assert parse_local(value) == datetime(2026, 7, 1, 7, tzinfo=UTC)


def test_unknown_zone_is_a_fatal_error_not_a_guess() -> None:
    with pytest.raises(FatalSourceError, match="tzone://Microsoft/Custom"):
        parse_local(
            {"dateTime": "2026-07-01T09:00:00.0000000", "timeZone": "tzone://Microsoft/Custom"}
        )


def test_graph_never_timestamp_means_unknown() -> None:
    assert parse_instant("0001-01-01T00:00:00Z") is None


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(sorted(SANDBOX_WINDOWS_NAMES.values())),
)
def test_rendered_local_times_parse_back_to_the_same_instant(moment: datetime, zone: str) -> None:
    """The sandbox names zones from its own table; the client must read every one back."""
    wall = moment.astimezone(zone_for(zone))
    # A wall time in the repeated hour of a DST fall-back is ambiguous without an offset:
    # the reason the connector asks Graph for UTC.
    assume(wall.replace(fold=1 - wall.fold).utcoffset() == wall.utcoffset())

    assert parse_local(local(moment, zone)) == moment


def test_every_windows_name_in_the_table_is_a_known_iana_zone() -> None:
    for name in WINDOWS_TO_IANA:
        assert zone_for(name).utcoffset(datetime(2026, 1, 1)) is not None
    assert zone_for("UTC").utcoffset(datetime(2026, 1, 1)) == timedelta(0)
