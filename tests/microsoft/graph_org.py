"""A small hand-built org (and its world) served by the sandbox's Microsoft endpoints on 127.0.0.1.

Bea (boss) manages Mia; Mia manages Raj (Microsoft) and Gus (Google). Dora is a
disabled account. Times are in March 2026, across the US DST change on 8 March.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.retry import RetryPolicy
from connectors.sandbox.graph_api import GraphSandbox
from connectors.sandbox.model import Attendee, Instance, Member, SandboxOrg, Truth
from connectors.sandbox.server import SandboxHTTPServer
from connectors.settings import HttpSettings, MicrosoftSettings, SyncWindow

TENANT = "8f3d2c1b-0000-4000-8000-00000000beef"
CLIENT = "c0ffee00-1111-4222-8333-444455556666"
SECRET = "s3cr3t~Graph.value_42"
BOSS, MIA, RAJ, GUS, DORA = (f"{n}@corp.test" for n in ("bea", "mia", "raj", "gus", "dora"))
OUTSIDER, ROOM = "ext@partner.test", "room-4@corp.test"
ROSTER = frozenset({BOSS, MIA, RAJ, GUS, DORA})
WINDOW = SyncWindow(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
LA = "America/Los_Angeles"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A March 2026 instant in UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def meeting(uid: str, organizer: str, others: list[Attendee], start: datetime, **kw: object):
    """An Instance of 30 minutes (unless `end` is given) created on 1 February."""
    fields: dict[str, object] = {
        "series_id": None,
        "end": start + timedelta(minutes=30),
        "original_start": start,
        "timezone": LA,
        "created_at": datetime(2026, 2, 1, 12, tzinfo=UTC),
        "updated_at": datetime(2026, 2, 1, 12, tzinfo=UTC),
    }
    fields.update(kw)
    return Instance(uid=uid, organizer=organizer, attendees=others, start=start, **fields)


def weekly_series() -> list[Instance]:
    """Bea's 09:00 Los Angeles weekly with Mia (and a room), with the planted events."""
    slots = [at(2, 17), at(9, 16), at(16, 16), at(23, 16)]  # 09:00 PST, then PDT
    series = [
        meeting(
            f"s1-{n}",
            BOSS,
            [Attendee(MIA), Attendee(ROOM, resource=True)],
            slot,
            series_id="s1",
            description="Agenda: https://docs.example/bea-mia",
        )
        for n, slot in enumerate(slots)
    ]
    moved = series[1]
    moved.start, moved.end = at(10, 16), at(10, 16, 30)
    cancelled = series[2]
    cancelled.cancelled, cancelled.cancelled_at = True, at(15, 9)
    declined = series[3].attendees[0]
    declined.response, declined.responded_at = "declined", at(20, 8)
    return series


def noise() -> list[Instance]:
    """Events that are not 1:1s of two roster members, plus Raj's removed one-off."""
    return [
        meeting("raj-removed", MIA, [Attendee(RAJ)], at(5, 10), removed_by={RAJ}),
        meeting("all-day", BOSS, [Attendee(MIA)], at(4, 8), end=at(5, 8), all_day=True),
        meeting("oof", BOSS, [Attendee(MIA)], at(4, 20), show_as="oof"),
        meeting("three", BOSS, [Attendee(MIA), Attendee(RAJ)], at(6, 18)),
        meeting("outsider", MIA, [Attendee(OUTSIDER)], at(6, 19)),
        meeting("cross", MIA, [Attendee(GUS)], at(11, 15), has_attachment=True),
        meeting("old", BOSS, [Attendee(MIA)], at(1, 1) - timedelta(days=60)),
    ]


def build_org() -> SandboxOrg:
    """The test organisation."""
    people = [
        Member(BOSS, "Bea Boss", None, "microsoft", LA, date(2020, 1, 6)),
        Member(
            MIA,
            "Mia Lead",
            BOSS,
            "microsoft",
            "Europe/Berlin",
            date(2022, 3, 1),
            title="Engineering Manager",
        ),
        Member(RAJ, "Raj Dev", MIA, "microsoft", "Asia/Kolkata", date(2026, 1, 12)),
        Member(GUS, "Gus Ops", MIA, "google", "Europe/London", date(2023, 5, 2)),
        Member(DORA, "Dora Gone", BOSS, "microsoft", LA, date(2019, 4, 1), active=False),
    ]
    instances = weekly_series() + noise()
    return SandboxOrg(people, instances, Truth(), date(2026, 3, 18), date(2026, 1, 1))


@dataclass
class GraphWorld:
    """A served org plus the settings and clients that reach it."""

    org: SandboxOrg
    sandbox: GraphSandbox
    server: SandboxHTTPServer
    settings: MicrosoftSettings
    http: HttpSettings
    client: httpx.Client
    sleeps: list[float]

    def source(self, **kw: object) -> MicrosoftCalendarSource:
        """A calendar source on the shared client with a recording, non-sleeping retry."""
        retry = RetryPolicy(sleep=self.sleeps.append, jitter=lambda low, high: high)
        return MicrosoftCalendarSource(
            self.settings, self.http, ROSTER, WINDOW, retry, client=self.client, **kw
        )

    def count(self, method: str, suffix: str) -> int:
        """Requests the server received whose path ends with `suffix`."""
        return sum(1 for m, path in self.server.requests if m == method and path.endswith(suffix))

    def instance(self, uid: str) -> Instance:
        return next(i for i in self.org.instances if i.uid == uid)
