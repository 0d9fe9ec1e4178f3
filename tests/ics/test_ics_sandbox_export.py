"""The sandbox writes any person's calendar as Google Calendar or Outlook would export
it: expanded again by icalendar and recurring-ical-events (not by our import), every
shape of series comes back as the provider's API shows that calendar."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
import recurring_ical_events

from connectors.sandbox.calls import meeting_code_of
from connectors.sandbox.google_render import variant
from connectors.sandbox.graph_render import visible_to
from connectors.sandbox.ics_export import export_calendar, ics_routes
from connectors.sandbox.model import Attendee, Instance, Member, SandboxOrg, Truth
from connectors.sandbox.server import SandboxHTTPServer, serve

ANA, BEN, CAT = "ana@example.com", "ben@example.com", "cat@example.com"
ROOM = "room-1@resource.example.com"
CREATED = datetime(2025, 8, 1, 9, tzinfo=UTC)
STAMP = datetime(2025, 12, 1, 7, tzinfo=UTC)
SPAN = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
Copy = tuple[str, datetime | None, datetime, datetime, str]


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def series(
    sid: str, organizer: str, guests: list[Attendee], days: list[date], clock: tuple[int, int],
    zone: str, minutes: int = 30,
) -> list[Instance]:  # fmt: skip
    made = []
    for day in days:
        start = at(day, *clock, zone)
        made.append(
            Instance(
                uid=f"{sid}_{start:%Y%m%dT%H%M%SZ}",
                series_id=sid,
                organizer=organizer,
                attendees=[Attendee(a.email, a.response, a.resource) for a in guests],
                start=start,
                end=start + timedelta(minutes=minutes),
                original_start=start,
                timezone=zone,
                created_at=CREATED,
                updated_at=CREATED,
                description="Notes: https://docs.example.com/d/1" if sid == "weekly" else "",
            )
        )
    return made


def build_org() -> SandboxOrg:
    people = [
        Member(ANA, "Ana Ruiz", None, "google", "Europe/Berlin", date(2020, 1, 6)),
        Member(BEN, "Ben Okafor", ANA, "microsoft", "Europe/Berlin", date(2020, 1, 6)),
        Member(CAT, "Cat Lee", ANA, "google", "America/New_York", date(2020, 1, 6)),
    ]
    mondays = [date(2025, 9, 1) + timedelta(weeks=n) for n in range(13)]  # across 26 Oct
    weekly = series("weekly", ANA, [Attendee(BEN)], mondays, (10, 0), "Europe/Berlin")
    weekly = [i for i in weekly if i.start.date() != date(2025, 9, 22)]  # a slot left out
    moved, cancelled, declined, removed = weekly[2], weekly[3], weekly[4], weekly[5]
    moved.start, moved.end = moved.start + timedelta(days=1), moved.end + timedelta(days=1)
    moved.updated_at = moved.original_start - timedelta(days=2)
    cancelled.cancelled, cancelled.cancelled_at = True, cancelled.start - timedelta(hours=5)
    cancelled.updated_at = cancelled.cancelled_at
    declined.attendees[0].response = "declined"
    declined.attendees[0].responded_at = declined.updated_at = declined.start - timedelta(days=1)
    removed.removed_by.add(BEN)
    extra = series("weekly", ANA, [Attendee(BEN)], [date(2025, 10, 8)], (10, 0), "Europe/Berlin")
    tuesdays = [date(2025, 9, 2) + timedelta(weeks=2 * n) for n in range(8)]
    guests = [Attendee(ANA), Attendee(ROOM, resource=True)]
    biweekly = series("biweekly", CAT, guests, tuesdays, (9, 0), "America/New_York", 45)
    thursdays = [date(2025, 9, 4) + timedelta(weeks=4 * n) for n in range(4)]
    fourweekly = series("monthly", ANA, [Attendee(CAT)], thursdays, (16, 30), "Europe/Berlin")
    odd_days = [date(2025, 9, 1) + timedelta(days=n) for n in (0, 3, 9, 12, 21)]
    irregular = series("irregular", BEN, [Attendee(ANA)], odd_days, (8, 15), "Europe/Berlin")
    deleted = series("x", ANA, [Attendee(BEN)], [date(2025, 10, 1)], (14, 0), "Europe/Berlin")[0]
    deleted.series_id, deleted.uid, deleted.deleted = None, "deleted-one-off", True
    deleted.cancelled_at = deleted.start - timedelta(hours=30)
    gone = series("y", BEN, [Attendee(ANA)], [date(2025, 10, 2)], (11, 0), "Europe/Berlin")[0]
    gone.series_id, gone.uid, gone.cancelled = None, "cancelled-one-off", True
    gone.cancelled_at = gone.start - timedelta(hours=2)
    instances = [*weekly, *extra, *biweekly, *fourweekly, *irregular, deleted, gone]
    return SandboxOrg(people, instances, Truth(), date(2025, 12, 1), date(2025, 6, 1))


@pytest.fixture(scope="module")
def org() -> SandboxOrg:
    return build_org()


def shown(org: SandboxOrg, email: str, style: str) -> set[Copy]:
    """What the provider's API shows `email`: (uid-less) slot, times and status."""
    found = set()
    for i in org.calendar(email):
        if style == "google":
            kind = variant(i, email)
            if kind == "stub" and i.series_id is None:
                continue  # an attendee's bare id of a deleted one-off
            status = "CONFIRMED" if kind == "live" else "CANCELLED"
        else:
            if not visible_to(i, email):
                continue
            status = "CANCELLED" if i.cancelled and i.organizer != email else "CONFIRMED"
        original = i.original_start if i.series_id else None
        found.add((i.series_id or i.uid, original, i.start, i.end, status))
    return found


def expanded(text: bytes, uids: dict[str, str]) -> set[Copy]:
    """The file's instances by recurring-ical-events, keyed by the model's series id."""
    calendar = icalendar.Calendar.from_ical(text)
    found = set()
    for event in recurring_ical_events.of(calendar).between(*SPAN):
        uid = uids[str(event["UID"])]
        recurring = "RRULE" in event or uid in {"weekly", "biweekly", "monthly", "irregular"}
        original = event["RECURRENCE-ID"].dt.astimezone(UTC) if recurring else None
        start, end = event["DTSTART"].dt.astimezone(UTC), event["DTEND"].dt.astimezone(UTC)
        # Outlook marks a meeting its organizer cancelled by its subject alone.
        cancelled = str(event.get("SUMMARY")).startswith("Canceled: ")
        found.add((uid, original, start, end, "CANCELLED" if cancelled else str(event["STATUS"])))
    return found


def uid_map(org: SandboxOrg, style: str) -> dict[str, str]:
    from connectors.sandbox.ics_styles import event_uid

    return {event_uid(i, style): i.series_id or i.uid for i in org.instances}  # type: ignore[arg-type]


@pytest.mark.parametrize("style", ["google", "outlook"])
@pytest.mark.parametrize("email", [ANA, BEN, CAT])
def test_every_calendar_round_trips_in_both_styles(org: SandboxOrg, email: str, style: str) -> None:
    text = export_calendar(org, email, style, STAMP)  # type: ignore[arg-type]
    assert expanded(text, uid_map(org, style)) == shown(org, email, style)


def test_series_become_rules_with_exdates_rdates_and_exceptions(org: SandboxOrg) -> None:
    text = export_calendar(org, ANA, "google", STAMP).decode().replace("\r\n ", "")
    assert "RRULE:FREQ=WEEKLY;UNTIL=20251124T090000Z;INTERVAL=1;BYDAY=MO" in text
    assert "EXDATE;TZID=Europe/Berlin:20250922T100000" in text  # the slot left out
    assert "RDATE;TZID=Europe/Berlin:20251008T100000" in text  # off the rule
    assert "RRULE:FREQ=WEEKLY;UNTIL=20251209T140000Z;INTERVAL=2;BYDAY=TU" in text
    assert "RRULE:FREQ=WEEKLY;UNTIL=20251127T153000Z;INTERVAL=4;BYDAY=TH" in text
    assert "RRULE:FREQ=DAILY;UNTIL=20250922T061500Z;INTERVAL=3" in text
    # Ana's moved, cancelled and declined instances are exceptions, nothing else; Ben's
    # calendar also has the one he deleted from it, as a cancelled exception.
    assert text.count("RECURRENCE-ID") == 3
    assert export_calendar(org, BEN, "google", STAMP).count(b"RECURRENCE-ID") == 4


def test_google_style_is_what_google_calendar_writes(org: SandboxOrg) -> None:
    text = export_calendar(org, ANA, "google", STAMP).decode().replace("\r\n ", "")
    for line in (
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        f"X-WR-CALNAME:{ANA}",
        "X-WR-TIMEZONE:Europe/Berlin",
        "BEGIN:VTIMEZONE\r\nTZID:America/New_York",
        "DTSTART;TZID=Europe/Berlin:20250901T100000",
        'ATTENDEE;CN="Ben Okafor";CUTYPE=INDIVIDUAL;PARTSTAT=DECLINED;ROLE=REQ-PARTICIPANT;'
        f"X-NUM-GUESTS=0:mailto:{BEN}",
        f"ATTENDEE;CN={ROOM};CUTYPE=RESOURCE",
        "STATUS:CANCELLED",
        "DTSTAMP:20251201T070000Z",
        "DTSTART:20251001T120000Z",  # a one-off in UTC: the deleted one, kept by its organizer
    ):
        assert line in text
    uid = next(line for line in text.splitlines() if line.startswith("UID:"))
    assert uid.endswith("@google.com")
    meet = [i for i in org.instances if meeting_code_of(i)]
    assert ("X-GOOGLE-CONFERENCE:https://meet.google.com/" in text) == bool(meet)
    assert "Join with Google Meet" in text or not meet


def test_outlook_style_is_what_exchange_writes(org: SandboxOrg) -> None:
    text = export_calendar(org, BEN, "outlook", STAMP).decode().replace("\r\n ", "")
    for line in (
        "PRODID:Microsoft Exchange Server 2010",
        "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time",
        "DTSTART;TZID=W. Europe Standard Time:20250901T100000",
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
        "X-MICROSOFT-CDO-IMPORTANCE:1",
        "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
        "X-MICROSOFT-CDO-INSTTYPE:1",
        "X-MICROSOFT-CDO-INSTTYPE:3",
        "UID:040000008200E00074C5B7101A82E008",
        "X-MICROSOFT-CDO-REPLYTIME:20251005T080000Z",  # Ben's own decline
        "SUMMARY;LANGUAGE=en-US:Canceled: 1:1",  # Ana cancelled one of the weekly
    ):
        assert line in text, line
    assert "TZID=Europe/Berlin" not in text
    teams = [i for i in org.instances if meeting_code_of(i)]
    assert ("X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/" in text) == bool(teams)


@pytest.fixture(scope="module")
def server(
    org: SandboxOrg, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxHTTPServer]:
    served = serve(ics_routes(org), tmp_path_factory.mktemp("ics-export"))
    yield served
    served.stop()


def test_the_sandbox_serves_the_export_over_https(
    server: SandboxHTTPServer, org: SandboxOrg
) -> None:
    trust = ssl.create_default_context(cafile=str(server.tls.ca_file))
    with httpx.Client(verify=trust, base_url=server.root) as client:
        own = client.get(f"export/{BEN}.ics")
        google = client.get(f"export/{BEN}.ics", params={"style": "google"})
        missing = client.get("export/nobody@example.com.ics")
        wrong = client.get(f"export/{BEN}.ics", params={"style": "ical"})
    assert own.status_code == 200 and own.headers["content-type"].startswith("text/calendar")
    assert f'filename="{BEN}.ics"' in own.headers["content-disposition"]
    assert b"PRODID:Microsoft Exchange Server 2010" in own.content  # Ben is on Microsoft
    assert expanded(google.content, uid_map(org, "google")) == shown(org, BEN, "google")
    assert (missing.status_code, wrong.status_code) == (404, 400)
