"""Calendars generated on demand, one unit of meetings at a time (see `structure.py`).

A calendar is assembled from the units its person takes part in. Generated units sit
in a cache bounded by the number of instances it holds (least recently used go
first) and are regenerated, identical, when needed again. A unit handed out to be
changed (`related`, `pair`: what `mutations.py` uses) is *pinned*: kept for good, its
instances the ones every calendar shows from then on, and the calendars of everyone
in it no longer `untouched`. Reading `everything` materialises every unit once and
from then on the returned list is the source of truth (as for `ListCalendars`).

Change a generated org through `mutations.py` (or its `instances` list), never by
editing an instance read from `calendar`: that one may be a cached copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from connectors.sandbox.model import Instance, ListCalendars, calendar_order, on_calendar_of
from connectors.sandbox.structure import Structure, UnitKey
from connectors.sandbox.units import generate_unit, unit_of

MAX_CACHED_INSTANCES = 400_000


def holds(instance: Instance, email: str) -> bool:
    """Whether `email` (lower-case) organizes or attends `instance` (rooms aside)."""
    if instance.organizer == email:
        return True
    return any(a.email == email and not a.resource for a in instance.attendees)


class LazyCalendars:
    """The calendars of a generated org (implements `model.Calendars`)."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self._cache: OrderedDict[UnitKey, list[Instance]] = OrderedDict()
        self._cached = 0
        self._pinned: dict[UnitKey, list[Instance]] = {}
        self._touched: set[str] = set()
        self._everything: ListCalendars | None = None
        self._lock = threading.RLock()

    def calendar(self, email: str, version: int) -> list[Instance]:
        if self._everything is not None:
            return self._everything.calendar(email, version)
        return self._assemble(email, self._unit)

    def pristine(self, email: str) -> list[Instance] | None:
        return self._assemble(email, self._pristine_unit)

    def untouched(self, email: str) -> bool:
        return self._everything is None and email.lower() not in self._touched

    def gather(self, emails: set[str]) -> list[Instance]:
        if self._everything is not None:
            return self._everything.gather(emails)
        wanted = {email.lower() for email in emails}
        people = sorted(self.structure.index[e] for e in wanted if e in self.structure.index)
        keys = dict.fromkeys(key for person in people for key in self.structure.units_of(person))
        # Each unit once; its instances with someone of `emails` on them.
        return [i for key in keys for i in self._unit(key) if on_calendar_of(i) & wanted]

    def related(self, uid: str) -> list[Instance]:
        """The unit that generated the instance or series `uid`, pinned."""
        if self._everything is not None:
            return self._everything.related(uid)
        key = unit_of(uid)
        return [] if key is None else self._pin(key)

    def pair(self, a: str, b: str) -> list[Instance]:
        """The meetings of just `a` and `b` (rooms aside), their units pinned: only
        those units' people stop being `untouched`, not a whole team's."""
        if self._everything is not None:
            return self._everything.pair(a, b)
        person = self.structure.index.get(a.lower())
        keys = [] if person is None else self.structure.units_of(person)
        wanted = {a.lower(), b.lower()}
        found = []
        for key in keys:
            if any(on_calendar_of(i) == wanted for i in self._unit(key)):
                found += [i for i in self._pin(key) if on_calendar_of(i) == wanted]
        return found

    def discard(self, doomed: list[Instance]) -> None:
        if self._everything is not None:
            self._everything.discard(doomed)
            return
        for instance in doomed:
            key = unit_of(instance.uid)
            if key is not None:
                unit = self._pin(key)
                unit[:] = [i for i in unit if i.uid != instance.uid]

    def everything(self) -> list[Instance]:
        with self._lock:
            if self._everything is None:
                units = [self._pin(key) for key in self.structure.every_unit()]
                self._everything = ListCalendars([i for unit in units for i in unit])
                self._cache.clear()
            return self._everything.instances

    def count(self) -> int:
        return 0 if self._everything is None else len(self._everything.instances)

    def _assemble(self, email: str, unit: Callable[[UnitKey], list[Instance]]) -> list[Instance]:
        wanted = email.lower()
        person = self.structure.index.get(wanted)
        if person is None:
            return []
        keys = self.structure.units_of(person)
        found = [i for key in keys for i in unit(key) if holds(i, wanted)]
        found.sort(key=calendar_order)
        return found

    def _unit(self, key: UnitKey) -> list[Instance]:
        with self._lock:
            found = self._pinned.get(key)
            if found is None:
                found = self._cache.get(key)
                if found is not None:
                    self._cache.move_to_end(key)
            if found is not None:
                return found
        made = generate_unit(self.structure, key)
        with self._lock:
            found = self._pinned.get(key)
            found = self._cache.get(key) if found is None else found
            if found is not None:  # another thread generated it meanwhile: one copy
                return found
            self._cache[key] = made
            self._cached += len(made)
            while self._cached > MAX_CACHED_INSTANCES and len(self._cache) > 1:
                self._cached -= len(self._cache.popitem(last=False)[1])
        return made

    def _pristine_unit(self, key: UnitKey) -> list[Instance]:
        with self._lock:
            changed = key in self._pinned or self._everything is not None
        return generate_unit(self.structure, key) if changed else self._unit(key)

    def _pin(self, key: UnitKey) -> list[Instance]:
        with self._lock:
            found = self._pinned.get(key)
            if found is None:
                found = self._unit(key)
                if self._cache.pop(key, None) is not None:
                    self._cached -= len(found)
                self._pinned[key] = found
                self._touched.update(who for i in found for who in on_calendar_of(i))
            return found
