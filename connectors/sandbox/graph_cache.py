"""Rendered copies of the org's instances, cached per org state (`OrgStamp`).

A meeting sits on several mailboxes and every full sync lists it from each of them,
yet its copies differ only in a handful of per-mailbox fields (id, etag, response,
isOrganizer…). So the fields every copy shares are rendered and serialised once per
instance, zone and org state, and a copy is the mailbox's few fields put in front of
those shared bytes (a `Piece`: joined only into the page that carries it, so each copy
does not cost a fresh kilobyte-sized allocation). The fingerprint a delta snapshot
keeps is cached alongside. The `MAX_ENTRIES` most recently used instances are kept:
a large org's meetings would not all fit.

Not thread-safe on its own: callers hold the Graph state's lock.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from connectors.sandbox.graph_render import mailbox_fields, organizer_modified, shared_fields
from connectors.sandbox.graph_views import OrgStamp, fingerprint
from connectors.sandbox.model import Instance, Member

MAX_ENTRIES = 100_000
Piece = tuple[bytes, bytes]  # a JSON object cut in two: concatenated, the whole object


def piece_of(payload: Any) -> Piece:
    """`payload` serialised as a one-part piece."""
    return orjson.dumps(payload), b""


@dataclass
class _Entry:
    """One instance in the current org state: its shared bytes per zone, and more."""

    fingerprint: tuple[Any, ...]
    modified: datetime  # of the organizer's copy
    shared: dict[str, bytes] = field(default_factory=dict)  # zone -> JSON object without "{"


class RenderCache:
    """Entries of the current org state; a new state starts afresh."""

    def __init__(self) -> None:
        self._stamp: OrgStamp | None = None
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def copy(
        self,
        stamp: OrgStamp,
        instance: Instance,
        mailbox: str,
        members: Mapping[str, Member],
        zone: str,
    ) -> Piece:
        """`mailbox`'s (lower-case) copy of `instance` as JSON, times in `zone`."""
        entry = self._entry(stamp, instance)
        shared = entry.shared.get(zone)
        if shared is None:
            shared = orjson.dumps(shared_fields(instance, members, zone))[1:]
            entry.shared[zone] = shared
        own = orjson.dumps(mailbox_fields(instance, mailbox, entry.modified))
        # Both are JSON objects: the first without its "}", a comma, the second's rest.
        return own[:-1] + b",", shared

    def fingerprint(self, stamp: OrgStamp, instance: Instance) -> tuple[Any, ...]:
        """The instance's fingerprint (graph_views.fingerprint), computed once per state."""
        return self._entry(stamp, instance).fingerprint

    def _entry(self, stamp: OrgStamp, instance: Instance) -> _Entry:
        if stamp != self._stamp:
            self._stamp, self._entries = stamp, OrderedDict()
        found = self._entries.get(instance.uid)
        if found is None:
            found = _Entry(fingerprint(instance), organizer_modified(instance))
            self._entries[instance.uid] = found
            if len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(instance.uid)
        return found
