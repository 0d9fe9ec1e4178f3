"""Graph event payload → `Observation`: pure functions, no I/O.

Candidate rules (README "What it measures"): not all-day, not out-of-office, exactly two human
participants (organizer included, rooms and equipment excluded), both in the roster.
Only what the metrics need survives: subject, body and location are read (the body
only to test for a link) and dropped; the Teams join URL only as its `meeting_key` digest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.microsoft.zones import zone_for
from connectors.model import Observation, meeting_key

_LINK = re.compile(r"https?://", re.IGNORECASE)
_RECURRING_TYPES = frozenset({"occurrence", "exception"})
# Graph's "no response yet" timestamp.
_NEVER = "0001-01-01T00:00:00Z"

Event = Mapping[str, Any]


def parse_instant(value: str | None) -> datetime | None:
    """An `Edm.DateTimeOffset` string (`...Z`, up to seven fractional digits) → UTC."""
    if not value or value.startswith("0001-01-01"):
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_local(value: Mapping[str, Any] | None) -> datetime | None:
    """A Graph `dateTimeTimeZone` (wall time without offset + zone name) → aware UTC."""
    if not value or not value.get("dateTime"):
        return None
    wall = datetime.fromisoformat(str(value["dateTime"]))
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    zone = str(value.get("timeZone") or "UTC")
    # UTC is what the connector asks for (`outlook.timezone`): skip the zone lookup.
    return wall.replace(tzinfo=UTC if zone == "UTC" else zone_for(zone)).astimezone(UTC)


def _address(recipient: Mapping[str, Any] | None) -> str | None:
    email = ((recipient or {}).get("emailAddress") or {}).get("address")
    return str(email).strip().lower() if email else None


def human_attendees(event: Event) -> list[tuple[str, str]]:
    """(email, response) of every attendee who is not a room or equipment."""
    found = []
    for attendee in event.get("attendees") or ():
        email = _address(attendee)
        if email and attendee.get("type") != "resource":
            found.append((email, str((attendee.get("status") or {}).get("response", "none"))))
    return found


def _pair_of(organizer: str | None, attendees: list[tuple[str, str]]) -> tuple[str, ...] | None:
    people = {email for email, _ in attendees}
    if organizer:
        people.add(organizer)
    return tuple(sorted(people)) if len(people) == 2 else None


def participants(event: Event) -> tuple[str, ...] | None:
    """The sorted pair of human participants, organizer included; None if not a pair."""
    return _pair_of(_address(event.get("organizer")), human_attendees(event))


def _pair_attendees(
    event: Event, roster: frozenset[str]
) -> tuple[tuple[str, ...], list[tuple[str, str]]] | None:
    """The roster pair and the human attendees, or None for anything but a 1:1 of two.

    Stops reading attendees at a third person: most events are group meetings.
    """
    organizer = _address(event.get("organizer"))
    people = {organizer} if organizer else set()
    attendees = []
    for attendee in event.get("attendees") or ():
        email = _address(attendee)
        if email and attendee.get("type") != "resource":
            people.add(email)
            if len(people) > 2:
                return None
            attendees.append((email, str((attendee.get("status") or {}).get("response", "none"))))
    if len(people) != 2 or not people <= roster:
        return None
    return tuple(sorted(people)), attendees


def is_candidate(event: Event, roster: frozenset[str]) -> bool:
    """Whether the event can be a 1:1 between two roster members."""
    if event.get("isAllDay") or event.get("showAs") == "oof":
        return False
    return _pair_attendees(event, roster) is not None


def _declined(
    event: Event, attendees: list[tuple[str, str]], calendar_email: str, pair: tuple[str, ...]
) -> tuple[str, ...]:
    declined = {email for email, response in attendees if response == "declined"}
    if (event.get("responseStatus") or {}).get("response") == "declined":
        declined.add(calendar_email.lower())
    return tuple(sorted(declined & set(pair)))


def declined_by(event: Event, calendar_email: str, pair: tuple[str, ...]) -> tuple[str, ...]:
    """Participants who declined: attendee statuses plus the owner's own response."""
    return _declined(event, human_attendees(event), calendar_email, pair)


def _response_at(event: Event) -> datetime | None:
    """When the decline this copy records was made: the owner's own response, else an
    attendee's (Graph keeps each attendee's response time on the organizer's copy, so
    a manager who reads only their own calendar still knows when a report declined)."""
    statuses = [event.get("responseStatus") or {}]
    statuses += [
        a.get("status") or {} for a in event.get("attendees") or () if a.get("type") != "resource"
    ]
    for status in statuses:
        if status.get("response") == "declined":
            return parse_instant(str(status.get("time") or _NEVER))
    return None


def has_agenda(event: Event) -> bool:
    """An attachment or an http(s) link in the body (a running agenda doc)."""
    body = str((event.get("body") or {}).get("content") or "")
    return bool(event.get("hasAttachments")) or _LINK.search(body) is not None


def _original_start(event: Event) -> datetime | None:
    if event.get("type") not in _RECURRING_TYPES:
        return None
    return parse_instant(event.get("originalStart"))


def online_meeting_key(event: Event) -> str | None:
    """The `meeting_key` of the event's online meeting (`onlineMeeting.joinUrl`), or None
    when it has none (met in person, or a provider without a join URL)."""
    online = event.get("onlineMeeting")
    link = online.get("joinUrl") if isinstance(online, Mapping) else None
    return meeting_key("microsoft", str(link)) if link else None


def normalise_event(
    event: Event, calendar_email: str, roster: frozenset[str]
) -> Observation | None:
    """One Graph event read from `calendar_email` → an Observation, or None if no 1:1."""
    if event.get("isAllDay") or event.get("showAs") == "oof":
        return None
    found = _pair_attendees(event, roster)
    if found is None:
        return None
    pair, attendees = found
    series = event.get("seriesMasterId") or None
    return Observation(
        provider="microsoft",
        calendar_email=calendar_email.lower(),
        event_id=str(event["id"]),
        series_key=str(series) if series else None,
        organizer_email=_address(event.get("organizer")),
        participants=pair,
        declined_by=_declined(event, attendees, calendar_email, pair),
        state="cancelled" if event.get("isCancelled") else "live",
        start=parse_local(event.get("start")),
        end=parse_local(event.get("end")),
        original_start=_original_start(event),
        recurring=bool(series) or event.get("type") in _RECURRING_TYPES,
        has_agenda=has_agenda(event),
        created_at=parse_instant(event.get("createdDateTime")),
        updated_at=parse_instant(event.get("lastModifiedDateTime")),
        response_at=_response_at(event),
        meeting_key=online_meeting_key(event),
    )
