"""What each mailbox holds, cheaply: an index of instances per mailbox and fingerprints.

Rendering every copy of every mailbox on each request would scan the whole org per
request, and diffing rendered JSON would make an unchanged delta replay cost as much as
a full sync. Instead the index (rebuilt when the org or its `version` changes) lists
each mailbox's candidate instances, and a delta snapshot keeps one small fingerprint
per copy: a replay renders only the copies whose fingerprint changed, and a replay of
an org whose `version` did not move renders nothing at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.sandbox.model import Instance, SandboxOrg

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class OrgStamp:
    """Identifies one state of the org: the same stamp means nothing changed.

    Mutations bump `SandboxOrg.version` (model.py); the id and the instance count also
    catch an org swapped wholesale or instances appended without a bump.
    """

    org_id: int
    version: int
    count: int

    @classmethod
    def of(cls, org: SandboxOrg) -> OrgStamp:
        return cls(id(org), org.version, len(org.instances))


class MailboxIndex:
    """Instances per mailbox (organizer or attendee), rebuilt when the org changes.

    Not thread-safe on its own: callers hold the Graph state's lock.
    """

    def __init__(self) -> None:
        self._stamp: OrgStamp | None = None
        self._by_mailbox: dict[str, list[Instance]] = {}

    def candidates(self, org: SandboxOrg, mailbox: str) -> list[Instance]:
        """Instances that may be on `mailbox`'s calendar (visibility not yet checked)."""
        stamp = OrgStamp.of(org)
        if stamp != self._stamp:
            self._by_mailbox = _index(org.instances)
            self._stamp = stamp
        return self._by_mailbox.get(mailbox, [])


def _index(instances: list[Instance]) -> dict[str, list[Instance]]:
    found: defaultdict[str, list[Instance]] = defaultdict(list)
    for instance in instances:
        found[instance.organizer.lower()].append(instance)
        for attendee in instance.attendees:
            if not attendee.resource:
                found[attendee.email.lower()].append(instance)
    return dict(found)


def fingerprint(instance: Instance) -> tuple[Any, ...]:
    """Everything a rendered copy depends on: equal fingerprints render equal copies."""
    guests = tuple((a.email, a.response, a.responded_at, a.resource) for a in instance.attendees)
    return (
        instance.start,
        instance.end,
        instance.original_start,
        instance.series_id,
        instance.organizer,
        instance.cancelled,
        instance.cancelled_at,
        instance.updated_at,
        instance.created_at,
        instance.all_day,
        instance.kind,
        instance.show_as,
        instance.title,
        instance.description,
        instance.location,
        instance.has_attachment,
        instance.timezone,
        guests,
    )


def fingerprints(shown: list[Instance]) -> dict[str, tuple[Any, ...]]:
    """Fingerprints of a mailbox's copies by instance uid."""
    return {instance.uid: fingerprint(instance) for instance in shown}
