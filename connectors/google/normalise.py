"""Google Calendar `Event` resources → `Observation`s. Pure functions, no I/O.

An event is kept when it can be a 1:1:

- timed (no `start.date`), `eventType` default or missing, `attendeesOmitted` not set;
- exactly two human participants counting the organizer, rooms and other resources
  (`resource: true`) left out;
- both participants in the roster. A group address, an outsider or a shared
  calendar is never a roster member, so an event inviting one is dropped by this
  rule: the event had a third party, or a non-person, in it.

A cancelled event (`status: cancelled`) comes in two shapes. Google cancels a one-off
by deleting it, and a deleted event usually keeps its start, end, attendees and
`updated` on the organizer's calendar: such a copy, when it still passes the candidate
rules, is a cancelled copy of that meeting, on a first sync as on later ones. Otherwise
it is a stub: Google guarantees only `id`, `recurringEventId` and `originalStartTime`
for a cancelled instance of a series, and only `id` for a deleted event (often all an
attendee's calendar keeps). Stubs of a series become `Observation`s with state
"cancelled" and no participants, which the warehouse fills in from the series; a bare
stub of a one-off only matches a stored copy (an incremental sync reports its id
removed) and is otherwise ignored. Titles, descriptions, locations and links are never
kept: a Google Meet link is kept only as `meeting_key`'s digest of its meeting code
(from `conferenceData` when its solution is `hangoutsMeet`, else from `hangoutLink`),
which is how a Meet call record finds its event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from connectors.model import Observation, cancelled_stub, meeting_key

Event = Mapping[str, Any]
_LINK = re.compile(r"https?://", re.IGNORECASE)
_SPLIT_SUFFIX = re.compile(r"_R\d{8}T\d{6}Z?$")


@dataclass
class Normalised:
    """What one listing yields: observations to store and event ids to forget."""

    observations: list[Observation] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)


def series_key(recurring_event_id: str | None) -> str | None:
    """The series identity that survives a "this and following" split (`_R…` dropped)."""
    if not recurring_event_id:
        return None
    return _SPLIT_SUFFIX.sub("", recurring_event_id)


def parse_instant(value: Mapping[str, Any] | None) -> datetime | None:
    """An `EventDateTime` with `dateTime` as aware UTC; None for all-day or missing."""
    if not value or not value.get("dateTime"):
        return None
    moment = datetime.fromisoformat(value["dateTime"])
    if moment.tzinfo is None:  # no offset: the named zone applies
        moment = moment.replace(tzinfo=ZoneInfo(value.get("timeZone") or "UTC"))
    return moment.astimezone(UTC)


def parse_stamp(value: str | None) -> datetime | None:
    """`created`/`updated` (RFC 3339) as aware UTC."""
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def is_cancelled(event: Event) -> bool:
    return event.get("status") == "cancelled"


def participants(event: Event) -> set[str]:
    """The human participants: organizer plus every attendee that is not a resource."""
    people = {_email(event.get("organizer", {}).get("email"))}
    for attendee in event.get("attendees", ()):
        if not attendee.get("resource"):
            people.add(_email(attendee.get("email")))
    people.discard("")
    return people


def is_candidate(event: Event, roster: frozenset[str]) -> bool:
    """Whether the event, live or cancelled, carries the data of a 1:1 of two roster members."""
    start = event.get("start", {})
    if "date" in start or not start.get("dateTime"):
        return False
    if event.get("eventType", "default") != "default" or event.get("attendeesOmitted"):
        return False
    # Cheap rejection of the many group meetings: four human entries are at least three
    # people whoever the organizer is (Google lists each attendee once).
    attendees = event.get("attendees", ())
    if len(attendees) > 3 and sum(1 for a in attendees if not a.get("resource")) > 3:
        return False
    people = participants(event)
    return len(people) == 2 and people <= roster


def has_agenda(event: Event) -> bool:
    """An attachment, or an http(s) link in the description (a running doc)."""
    return bool(event.get("attachments")) or bool(_LINK.search(event.get("description") or ""))


def meet_key(event: Event) -> str | None:
    """The `meeting_key` of the event's Google Meet meeting, or None when it has none.

    The meeting code is `conferenceData.conferenceId` when the conference solution is
    `hangoutsMeet`, else the last path segment of `hangoutLink`.
    """
    conference = event.get("conferenceData") or {}
    solution = ((conference.get("conferenceSolution") or {}).get("key") or {}).get("type")
    code = conference.get("conferenceId") if solution == "hangoutsMeet" else None
    if not code and event.get("hangoutLink"):
        path = urlsplit(str(event["hangoutLink"])).path
        code = path.rstrip("/").rpartition("/")[2]
    return meeting_key("google", str(code)) if code else None


def full_observation(event: Event, calendar_email: str) -> Observation:
    """The observation of an event that carries a 1:1's data (`is_candidate`).

    Its state is "cancelled" for a deleted copy that kept its data, else "live".
    """
    people = participants(event)
    declined = {
        _email(a.get("email"))
        for a in event.get("attendees", ())
        if a.get("responseStatus") == "declined"
    }
    recurring_id = event.get("recurringEventId")
    return Observation(
        provider="google",
        calendar_email=_email(calendar_email),
        event_id=event["id"],
        series_key=series_key(recurring_id),
        organizer_email=_email(event.get("organizer", {}).get("email")),
        participants=tuple(sorted(people)),
        declined_by=tuple(sorted(declined & people)),
        state="cancelled" if is_cancelled(event) else "live",
        start=parse_instant(event.get("start")),
        end=parse_instant(event.get("end")),
        original_start=parse_instant(event.get("originalStartTime")) if recurring_id else None,
        recurring=recurring_id is not None,
        has_agenda=has_agenda(event),
        created_at=parse_stamp(event.get("created")),
        updated_at=parse_stamp(event.get("updated")),
        meeting_key=meet_key(event),
    )


def stub_observation(event: Event, calendar_email: str) -> Observation:
    """The observation of a cancelled instance of a series (a stub)."""
    return cancelled_stub(
        "google",
        _email(calendar_email),
        event["id"],
        series_key(event.get("recurringEventId")),
        parse_instant(event.get("originalStartTime")),
        parse_stamp(event.get("updated")),
    )


def normalise_event(
    event: Event, calendar_email: str, roster: frozenset[str]
) -> Observation | None:
    """One event → its observation; None when it cannot be a 1:1 (or is a bare deletion).

    Stubs of a series are always returned here; `normalise_events` decides which to
    keep.
    """
    if is_candidate(event, roster):
        return full_observation(event, calendar_email)
    if is_cancelled(event) and event.get("recurringEventId"):
        return stub_observation(event, calendar_email)
    return None


def normalise_events(
    events: Iterable[Event], calendar_email: str, roster: frozenset[str], full: bool
) -> Normalised:
    """A whole listing of one calendar → observations and removed ids.

    Full listing: cancelled stubs are kept only when their series has a kept instance
    in the same listing (otherwise they belong to a series that is not a 1:1).
    Incremental listing: every stub of a series is kept (the warehouse resolves it
    against stored series), and the id of every other event that is not kept is
    reported removed: it was deleted, or stopped being a 1:1 (say a third attendee
    was added), so a stored copy must go.
    """
    result = Normalised()
    stubs: list[Observation] = []
    for event in events:
        observation = normalise_event(event, calendar_email, roster)
        if observation is None:
            if not full:
                result.removed_ids.append(event["id"])
        elif not observation.participants:
            stubs.append(observation)
        else:
            result.observations.append(observation)
    kept_series = {o.series_key for o in result.observations if o.series_key}
    result.observations.extend(s for s in stubs if not full or s.series_key in kept_series)
    return result


def _email(value: str | None) -> str:
    return (value or "").strip().lower()
