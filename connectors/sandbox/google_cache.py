"""Rendered copies of the org's instances, cached per org version.

Rendering and serialising an event costs tens of microseconds, and a meeting sits on
several calendars and is listed by every full and incremental sync. So each
instance is rendered once per variant (live, deleted or cancelled stub) and org version: its
digest (what a sync-token snapshot compares) and its serialised form under each
fields mask are kept. A copy differs between calendars only by the `self` flags, so
a mask that drops them yields bytes every calendar shares; any other mask (or none)
is rendered per calendar.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import orjson

from connectors.sandbox.google_fields import Mask, apply_mask, selects
from connectors.sandbox.google_render import Event, Variant, render, render_shared, variant
from connectors.sandbox.model import Instance


@dataclass
class Entry:
    """One instance in one variant: its id, digest and serialised masked forms."""

    event_id: str
    digest: int
    variant: Variant
    masked: dict[str, bytes] = field(default_factory=dict)  # fields text -> bytes


def shared(items_mask: Mask | None) -> bool:
    """Whether copies under this mask are the same on every calendar (no `self`)."""
    if items_mask is None:
        return False
    people = ("attendees", "organizer", "creator")
    return not any(selects(items_mask, who, "self") for who in people)


class RenderCache:
    """Entries of the current org version; a new version starts afresh."""

    def __init__(self) -> None:
        self._version = -1
        self._entries: dict[tuple[str, Variant], Entry] = {}
        self._lock = threading.Lock()

    def entry(
        self, version: int, instance: Instance, calendar: str, names: dict[str, str]
    ) -> Entry:
        """The entry of `instance` as `calendar` holds it."""
        kind = variant(instance, calendar)
        entries = self._current(version)
        found = entries.get((instance.uid, kind))
        if found is None:
            event = render_shared(instance, kind, names)
            found = Entry(event["id"], hash((kind, orjson.dumps(event))), kind)
            entries[(instance.uid, kind)] = found
        return found

    def item(
        self,
        entry: Entry,
        instance: Instance,
        calendar: str,
        names: dict[str, str],
        fields: tuple[str, Mask | None],
    ) -> bytes:
        """The copy as served to `calendar` under the fields mask `(text, items mask)`."""
        text, mask = fields
        if not shared(mask):
            return serialise(render(instance, calendar, names), mask)
        found = entry.masked.get(text)
        if found is None:
            found = serialise(render_shared(instance, entry.variant, names), mask)
            entry.masked[text] = found
        return found

    def _current(self, version: int) -> dict[tuple[str, Variant], Entry]:
        with self._lock:
            if version != self._version:
                self._version, self._entries = version, {}
            return self._entries


def serialise(event: Event, mask: Mask | None) -> bytes:
    """An event as JSON bytes under a mask."""
    return orjson.dumps(apply_mask(event, mask))
