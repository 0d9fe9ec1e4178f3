"""Graph event payload → `Observation`: pure functions, no I/O.

Candidate rules (DESIGN.md): not all-day, not out-of-office, exactly two human
participants (organizer included, rooms and equipment excluded), both in the roster.
Only what the metrics need survives: subject, body and location are read (the body
only to test for a link) and dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.microsoft.zones import zone_for
from connectors.model import Observation

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
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=zone_for(str(value.get("timeZone") or "UTC")))
    return wall.astimezone(UTC)


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


def participants(event: Event) -> tuple[str, ...] | None:
    """The sorted pair of human participants, organizer included; None if not a pair."""
    organizer = _address(event.get("organizer"))
    people = {email for email, _ in human_attendees(event)}
    if organizer:
        people.add(organizer)
    return tuple(sorted(people)) if len(people) == 2 else None


def is_candidate(event: Event, roster: frozenset[str]) -> bool:
    """Whether the event can be a 1:1 between two roster members."""
    if event.get("isAllDay") or event.get("showAs") == "oof":
        return False
    pair = participants(event)
    return pair is not None and all(email in roster for email in pair)


def declined_by(event: Event, calendar_email: str, pair: tuple[str, ...]) -> tuple[str, ...]:
    """Participants who declined: attendee statuses plus the owner's own response."""
    declined = {email for email, response in human_attendees(event) if response == "declined"}
    if (event.get("responseStatus") or {}).get("response") == "declined":
        declined.add(calendar_email.lower())
    return tuple(sorted(declined & set(pair)))


def _response_at(event: Event) -> datetime | None:
    status = event.get("responseStatus") or {}
    if status.get("response") != "declined":
        return None
    return parse_instant(str(status.get("time") or _NEVER))


def has_agenda(event: Event) -> bool:
    """An attachment or an http(s) link in the body (a running agenda doc)."""
    body = str((event.get("body") or {}).get("content") or "")
    return bool(event.get("hasAttachments")) or _LINK.search(body) is not None


def _original_start(event: Event) -> datetime | None:
    if event.get("type") not in _RECURRING_TYPES:
        return None
    return parse_instant(event.get("originalStart"))


def normalise_event(
    event: Event, calendar_email: str, roster: frozenset[str]
) -> Observation | None:
    """One Graph event read from `calendar_email` → an Observation, or None if no 1:1."""
    if not is_candidate(event, roster):
        return None
    pair = participants(event)
    assert pair is not None  # is_candidate checked it
    series = event.get("seriesMasterId") or None
    return Observation(
        provider="microsoft",
        calendar_email=calendar_email.lower(),
        event_id=str(event["id"]),
        series_key=str(series) if series else None,
        organizer_email=_address(event.get("organizer")),
        participants=pair,
        declined_by=declined_by(event, calendar_email, pair),
        state="cancelled" if event.get("isCancelled") else "live",
        start=parse_local(event.get("start")),
        end=parse_local(event.get("end")),
        original_start=_original_start(event),
        recurring=bool(series) or event.get("type") in _RECURRING_TYPES,
        has_agenda=has_agenda(event),
        created_at=parse_instant(event.get("createdDateTime")),
        updated_at=parse_instant(event.get("lastModifiedDateTime")),
        response_at=_response_at(event),
    )
