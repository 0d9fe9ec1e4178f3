"""Rendered copies of the org's instances, cached per org version.

Rendering and serialising an event costs tens of microseconds, and a meeting sits on
several calendars and is listed by every full and incremental sync. So each
instance is rendered once per variant (live, deleted or cancelled stub) and org version: its
digest (what a sync-token snapshot compares) and its serialised form under each
fields mask are kept. A copy differs between calendars only by the `self` flags, so
a mask that drops them yields bytes every calendar shares; any other mask (or none)
is rendered per calendar. The cache keeps the `MAX_ENTRIES` most recently used
entries: a large org's meetings would not all fit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson

from connectors.sandbox.google_fields import Mask, apply_mask, selects
from connectors.sandbox.google_render import Event, Variant, render, render_shared, variant
from connectors.sandbox.model import Instance
from connectors.sandbox.server import Reply


@dataclass
class Entry:
    """One instance in one variant: its id, digest and serialised masked forms."""

    event_id: str
    digest: int
    variant: Variant
    masked: dict[str, bytes] = field(default_factory=dict)  # fields text -> bytes
    # The shared rendering the digest came from, until a first masked form is made of
    # it: a listing then serialises it without rendering the event a second time.
    event: Event | None = field(default=None, repr=False, compare=False)


MAX_ENTRIES = 100_000


def fresh_entry(instance: Instance, kind: Variant, names: dict[str, str]) -> Entry:
    """The entry of `instance` in variant `kind`, computed (not cached)."""
    event = render_shared(instance, kind, names)
    return Entry(event["id"], hash((kind, orjson.dumps(event))), kind, event=event)


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
        self._entries: OrderedDict[tuple[str, Variant], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def entry(
        self, version: int, instance: Instance, calendar: str, names: dict[str, str]
    ) -> Entry:
        """The entry of `instance` as `calendar` holds it."""
        kind = variant(instance, calendar)
        key = (instance.uid, kind)
        with self._lock:
            entries = self._current(version)
            found = entries.get(key)
            if found is not None:
                entries.move_to_end(key)
                return found
        found = fresh_entry(instance, kind, names)
        with self._lock:
            entries = self._current(version)
            entries[key] = found
            if len(entries) > MAX_ENTRIES:
                entries.popitem(last=False)
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
            event = entry.event or render_shared(instance, entry.variant, names)
            found = serialise(event, mask)
            entry.masked[text], entry.event = found, None
        return found

    def _current(self, version: int) -> OrderedDict[tuple[str, Variant], Entry]:
        """The entries of `version` (the caller holds the lock)."""
        if version != self._version:
            self._version, self._entries = version, OrderedDict()
        return self._entries


def serialise(event: Event, mask: Mask | None) -> bytes:
    """An event as JSON bytes under a mask."""
    return orjson.dumps(apply_mask(event, mask))


def json_with_items(body: dict[str, Any], items: list[bytes] | None) -> Reply:
    """A listing as JSON, its already serialised items spliced in (no re-encoding)."""
    head = orjson.dumps(body)
    if items is not None:
        sep = b"," if len(head) > 2 else b""
        head = head[:-1] + sep + b'"items":[' + b",".join(items) + b"]}"
    return Reply(200, head, {"Content-Type": "application/json; charset=UTF-8"})
