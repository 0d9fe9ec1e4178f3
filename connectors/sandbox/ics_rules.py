"""A series' recurrence rule, rebuilt from its instances' original slots (pure).

The sandbox stores a series as expanded instances sharing `series_id`; an .ics file
writes it as DTSTART + RRULE, EXDATE for the rule's slots that have no instance on the
calendar and RDATE for instances the rule does not produce, so any set of slots comes
back exactly when the file is expanded. The rule repeats every `step_days`, the most
common gap between the slots at the series' usual local time: weekly, biweekly,
every four weeks, or every few days when the gaps say so. Slots are
local wall times (naive) in the organizer's zone, where a series keeps its hour
across a DST change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Recurrence:
    """DTSTART, the rule and its exceptions; datetimes are local wall times (naive)."""

    first: datetime
    step_days: int
    until: datetime
    exdates: tuple[datetime, ...]
    rdates: tuple[datetime, ...]

    def slots(self) -> list[datetime]:
        """The slots the rule alone produces, `first` to `until`."""
        found, slot = [], self.first
        while slot <= self.until:
            found.append(slot)
            slot += timedelta(days=self.step_days)
        return found

    def rrule(self, zone: str) -> dict[str, Any]:
        """The RRULE (an icalendar vRecur mapping); UNTIL in UTC, as RFC 5545 asks when
        DTSTART names a zone."""
        until = self.until.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        if self.step_days % 7 == 0:
            weekday = _WEEKDAYS[self.first.weekday()]
            return {
                "FREQ": "WEEKLY",
                "UNTIL": until,
                "INTERVAL": self.step_days // 7,
                "BYDAY": weekday,
            }
        return {"FREQ": "DAILY", "UNTIL": until, "INTERVAL": self.step_days}


def recurrence(originals: Iterable[datetime], present: Iterable[datetime]) -> Recurrence:
    """The rule of a series whose instances have `originals` as slots, `present` the
    slots with a copy on the calendar being written (the others become EXDATEs)."""
    slots = sorted(set(originals))
    if not slots:
        raise ValueError("a series needs at least one slot")
    usual = _usual_time(slots)
    main = [s for s in slots if s.time() == usual]
    step = _usual_gap(main)
    grid = _largest_grid(main, step)
    rule = Recurrence(grid[0], step, grid[-1], (), ())
    produced = set(rule.slots())
    shown = set(present)
    return Recurrence(
        first=grid[0],
        step_days=step,
        until=grid[-1],
        exdates=tuple(sorted(produced - shown)),
        rdates=tuple(sorted(shown - produced)),
    )


def _usual_time(slots: list[datetime]) -> Any:
    """The local time of day most slots have (the earliest such on a tie)."""
    counts = Counter(s.time() for s in slots)
    return min(counts, key=lambda t: (-counts[t], t))


def _usual_gap(main: list[datetime]) -> int:
    """The most common gap in days between consecutive slots (the shorter on a tie):
    a slot left out doubles one gap, an extra one splits one, neither changes it."""
    gaps = Counter((b.date() - a.date()).days for a, b in pairwise(main))
    return min(gaps, key=lambda g: (-gaps[g], g)) if gaps else 7


def _largest_grid(main: list[datetime], step: int) -> list[datetime]:
    """The slots `step` days apart from one another that are the most (the earliest on
    a tie): the rule's; the rest are extra dates."""
    first = main[0].date()
    grids: dict[int, list[datetime]] = {}
    for slot in main:
        grids.setdefault((slot.date() - first).days % step, []).append(slot)
    return max(grids.values(), key=lambda grid: (len(grid), -grid[0].toordinal()))
