"""What each mailbox holds, cheaply: its candidate instances and their fingerprints.

Diffing rendered JSON would make an unchanged delta replay cost as much as a full
sync. Instead a delta snapshot keeps one small fingerprint per copy: a replay renders
only the copies whose fingerprint changed, a replay of an org whose `version` did not
move renders nothing at all, and a mailbox still exactly as generated keeps no
fingerprints (`None`: it can be regenerated to diff against).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.sandbox.model import Instance, SandboxOrg

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class OrgStamp:
    """Identifies one state of the org: the same stamp means nothing changed.

    Mutations bump `SandboxOrg.version` (model.py); the id and the instance count (of
    an org built from a list) also catch an org swapped wholesale or instances appended
    without a bump.
    """

    org_id: int
    version: int
    count: int

    @classmethod
    def of(cls, org: SandboxOrg) -> OrgStamp:
        return cls(id(org), org.version, org.calendars.count())


class MailboxIndex:
    """The instances each mailbox may hold, read from the org."""

    def candidates(self, org: SandboxOrg, mailbox: str) -> list[Instance]:
        """Instances that may be on `mailbox`'s calendar (visibility not yet checked)."""
        return org.calendar(mailbox)


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
