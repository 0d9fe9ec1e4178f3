"""The normalised shapes every connector produces and the warehouse stores.

Provider-specific parsing ends here: the warehouse, the transforms and the reports only
ever see `Person`, `Observation` and `CalendarBatch`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, Protocol, runtime_checkable
from urllib.parse import unquote

from connectors.limits import Waits
from core.errors import SourceError

Provider = Literal["google", "microsoft"]
CopyState = Literal["live", "cancelled", "removed"]


@dataclass(frozen=True, slots=True)
class Person:
    """One roster member. Emails are lower-case.

    `start_date` is the day the person started reporting to `manager_email` when the
    roster knows it (CSV column, or the directory's hire date), else None. `title` is
    the job title when the roster has one (a change of it dates a change of role).
    """

    email: str
    name: str
    manager_email: str | None
    provider: Provider
    start_date: date | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One copy of one calendar event (a single instance), as read from one calendar.

    Only what the metrics need is kept: never titles, bodies, locations or links.
    A connector keeps an event only when it can be a 1:1 (not all-day, default event
    type, exactly two human participants, both in the roster, no group address, no
    omitted attendees), plus cancelled-instance stubs of a series it keeps (Google
    sends only id, recurringEventId and originalStartTime for those: `participants`
    is then empty and `organizer_email` None, and the warehouse fills them from the
    series).

    All datetimes are timezone-aware UTC.
    """

    provider: Provider
    calendar_email: str  # whose calendar this copy was read from
    event_id: str  # provider id of this copy, unique within the calendar
    series_key: str | None  # series identity that survives a "this and following" split
    organizer_email: str | None
    participants: tuple[str, ...]  # the two human participants, sorted; () for a stub
    declined_by: tuple[str, ...]  # participants whose response is "declined"
    state: CopyState  # live; cancelled (the copy says so); removed (gone from calendar)
    start: datetime | None
    end: datetime | None
    original_start: datetime | None  # original slot of a recurring instance, else None
    recurring: bool
    has_agenda: bool  # attachment or link in the description/body; only the boolean
    created_at: datetime | None = None
    updated_at: datetime | None = None  # provider's last-modified time of this copy
    # When the decline this copy records was made (Graph): the owner's own response, or
    # on the organizer's copy the attendee's; None when nobody declined (and on Google).
    response_at: datetime | None = None
    # The online meeting the event links to, as `meeting_key` digests it (Google Meet's
    # code, Graph's onlineMeeting.joinUrl); None when it has none (met in person).
    meeting_key: str | None = None


def cancelled_stub(
    provider: Provider,
    calendar_email: str,
    event_id: str,
    series_key: str | None,
    original_start: datetime | None,
    updated_at: datetime | None,
) -> Observation:
    """The observation of a cancelled instance of a series known only by its slot (a
    stub): the warehouse fills its participants, organizer and times from the series."""
    return Observation(
        provider=provider,
        calendar_email=calendar_email,
        event_id=event_id,
        series_key=series_key,
        organizer_email=None,
        participants=(),
        declined_by=(),
        state="cancelled",
        start=None,
        end=None,
        original_start=original_start,
        recurring=True,
        has_agenda=False,
        updated_at=updated_at,
    )


@lru_cache(maxsize=65_536)  # a series' instances share their link: digested once
def meeting_key(provider: Provider, link: str) -> str:
    """A stable digest of an online meeting's identity, the same from the calendar event
    and from the call record: Google Meet's meeting code ("abc-defg-hij", any case, with
    or without dashes) or Graph's join URL (percent-encoded or not). Never kept raw:
    whoever holds a code or a join URL can ask to join."""
    text = link.strip().lower()
    text = text.replace("-", "") if provider == "google" else unquote(text).rstrip("/")
    return hashlib.sha256(f"{provider}:{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class CallPresence:
    """One person's time in one online call, as a call record reports it: who, from when
    to when, in which call. Nothing else is kept: no content, no titles, no phone numbers,
    no devices. All datetimes are timezone-aware UTC; emails are lower-case.

    A call joins a calendar event through `meeting_key` (the same digest as the event's);
    a call without one (a peer-to-peer call) is unscheduled time.
    """

    provider: Provider
    call_id: str  # Google Meet's conference_id; Graph's callRecord id
    meeting_key: str | None
    email: str
    joined_at: datetime
    left_at: datetime


@dataclass(frozen=True, slots=True)
class CallBatch:
    """What one read of a provider's call records returned, for [read_from, read_until).

    Records arrive late (Google's Reports API: hours) and expire (Graph: 30 days), so each
    run reads again from `read_until` minus an overlap, and storing is idempotent.
    """

    provider: Provider
    presences: Sequence[CallPresence]
    read_from: datetime
    read_until: datetime
    requests: int = 0  # HTTP requests made (token requests aside)


@runtime_checkable
class CallSource(Protocol):
    """Reads one provider's call records of the roster's people."""

    provider: Provider

    def read_calls(self, since: datetime, until: datetime) -> CallBatch:
        """Presences of roster people in calls that ended in [since, until)."""
        ...


@dataclass(frozen=True, slots=True)
class CalendarBatch:
    """What one sync of one calendar returned, committed with its cursor in one go.

    `full` means the batch replaces everything stored for the calendar (first sync or
    a resync after an expired cursor). `removed_ids` lists event ids that an
    incremental sync reported as deleted from this calendar.
    """

    provider: Provider
    calendar_email: str
    observations: Sequence[Observation]
    cursor: str | None  # Google syncToken or Graph deltaLink; None when not incremental
    full: bool
    removed_ids: Sequence[str] = field(default_factory=tuple)
    events_read: int = 0  # raw events read from the API, before minimisation
    requests: int = 0  # HTTP requests made (token requests aside)


class CalendarSource(Protocol):
    """A provider's calendar connector.

    `waits`: seconds its requests spent waiting on the provider's limits and on
    retries so far, summed over threads (the run summary reports them).
    """

    provider: Provider
    waits: Waits

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read one calendar: incrementally from `cursor`, or in full when it is None."""
        ...


@runtime_checkable
class BatchingSource(CalendarSource, Protocol):
    """A connector that can sync many calendars in few requests (incremental rounds)."""

    def sync_many(
        self, requests: Sequence[tuple[str, str | None]]
    ) -> list[CalendarBatch | SourceError]:
        """Sync each (email, cursor); one result per request, in order: a batch or its error.

        An expired cursor is resynced in full by the source itself.
        """
        ...


class RosterSource(Protocol):
    """Where the roster comes from (CSV, a directory, the sandbox)."""

    def people(self) -> list[Person]:
        """Every roster member, validated."""
        ...
