"""Small .ics texts for the calendar-file tests, written as Google Calendar and Outlook
write them, and the source that reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.ics.source import IcsCalendarSource
from connectors.model import CalendarBatch, Observation, Provider
from connectors.settings import SyncWindow

ANA, BEN, CAT = "ana@example.com", "ben@example.com", "cat@example.com"
ROSTER = frozenset({ANA, BEN, CAT})
WINDOW = SyncWindow(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
GOOGLE = "-//Google Inc//Google Calendar 70.9054//EN"
OUTLOOK = "Microsoft Exchange Server 2010"

# Outlook's own VTIMEZONE: a Windows name and yearly rules since 1601.
W_EUROPE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""


def google_file(*events: str, header: str = "") -> str:
    """A Google Calendar export of Ana's primary calendar holding `events`."""
    head = f"PRODID:{GOOGLE}\nVERSION:2.0\nCALSCALE:GREGORIAN\nMETHOD:PUBLISH\n"
    head += f"X-WR-CALNAME:{ANA}\nX-WR-TIMEZONE:Europe/Berlin\n"
    return _file(head + header, events)


def outlook_file(*events: str, header: str = "") -> str:
    """An Outlook export holding `events`, W. Europe Standard Time defined."""
    head = f"METHOD:PUBLISH\nPRODID:{OUTLOOK}\nVERSION:2.0\nX-WR-CALNAME:Calendar\n"
    return _file(head + W_EUROPE + "\n" + header, events)


def _file(head: str, events: tuple[str, ...]) -> str:
    body = "\n".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT" for e in events)
    text = f"BEGIN:VCALENDAR\n{head.strip()}\n{body}\nEND:VCALENDAR\n"
    return text.replace("\n", "\r\n")


def write(folder: Path, text: str, name: str = "calendar.ics") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def source(
    path: Path,
    owner: str = ANA,
    window: SyncWindow = WINDOW,
    provider: Provider | None = None,
) -> IcsCalendarSource:
    return IcsCalendarSource(path, owner, ROSTER, window, provider)


def first_import(folder: Path, text: str, owner: str = ANA) -> CalendarBatch:
    """The full batch of a file holding `text`."""
    return source(write(folder, text), owner).sync_calendar(owner, None)


def by_id(batch: CalendarBatch) -> dict[str, Observation]:
    return {o.event_id: o for o in batch.observations}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
