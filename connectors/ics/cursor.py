"""The cursor of an imported calendar file: which copies the previous import held.

A newer export of the same calendar no longer lists an instance that was deleted (or
turned into an EXDATE). To tell the warehouse, the next import must know what the
previous one held: its cursor lists each copy's id with its time span (to tell a copy
deleted from one that only left the moving sync window). A manager's calendar over the
sync window is a few hundred copies; the list is compressed (ids of one series share
most of their text) and stays a few kilobytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.model import Observation
from core.errors import CursorExpiredError

PREFIX = "ics1:"
_MINUTE = 60


@dataclass(frozen=True, slots=True)
class Held:
    """One copy an import held: its id and its span (a stub's is its original slot)."""

    event_id: str
    start: datetime
    end: datetime

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the copy lies in [start, end) (a stub's instant counts as inside)."""
        return self.start < end and (self.end > start or self.start >= start)


def held_of(observation: Observation) -> Held | None:
    """What the cursor keeps of a stored observation (None without any time)."""
    start = observation.start or observation.original_start
    if start is None:
        return None
    return Held(observation.event_id, start, observation.end or start)


def encode(held: Iterable[Held]) -> str:
    """The cursor of an import that held `held`."""
    rows = sorted(
        (h.event_id, _minutes(h.start), _minutes(h.end) - _minutes(h.start)) for h in held
    )
    packed = zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 9)
    return PREFIX + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode(cursor: str) -> list[Held]:
    """The copies a cursor lists. Anything but a cursor of this module (another
    connector's sync token, a damaged value) is CursorExpiredError: import in full."""
    if not cursor.startswith(PREFIX):
        raise CursorExpiredError("the stored cursor is not a calendar file's: import in full")
    body = cursor[len(PREFIX) :]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        rows = json.loads(zlib.decompress(packed))
        return [
            Held(str(event_id), _moment(start), _moment(start + length))
            for event_id, start, length in rows
        ]
    except (binascii.Error, zlib.error, ValueError, TypeError) as error:
        raise CursorExpiredError("the stored cursor cannot be read: import in full") from error


def _minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // _MINUTE


def _moment(minutes: int) -> datetime:
    return datetime.fromtimestamp(int(minutes) * _MINUTE, UTC)
