"""The sandbox organisation in a provider-neutral shape.

The generator (`org.py`) builds a `SandboxOrg` whose calendars are generated on
demand (`calendars.LazyCalendars`); a test can also build one from a list of
instances (`ListCalendars`). The API modules (`google_api.py`, `graph_api.py`) read
it one calendar at a time (`SandboxOrg.calendar`) and render it in each provider's
wire format. Mutations between syncs (tests) change this model and bump
`SandboxOrg.version`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

Response = Literal["accepted", "declined", "tentative", "needsAction"]
EventKind = Literal["default", "outOfOffice", "focusTime", "workingLocation"]


@dataclass(slots=True)
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
    title: str | None = None  # job title, as the directories serve it


@dataclass(slots=True)
class Attendee:
    email: str
    response: Response = "accepted"
    resource: bool = False  # a room or equipment
    group: bool = False  # a group/distribution list address, not a person
    responded_at: datetime | None = None


@dataclass(slots=True)
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
    # Reports whose line has fewer than 3 held 1:1s since it started (getting to know).
    get_to_know: set[str] = field(default_factory=set)
    # Of those, the ones met at least once but at under half the weekly cadence.
    under_served: set[str] = field(default_factory=set)
    falling_subtree: str | None = None  # a director whose subtree's coverage falls

    @property
    def reset_line(self) -> tuple[str, str, date] | None:
        """The changed report's new line (report, new manager, start): a fresh start."""
        if self.manager_change is None:
            return None
        report, _, new, on = self.manager_change
        return report, new, on


class Calendars(Protocol):
    """Where a `SandboxOrg` keeps its instances (see `SandboxOrg` for each method)."""

    def everything(self) -> list[Instance]: ...
    def calendar(self, email: str, version: int) -> list[Instance]: ...
    def gather(self, emails: set[str]) -> list[Instance]: ...
    def pristine(self, email: str) -> list[Instance] | None: ...
    def untouched(self, email: str) -> bool: ...
    def related(self, uid: str) -> list[Instance]: ...
    def pair(self, a: str, b: str) -> list[Instance]: ...  # meetings of just `a` and `b`
    def discard(self, doomed: list[Instance]) -> None: ...
    def count(self) -> int: ...


def on_calendar_of(instance: Instance) -> set[str]:
    """Lower-case addresses whose calendar may hold `instance` (rooms aside)."""
    found = {instance.organizer.lower()}
    found.update(a.email.lower() for a in instance.attendees if not a.resource)
    return found


def calendar_order(instance: Instance) -> tuple[datetime, str]:
    """The order a calendar lists its instances in: original slot, then uid."""
    return instance.original_start, instance.uid


class ListCalendars:
    """Calendars over one list of instances, which stays the source of truth.

    Whoever changes the list (or an instance's attendees) bumps the org's version or
    changes the list's length; the index of who holds what is rebuilt then.
    """

    def __init__(self, instances: list[Instance]) -> None:
        self.instances = instances
        self._stamp: tuple[int, int] | None = None
        self._index: dict[str, list[Instance]] = {}

    def everything(self) -> list[Instance]:
        return self.instances

    def calendar(self, email: str, version: int) -> list[Instance]:
        stamp = (version, len(self.instances))
        if stamp != self._stamp:
            index: dict[str, list[Instance]] = {}
            for instance in sorted(self.instances, key=calendar_order):
                for who in on_calendar_of(instance):
                    index.setdefault(who, []).append(instance)
            self._index, self._stamp = index, stamp
        return self._index.get(email.lower(), [])

    def gather(self, emails: set[str]) -> list[Instance]:
        wanted = {email.lower() for email in emails}
        return [i for i in self.instances if on_calendar_of(i) & wanted]

    def pristine(self, email: str) -> list[Instance] | None:
        return None  # a hand-made list cannot be regenerated

    def untouched(self, email: str) -> bool:
        return False

    def related(self, uid: str) -> list[Instance]:
        return self.instances  # any instance may carry `uid` or its series

    def pair(self, a: str, b: str) -> list[Instance]:
        wanted = {a.lower(), b.lower()}
        return [i for i in self.instances if on_calendar_of(i) == wanted]

    def discard(self, doomed: list[Instance]) -> None:
        gone = {id(i) for i in doomed}
        self.instances[:] = [i for i in self.instances if id(i) not in gone]

    def count(self) -> int:
        return len(self.instances)


class SandboxOrg:
    """The organisation: its people, its calendars, what was planted, its dates.

    `SandboxOrg(people, instances, truth, anchor, history_start)` holds a fixed list of
    instances; `generate_org` gives one whose calendars are generated on demand.
    """

    def __init__(
        self,
        people: list[Member],
        instances: list[Instance] | Calendars,
        truth: Truth,
        anchor: date,  # "today" of the organisation
        history_start: date,  # first day of generated history
        version: int = 0,  # bumped by every mutation
    ) -> None:
        self.people = people
        self.calendars: Calendars = (
            ListCalendars(instances) if isinstance(instances, list) else instances
        )
        self.truth = truth
        self.anchor = anchor
        self.history_start = history_start
        self.version = version
        # While True, the late share of call records stays unpublished (a provider's
        # reports lag behind its calls): tests show the next read picks them up.
        self.late_calls_held = False

    @property
    def instances(self) -> list[Instance]:
        """Every instance of the org. A generated org materialises all its calendars on
        the first read (fine for the few thousand people tests use) and from then on
        this list is the source of truth: changing it changes the calendars."""
        return self.calendars.everything()

    def calendar(self, email: str) -> list[Instance]:
        """Instances that may sit on `email`'s calendar (organizer or attendee, not a
        room), in `calendar_order`; each provider decides what its copy shows."""
        return self.calendars.calendar(email, self.version)

    def pristine(self, email: str) -> list[Instance] | None:
        """`email`'s calendar as generated, before any mutation; None when the org
        cannot regenerate it (an org built from a list)."""
        return self.calendars.pristine(email)

    def untouched(self, email: str) -> bool:
        """True when `email`'s calendar is known to be exactly as generated."""
        return self.calendars.untouched(email)

    def replace_truth(self, truth: Truth) -> SandboxOrg:
        """The same org (same calendars) with another planted truth."""
        return SandboxOrg(
            self.people, self.calendars, truth, self.anchor, self.history_start, self.version
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SandboxOrg):
            return NotImplemented
        return (self.people, self.truth, self.anchor, self.history_start, self.version) == (
            other.people,
            other.truth,
            other.anchor,
            other.history_start,
            other.version,
        ) and sorted(self.instances, key=calendar_order) == sorted(
            other.instances, key=calendar_order
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SandboxOrg({len(self.people)} people, anchor {self.anchor}, v{self.version})"
