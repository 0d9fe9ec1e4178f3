"""Consistent listings and sync-token snapshots for the sandbox's events.list.

A listing is computed whole on its first page (serialised under its fields mask) and
served page by page from that frozen copy, so changes made while a client pages land
in the next sync, never half in this one. When its last page is served, the calendar
as it stood (event id → digest of the rendered copy) is kept under a new sync token.
An incremental sync diffs the calendar now against that snapshot: new or changed
copies come in full, copies that vanished (deleted, dropped from the model, no longer
invited, renamed by a split) come as cancelled stubs. This catches every mutation of
the model, whatever timestamps it set. Each calendar keeps its last
`KEEP_PER_CALENDAR` snapshots; an older token is expired (410), as real sync tokens
eventually are. A calendar still exactly as generated is kept as `PRISTINE`, not as
its digests: it can be regenerated to diff against, and a hundred thousand calendars'
digests would not fit in memory.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.sandbox.google_fields import Mask
from connectors.sandbox.google_render import Event

KEEP_PER_CALENDAR = 2
MAX_OPEN_LISTINGS = 256
Digests = dict[str, int]  # event id -> digest of the rendered copy


class Pristine:
    """A snapshot of a calendar that was exactly as generated (`SandboxOrg.pristine`)."""


PRISTINE = Pristine()
Snapshot = Digests | Pristine
_INSTANCE_ID = re.compile(r"^(?P<series>.+)_(?P<stamp>\d{8}T\d{6}Z)$")


@dataclass(frozen=True)
class Listing:
    """One events.list result set, frozen at its first page."""

    calendar: str
    query: str  # fingerprint of the query it answers (its fields mask included)
    items: list[bytes]  # serialised events, masked
    snapshot: Snapshot  # the whole calendar when the listing was computed
    updated: datetime  # the calendar's latest change then
    mask: Mask | None = None  # the fields mask of the whole answer


def vanished_stub(event_id: str) -> Event:
    """What the API sends for a copy that is gone: a cancelled stub."""
    stub: Event = {"kind": "calendar#event", "etag": '"0"', "id": event_id, "status": "cancelled"}
    match = _INSTANCE_ID.match(event_id)
    if match:  # an instance of a series: its id names the series and the original slot
        slot = datetime.strptime(match["stamp"], "%Y%m%dT%H%M%SZ")
        stub["recurringEventId"] = match["series"]
        stub["originalStartTime"] = {"dateTime": slot.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return stub


class SyncStore:
    """Open listings and per-calendar snapshots, shared by the server's threads."""

    def __init__(self) -> None:
        self._listings: OrderedDict[str, Listing] = OrderedDict()
        self._snapshots: dict[str, OrderedDict[str, Snapshot]] = {}
        self._lock = threading.Lock()

    def open(self, listing: Listing) -> str:
        """Keep a listing for its next pages; returns its id."""
        listing_id = secrets.token_hex(8)
        with self._lock:
            self._listings[listing_id] = listing
            while len(self._listings) > MAX_OPEN_LISTINGS:
                self._listings.popitem(last=False)
        return listing_id

    def listing(self, listing_id: str) -> Listing | None:
        with self._lock:
            return self._listings.get(listing_id)

    def close(self, listing_id: str) -> str:
        """The last page was served: keep the snapshot; returns its id."""
        with self._lock:
            listing = self._listings.pop(listing_id)
            kept = self._snapshots.setdefault(listing.calendar, OrderedDict())
            snapshot_id = secrets.token_hex(8)
            kept[snapshot_id] = listing.snapshot
            while len(kept) > KEEP_PER_CALENDAR:
                kept.popitem(last=False)
        return snapshot_id

    def snapshot(self, calendar: str, snapshot_id: str) -> Snapshot | None:
        """A kept snapshot of `calendar`, None when unknown or expired."""
        with self._lock:
            kept = self._snapshots.get(calendar)
            return kept.get(snapshot_id) if kept is not None else None

    def expire(self, calendar: str | None = None) -> None:
        """Expire the sync tokens of one calendar, or of all (tests of 410)."""
        with self._lock:
            if calendar is None:
                self._snapshots.clear()
            else:
                self._snapshots.pop(calendar, None)


def page_payload(listing_id: str, offset: int, query: str) -> dict[str, Any]:
    return {"listing": listing_id, "offset": offset, "query": query}
