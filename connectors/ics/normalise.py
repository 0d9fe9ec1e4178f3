"""One event instance of an .ics export → `Observation`: pure functions, no I/O.

The candidate rules are the API connectors' (connectors/google/normalise.py,
connectors/microsoft/normalise.py), read from iCalendar properties:

- timed: an all-day event (DTSTART a date, or Outlook's X-MICROSOFT-CDO-ALLDAYEVENT
  TRUE) is dropped, and so is an out-of-office one (X-MICROSOFT-CDO-BUSYSTATUS OOF, what
  Graph calls showAs oof);
- exactly two human participants, ORGANIZER included: attendees with CUTYPE ROOM or
  RESOURCE, or ROLE NON-PARTICIPANT, do not count; a CUTYPE GROUP attendee (a
  distribution list) disqualifies the event, as an address outside the roster does;
- both participants in the roster.

STATUS CANCELLED makes a cancelled copy (so does the "Canceled: " subject of Outlook's
published calendars, which leave STATUS CONFIRMED); PARTSTAT DECLINED names who declined (and
Outlook's X-MICROSOFT-CDO-REPLYTIME dates the calendar owner's own decline, as Graph's
responseStatus.time does). A cancelled instance of a series that names nobody (some
exporters write only UID, RECURRENCE-ID and STATUS) is a stub, as Google's API sends:
the warehouse completes it from its series. The online meeting is Google's
X-GOOGLE-CONFERENCE (a Meet link) or Outlook's X-MICROSOFT-SKYPETEAMSMEETINGURL (a
Teams link), kept only as `meeting_key`'s digest. The agenda flag is an ATTACH, or a
link in the DESCRIPTION once the join block the calendar adds for its own meeting is
taken out (Google's "-::~:~::~" block, Teams' block between underscore rules): a join
link is no agenda, as the APIs' description and body do not carry it either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

import icalendar
from icalendar.prop import vDDDTypes

from connectors.google.normalise import series_key as google_series_key
from connectors.model import Observation, Provider, cancelled_stub, meeting_key

_LINK = re.compile(r"https?://", re.IGNORECASE)
_GOOGLE_BLOCK = re.compile(r"-::~[:~]*::-.*?(?:-::~[:~]*::-|\Z)", re.DOTALL)
_TEAMS_BLOCK = re.compile(
    r"_{20,}(?:(?!_{20,}).)*?teams\.microsoft\.com.*?(?:_{20,}|\Z)", re.DOTALL
)
_NOT_PEOPLE = frozenset({"ROOM", "RESOURCE"})
_GOOGLE_DOMAIN = "@google.com"
_OUTLOOK_CANCELLED = ("canceled:", "cancelled:")


@dataclass(frozen=True)
class Context:
    """What normalising one file's instances needs besides the instance."""

    provider: Provider
    owner: str  # whose calendar the file is (lower-case)
    roster: frozenset[str]
    series: frozenset[str]  # UIDs of recurring events (RRULE, RDATE or RECURRENCE-ID)
    floating: tzinfo  # zone of floating times the file names no zone for


def instance_id(uid: str, original: datetime | None, provider: Provider) -> str:
    """A copy's id, stable across exports: the UID (Google's without `@google.com`, so
    it is the Calendar API's event id), plus `_YYYYMMDDTHHMMSSZ` of the original slot
    for an instance of a series (the API's instance id)."""
    stem = uid
    if provider == "google" and uid.lower().endswith(_GOOGLE_DOMAIN):
        stem = uid[: -len(_GOOGLE_DOMAIN)]
    return f"{stem}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}" if original else stem


def series_key_of(uid: str, provider: Provider) -> str:
    """The series identity: for Google the API's, which survives a split (`_R…`)."""
    if provider == "google":
        return google_series_key(instance_id(uid, None, provider)) or uid
    return uid


def address(value: Any) -> str:
    """A calendar address (`mailto:Ana@Example.com`) as a lower-case email."""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    return text.strip().lower()


def _params(value: Any, name: str) -> str:
    params = getattr(value, "params", None) or {}
    return str(params.get(name) or "").upper()


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True)
class People:
    """Who an event names: its human participants, who declined, and whether a group
    address (a distribution list) is among them."""

    humans: frozenset[str]
    declined: frozenset[str]
    group: bool


def people(event: icalendar.Component) -> People:
    """ORGANIZER plus every ATTENDEE that is a person taking part."""
    humans: set[str] = set()
    declined: set[str] = set()
    group = False
    organizer = event.get("ORGANIZER")
    if organizer is not None:
        humans.add(address(organizer))
    for attendee in _list(event.get("ATTENDEE")):
        kind = _params(attendee, "CUTYPE")
        if kind in _NOT_PEOPLE or _params(attendee, "ROLE") == "NON-PARTICIPANT":
            continue
        group = group or kind == "GROUP"
        email = address(attendee)
        humans.add(email)
        if _params(attendee, "PARTSTAT") == "DECLINED":
            declined.add(email)
    humans.discard("")
    return People(frozenset(humans), frozenset(declined), group)


def _instant(value: Any, floating: tzinfo) -> datetime | None:
    """A DATE-TIME as aware UTC (floating times in `floating`); None for a DATE."""
    moment = getattr(value, "dt", value)
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=floating)
    return moment.astimezone(UTC)


def _stamp(value: Any) -> datetime | None:
    """CREATED / LAST-MODIFIED (or an X- property holding a date-time) as aware UTC."""
    if value is None:
        return None
    if not hasattr(value, "dt"):
        try:
            value = vDDDTypes.from_ical(str(value))
        except ValueError:
            return None
    return _instant(value, UTC)


def is_all_day(event: icalendar.Component) -> bool:
    start = event.get("DTSTART")
    all_day = str(event.get("X-MICROSOFT-CDO-ALLDAYEVENT") or "").upper() == "TRUE"
    return all_day or not isinstance(getattr(start, "dt", None), datetime)


def is_out_of_office(event: icalendar.Component) -> bool:
    return str(event.get("X-MICROSOFT-CDO-BUSYSTATUS") or "").upper() == "OOF"


def is_cancelled(event: icalendar.Component, provider: Provider) -> bool:
    """STATUS CANCELLED; for Outlook also the "Canceled: " its published calendars put
    before the subject of a meeting the organizer cancelled, whose STATUS they leave
    CONFIRMED (English prefixes only)."""
    if str(event.get("STATUS") or "").upper() in ("CANCELLED", "CANCELED"):
        return True
    summary = str(event.get("SUMMARY") or "").lstrip().lower()
    return provider == "microsoft" and summary.startswith(_OUTLOOK_CANCELLED)


def _end(event: icalendar.Component, start: datetime, floating: tzinfo) -> datetime:
    end = _instant(event.get("DTEND"), floating)
    if end is not None:
        return end
    duration = getattr(event.get("DURATION"), "dt", None)
    return start + duration if isinstance(duration, timedelta) else start


def join_link(event: icalendar.Component, provider: Provider) -> str | None:
    """The calendar's own online meeting link: Meet for Google, Teams for Outlook."""
    name = "X-GOOGLE-CONFERENCE" if provider == "google" else "X-MICROSOFT-SKYPETEAMSMEETINGURL"
    link = str(event.get(name) or "").strip()
    return link or None


def online_meeting_key(event: icalendar.Component, provider: Provider) -> str | None:
    """`meeting_key` of the event's Meet code or Teams join URL; None when met in person."""
    link = join_link(event, provider)
    if link is None:
        return None
    if provider == "google":
        code = urlsplit(link).path.rstrip("/").rpartition("/")[2]
        return meeting_key("google", code) if code else None
    return meeting_key("microsoft", link)


def has_agenda(event: icalendar.Component, provider: Provider) -> bool:
    """An attachment, or an http(s) link in the description besides the join block."""
    if event.get("ATTACH") is not None:
        return True
    text = _TEAMS_BLOCK.sub("", _GOOGLE_BLOCK.sub("", str(event.get("DESCRIPTION") or "")))
    link = join_link(event, provider)
    if link:
        text = text.replace(link, "")
    return _LINK.search(text) is not None


def _response_at(
    event: icalendar.Component, owner: str, declined: frozenset[str]
) -> datetime | None:
    if owner not in declined:
        return None
    return _stamp(event.get("X-MICROSOFT-CDO-REPLYTIME"))


def normalise(event: icalendar.Component, ctx: Context) -> Observation | None:
    """One instance (an expanded occurrence or a one-off) → its observation, or None when
    it cannot be a 1:1. A cancelled instance of a series naming nobody is a stub."""
    if is_all_day(event) or is_out_of_office(event):
        return None
    uid = str(event.get("UID"))
    recurring = uid in ctx.series
    original = _instant(event.get("RECURRENCE-ID"), ctx.floating) if recurring else None
    found = people(event)
    cancelled = is_cancelled(event, ctx.provider)
    if not found.humans and recurring and cancelled:
        return _stub(event, uid, original, ctx)
    if found.group or len(found.humans) != 2 or not found.humans <= ctx.roster:
        return None
    start = _instant(event.get("DTSTART"), ctx.floating)
    assert start is not None  # not all-day
    organizer = event.get("ORGANIZER")
    return Observation(
        provider=ctx.provider,
        calendar_email=ctx.owner,
        event_id=instance_id(uid, original, ctx.provider),
        series_key=series_key_of(uid, ctx.provider) if recurring else None,
        organizer_email=address(organizer) if organizer is not None else None,
        participants=tuple(sorted(found.humans)),
        declined_by=tuple(sorted(found.declined & found.humans)),
        state="cancelled" if cancelled else "live",
        start=start,
        end=_end(event, start, ctx.floating),
        original_start=original,
        recurring=recurring,
        has_agenda=has_agenda(event, ctx.provider),
        created_at=_stamp(event.get("CREATED")),
        updated_at=_stamp(event.get("LAST-MODIFIED")),
        response_at=_response_at(event, ctx.owner, found.declined),
        meeting_key=online_meeting_key(event, ctx.provider),
    )


def _stub(
    event: icalendar.Component, uid: str, original: datetime | None, ctx: Context
) -> Observation:
    return cancelled_stub(
        ctx.provider,
        ctx.owner,
        instance_id(uid, original, ctx.provider),
        series_key_of(uid, ctx.provider),
        original,
        _stamp(event.get("LAST-MODIFIED")),
    )
