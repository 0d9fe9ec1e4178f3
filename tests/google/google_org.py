"""A small hand-built organisation covering every Google case the connector handles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from connectors.retry import RetryPolicy
from connectors.sandbox.model import Attendee, Instance, Member, SandboxOrg, Truth
from connectors.sandbox.server import SandboxHTTPServer
from connectors.settings import GoogleSettings, HttpSettings, SyncWindow

DOMAIN = "example.com"
BOSS, MIA, RAJ, SUE, MAX, ANN = (
    f"{name}@{DOMAIN}" for name in ("boss", "mia", "raj", "sue", "max", "ann")
)
ROOM = f"room-4@resource.{DOMAIN}"
GROUP = f"team@{DOMAIN}"
OUTSIDER = "vendor@elsewhere.org"
WEEKLY_START = datetime(2025, 1, 6, 16, 0, tzinfo=UTC)  # 11:00 in New York
WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2025, 4, 1, tzinfo=UTC)
CREATED = datetime(2024, 12, 1, 12, 0, tzinfo=UTC)
GONE_AT = datetime(2025, 2, 18, 19, 0, tzinfo=UTC)  # "gone" deleted, 20 hours ahead


def members() -> list[Member]:
    hired = date(2023, 5, 2)
    return [
        Member(BOSS, "Bo Boss", None, "google", "America/New_York", hired),
        Member(MIA, "Mia Lane", BOSS, "google", "America/Los_Angeles", hired),
        Member(
            RAJ,
            "Raj Iyer",
            BOSS,
            "google",
            "Europe/Berlin",
            date(2024, 11, 4),
            title="Data Engineer",
        ),
        Member(SUE, "Sue Park", BOSS, "google", "America/New_York", hired, active=False),
        Member(MAX, "Max Roe", BOSS, "microsoft", "Europe/London", hired),
        Member(ANN, "Ann Vo", "ghost@example.com", "google", "Asia/Tokyo", hired),
    ]


def meeting(uid: str, start: datetime, *guests: str, **fields: object) -> Instance:
    """A 30-minute meeting organised by BOSS with `guests` (accepted) unless overridden."""
    values: dict[str, object] = {
        "uid": uid,
        "series_id": None,
        "organizer": BOSS,
        "attendees": [Attendee(email) for email in guests],
        "start": start,
        "end": start + timedelta(minutes=30),
        "original_start": start,
        "timezone": "America/New_York",
        "created_at": CREATED,
        "updated_at": CREATED,
        "title": "Secret title",
        "description": "private notes",
        "location": "Corner office",
    }
    values.update(fields)
    return Instance(**values)


def weekly_series() -> list[Instance]:
    """BOSS ↔ MIA weekly, eight instances, each index showing one case."""
    series = []
    for week in range(8):
        slot = WEEKLY_START + timedelta(weeks=week)
        series.append(meeting(f"w{week}", slot, MIA, series_id="weekly"))
    series[1].description = "agenda: https://docs.example.com/d/1"
    series[2].start += timedelta(days=1)  # moved to Tuesday
    series[2].end += timedelta(days=1)
    series[3].cancelled = True
    series[3].cancelled_at = datetime(2025, 1, 26, 9, 0, tzinfo=UTC)
    series[3].updated_at = series[3].cancelled_at
    series[4].attendees = [Attendee(MIA, response="declined")]
    series[5].removed_by = {MIA}
    return series


def split_series() -> list[Instance]:
    """BOSS ↔ RAJ biweekly, split by a "this and following" edit in February."""
    first = WEEKLY_START + timedelta(hours=1)
    before = [meeting(f"s{n}", first + timedelta(weeks=2 * n), RAJ, series_id="bi") for n in (0, 1)]
    split = "bi_R20250203T170000"
    after = [
        meeting(f"t{n}", first + timedelta(weeks=2 * n, minutes=30), RAJ, series_id=split)
        for n in (2, 3)
    ]
    return before + after


def others() -> list[Instance]:
    """Events that are not 1:1s, or are edge cases of one."""
    day = datetime(2025, 2, 12, 15, 0, tzinfo=UTC)
    return [
        meeting("agenda-doc", day, RAJ, has_attachment=True, description=""),
        meeting("three", day + timedelta(hours=1), MIA, RAJ),
        meeting("allday", day, MIA, all_day=True, end=day + timedelta(days=1)),
        meeting("ooo", day + timedelta(days=1), MIA, kind="outOfOffice"),
        meeting("focus", day + timedelta(days=2), MIA, kind="focusTime"),
        meeting("roomy", day + timedelta(days=3), MIA, ROOM),
        meeting("group", day + timedelta(days=4), MIA, GROUP),
        meeting("outsider", day + timedelta(days=5), OUTSIDER),
        meeting("cross", day + timedelta(days=6), MAX),
        meeting("gone", day + timedelta(days=7), MIA, deleted=True, cancelled_at=GONE_AT),
        meeting("called-off", day + timedelta(days=8), RAJ, cancelled=True),
        meeting("late", datetime(2025, 6, 1, 15, tzinfo=UTC), MIA),  # after the window
    ]


def _fix_rooms_and_groups(instances: list[Instance]) -> None:
    for instance in instances:
        for attendee in instance.attendees:
            attendee.resource = attendee.email == ROOM
            attendee.group = attendee.email == GROUP


def build_org() -> SandboxOrg:
    """The test organisation (version 0)."""
    instances = weekly_series() + split_series() + others()
    _fix_rooms_and_groups(instances)
    return SandboxOrg(members(), instances, Truth(), date(2025, 3, 10), date(2024, 12, 1))


def roster() -> frozenset[str]:
    """Every member's email: what the flow passes the connector."""
    return frozenset(m.email for m in members())


def find(org: SandboxOrg, uid: str) -> Instance:
    return next(i for i in org.instances if i.uid == uid)


@dataclass(frozen=True)
class Counts:
    """What BOSS's calendar yields in a full sync of the window."""

    weekly_live: int = 7  # 8 instances, one cancelled by the organizer
    weekly_stubs: int = 1
    split: int = 4
    one_offs_kept: int = 3  # agenda-doc, roomy, cross
    one_offs_deleted: int = 2  # gone, called-off: deleted events keep their data here


@dataclass
class GoogleWorld:
    """A served org and the settings that reach it."""

    org: SandboxOrg
    server: SandboxHTTPServer
    settings: GoogleSettings
    http: HttpSettings
    window: SyncWindow
    sleeps: list[float] = field(default_factory=list)

    def retry(self, attempts: int = 4) -> RetryPolicy:
        """A retry policy that records its waits instead of sleeping."""
        return RetryPolicy(attempts=attempts, sleep=self.sleeps.append)
