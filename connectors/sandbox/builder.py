"""Building blocks of the generator: stable ids, local-time slots, series and one-offs.

Every meeting is placed at a local time in its organizer's zone and converted to aware
UTC here, so a weekly 1:1 keeps its local hour and shifts in UTC across DST.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from connectors.sandbox.model import Attendee, EventKind, Instance

DAY = timedelta(days=1)
MIDNIGHT = time(0)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1 << 16)
def local_to_utc(day: date, at: time, timezone: str) -> datetime:
    """The aware UTC datetime of `at` on `day` in `timezone`."""
    # Cached: meetings fall on a few thousand (day, time, zone) slots, converted once.
    return datetime.combine(day, at, tzinfo=_zone(timezone)).astimezone(UTC)


def _end(meeting: Meeting, start: datetime) -> datetime:
    if not meeting.all_day:
        return start + timedelta(minutes=meeting.minutes)
    # All-day events run from local midnight to the next local midnight (23–25 hours).
    next_day = to_local(start, meeting.timezone).date() + DAY
    return local_to_utc(next_day, MIDNIGHT, meeting.timezone)


def to_local(moment: datetime, timezone: str) -> datetime:
    """`moment` as a wall-clock datetime in `timezone`."""
    return moment.astimezone(_zone(timezone))


def utc_midnight(day: date) -> datetime:
    """00:00 UTC of `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def every(first: date, step_days: int, until: date) -> Iterator[date]:
    """`first`, `first + step`, … while before `until`."""
    day = first
    while day < until:
        yield day
        day += timedelta(days=step_days)


def latest_weekday(on_or_before: date, weekday: int) -> date:
    """The last date on or before `on_or_before` with ISO `weekday` (Monday = 1)."""
    return on_or_before - timedelta(days=(on_or_before.isoweekday() - weekday) % 7)


def instance_uid(series_id: str, original_start: datetime) -> str:
    """Google-style instance id: `<series>_<yyyymmddThhmmssZ>` of the original slot."""
    return f"{series_id}_{_stamp(original_start)}Z"


@lru_cache(maxsize=1 << 16)
def _stamp(moment: datetime) -> str:
    return f"{moment:%Y%m%dT%H%M%S}"


@dataclass(frozen=True)
class Meeting:
    """What the instances of one meeting (series or one-off) share."""

    organizer: str
    attendees: tuple[str, ...]
    timezone: str
    minutes: int
    title: str = "1:1"
    description: str = ""
    location: str = ""
    has_attachment: bool = False
    rooms: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    kind: EventKind = "default"
    show_as: str = "busy"
    all_day: bool = False


@dataclass
class Builder:
    """Accumulates one unit's instances, with ids of its prefix and a counter.

    The prefix names the unit (see `units.unit_prefix`), so an id alone tells which
    unit to regenerate to find its instance.
    """

    prefix: str
    instances: list[Instance] = field(default_factory=list)
    _counter: int = 0

    def new_id(self) -> str:
        # Only [a-v0-9]: a valid Google event id.
        self._counter += 1
        return f"{self.prefix}n{self._counter:03d}"

    def series(
        self, meeting: Meeting, days: Iterable[date], at: time, created_at: datetime
    ) -> list[Instance]:
        """One recurring series: an instance on each of `days` at local time `at`."""
        series_id = self.new_id()
        made = []
        for day in days:
            start = self._start(meeting, day, at)
            made.append(self._make(meeting, instance_uid(series_id, start), series_id, start))
            made[-1].created_at = made[-1].updated_at = created_at
        return made

    def one_off(self, meeting: Meeting, day: date, at: time, created_at: datetime) -> Instance:
        """A single meeting on `day` at local time `at`."""
        made = self._make(meeting, self.new_id(), None, self._start(meeting, day, at))
        made.created_at = made.updated_at = created_at
        return made

    def _start(self, meeting: Meeting, day: date, at: time) -> datetime:
        return local_to_utc(day, MIDNIGHT if meeting.all_day else at, meeting.timezone)

    def _make(self, meeting: Meeting, uid: str, series_id: str | None, start: datetime) -> Instance:
        attendees = [Attendee(email) for email in meeting.attendees]
        if meeting.rooms or meeting.groups:
            attendees += [Attendee(room, resource=True) for room in meeting.rooms]
            attendees += [Attendee(group, group=True) for group in meeting.groups]
        made = Instance(
            uid=uid,
            series_id=series_id,
            organizer=meeting.organizer,
            attendees=attendees,
            start=start,
            end=_end(meeting, start),
            original_start=start,
            timezone=meeting.timezone,
            created_at=start,
            updated_at=start,
            title=meeting.title,
            description=meeting.description,
            location=meeting.location,
            has_attachment=meeting.has_attachment,
            all_day=meeting.all_day,
            kind=meeting.kind,
            show_as=meeting.show_as,
        )
        self.instances.append(made)
        return made
