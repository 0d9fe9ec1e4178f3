"""The sandbox organisation in a provider-neutral shape.

The generator (`org.py`) builds a `SandboxOrg`; the API modules (`google_api.py`,
`graph_api.py`) render it per calendar in each provider's wire format. Mutations
between syncs (tests) change this model and bump `SandboxOrg.version`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Response = Literal["accepted", "declined", "tentative", "needsAction"]
EventKind = Literal["default", "outOfOffice", "focusTime", "workingLocation"]


@dataclass
class Member:
    """A person of the synthetic organisation."""

    email: str
    name: str
    manager_email: str | None
    provider: Literal["google", "microsoft"]
    timezone: str  # IANA name, e.g. "America/Los_Angeles"
    hired_on: date
    active: bool = True  # False: suspended (Google) / accountEnabled false (Graph)
    reports_since: date | None = None  # a change of manager's date; None: since hired_on


@dataclass
class Attendee:
    email: str
    response: Response = "accepted"
    resource: bool = False  # a room or equipment
    group: bool = False  # a group/distribution list address, not a person
    responded_at: datetime | None = None


@dataclass
class Instance:
    """One instance of a meeting as it stands on the organizer's calendar.

    Recurring series are expanded: every instance is its own `Instance` sharing
    `series_id`. `original_start` is the slot the series rule gave it (equal to
    `start` unless the instance was moved). Datetimes are aware UTC.
    """

    uid: str  # unique per instance, stable across syncs
    series_id: str | None  # None for a one-off
    organizer: str
    attendees: list[Attendee]  # everyone but the organizer
    start: datetime
    end: datetime
    original_start: datetime
    timezone: str  # organizer's IANA zone, used for rendering local times
    created_at: datetime
    updated_at: datetime
    title: str = "1:1"
    description: str = ""  # may hold a link (a running agenda doc)
    location: str = ""
    has_attachment: bool = False
    all_day: bool = False
    kind: EventKind = "default"
    show_as: str = "busy"  # Graph showAs: free, tentative, busy, oof, workingElsewhere
    cancelled: bool = False  # cancelled by the organizer
    cancelled_at: datetime | None = None
    removed_by: set[str] = field(default_factory=set)  # attendees who deleted their copy
    # A one-off deleted outright, at `cancelled_at`: Google keeps the deleted event (with
    # its data on the organizer's calendar); on Microsoft it is gone from every calendar.
    deleted: bool = False


@dataclass
class Truth:
    """What the generator planted, as of `SandboxOrg.anchor` with default metrics."""

    neglected: set[str] = field(default_factory=set)  # report emails
    chronic_cancelers: set[str] = field(default_factory=set)  # person emails
    intro_overdue: set[str] = field(default_factory=set)  # report emails
    never_met: set[str] = field(default_factory=set)  # reports with no 1:1 at all
    manager_change: tuple[str, str, str, date] | None = None  # report, old, new, on


@dataclass
class SandboxOrg:
    people: list[Member]
    instances: list[Instance]
    truth: Truth
    anchor: date  # "today" of the organisation
    history_start: date  # first day of generated history
    version: int = 0  # bumped by every mutation
