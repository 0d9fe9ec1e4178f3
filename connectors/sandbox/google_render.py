"""Render sandbox instances as Google Calendar v3 `Event` resources, per calendar.

Pure functions: an `Instance` plus the calendar it is read from gives the copy that
calendar holds. Series are always expanded (the sandbox answers as if
`singleEvents=true`): a recurring instance has the id `{series}_{YYYYMMDDTHHMMSSZ}` of
its original slot, `recurringEventId` and `originalStartTime`. A cancelled instance
of a series is the bare stub the real API sends; a cancelled or deleted one-off is a
deleted event, guaranteed only its id.

An online instance (`calls.meeting_code_of`) carries its Google Meet link as Calendar
serves it: `hangoutLink` and `conferenceData` (solution `hangoutsMeet`, the meeting
code as `conferenceId`, a video entry point). Every instance of a series shares the
series' code, as Meet codes do.

A series split by a "this and following" edit is expressed in the model by a
`series_id` of the form `<base>_R<YYYYMMDDTHHMMSS>`; the suffix is kept on the id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.sandbox.calls import meet_code, meeting_code_of
from connectors.sandbox.model import Attendee, Instance

Event = dict[str, Any]
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@lru_cache(maxsize=1 << 17)
def google_id(raw: str) -> str:
    """A Google-looking event id (base32hex) for a model id, keeping an `_R…` suffix."""
    base, sep, suffix = raw.partition("_R")
    digest = hashlib.sha1(base.encode()).digest()
    bits = int.from_bytes(digest, "big")
    chars = [_BASE32HEX[(bits >> (5 * i)) & 31] for i in range(26)]
    return "".join(chars) + (f"_R{suffix}" if sep else "")


def event_id(instance: Instance) -> str:
    """The id every copy of `instance` carries."""
    if instance.series_id is None:
        return google_id(instance.uid)
    return f"{google_id(instance.series_id)}_{_slot(instance.original_start)}"


@lru_cache(maxsize=1 << 16)
def _slot(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@lru_cache(maxsize=1 << 16)
def rfc3339_utc(moment: datetime) -> str:
    """`2025-01-06T09:00:00.000Z`, the form Google uses for created/updated."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def changed_at(instance: Instance) -> datetime:
    """When the instance last changed, as an incremental sync compares it."""
    return max(instance.updated_at, instance.cancelled_at or instance.updated_at)


def is_on_calendar(instance: Instance, email: str) -> bool:
    """Whether `email`'s calendar holds a copy (organizer or human attendee)."""
    if instance.organizer == email:
        return True
    return any(a.email == email and not a.resource and not a.group for a in instance.attendees)


Variant = Literal["live", "stub", "deleted"]


def is_cancelled_on(instance: Instance, email: str) -> bool:
    """Cancelled by the organizer, deleted, or removed by this attendee from their copy."""
    removed = email != instance.organizer and email in instance.removed_by
    return instance.cancelled or instance.deleted or removed


def variant(instance: Instance, email: str) -> Variant:
    """How `email`'s calendar holds `instance`.

    Google cancels a one-off by deleting it; the organizer's calendar keeps the deleted
    event with its data ("deleted"), an attendee's only its id (a "stub"), as does a
    cancelled instance of a series everywhere.
    """
    if not is_cancelled_on(instance, email):
        return "live"
    one_off_gone = instance.series_id is None and (instance.cancelled or instance.deleted)
    return "deleted" if one_off_gone and email == instance.organizer else "stub"


def render(instance: Instance, email: str, names: Mapping[str, str]) -> Event:
    """The copy of `instance` on `email`'s calendar: full event, deleted event or stub."""
    return _render(instance, variant(instance, email), email, names)


def render_shared(instance: Instance, kind: Variant, names: Mapping[str, str]) -> Event:
    """The copy every calendar shares, without the `self` flags of any one of them."""
    return _render(instance, kind, "", names)


def _render(instance: Instance, kind: Variant, email: str, names: Mapping[str, str]) -> Event:
    if kind == "stub":
        return _stub(instance)
    event = _live(instance, email, names)
    if kind == "deleted":
        event["status"] = "cancelled"
        event["updated"] = rfc3339_utc(instance.cancelled_at or changed_at(instance))
    return event


def _etag(instance: Instance) -> str:
    return f'"{int(changed_at(instance).timestamp() * 1000)}000"'


def _stub(instance: Instance) -> Event:
    stub: Event = {
        "kind": "calendar#event",
        "etag": _etag(instance),
        "id": event_id(instance),
        "status": "cancelled",
    }
    if instance.series_id is not None and not instance.deleted:
        stub["recurringEventId"] = google_id(instance.series_id)
        stub["originalStartTime"] = _time(instance, instance.original_start)
    return stub


def _time(instance: Instance, moment: datetime) -> dict[str, str]:
    zone = ZoneInfo(instance.timezone)
    local = moment.astimezone(zone)
    if instance.all_day:
        return {"date": local.date().isoformat()}
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": instance.timezone}


def _end_time(instance: Instance) -> dict[str, str]:
    if not instance.all_day:
        return _time(instance, instance.end)
    start = instance.start.astimezone(ZoneInfo(instance.timezone)).date()
    end = instance.end.astimezone(ZoneInfo(instance.timezone)).date()
    # An all-day end date is exclusive: a one-day event ends the next day.
    return {"date": max(end, start + timedelta(days=1)).isoformat()}


def _person(email: str, names: Mapping[str, str], calendar: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": email}
    if email in names:
        entry["displayName"] = names[email]
    if email == calendar:
        entry["self"] = True
    return entry


def _attendee(attendee: Attendee, names: Mapping[str, str], calendar: str) -> dict[str, Any]:
    entry = _person(attendee.email, names, calendar)
    if attendee.resource:
        entry["resource"] = True
    entry["responseStatus"] = attendee.response
    return entry


def _attendees(instance: Instance, names: Mapping[str, str], calendar: str) -> list[Any]:
    organizer = {**_person(instance.organizer, names, calendar), "organizer": True}
    organizer["responseStatus"] = "accepted"
    return [organizer, *(_attendee(a, names, calendar) for a in instance.attendees)]


def _live(instance: Instance, email: str, names: Mapping[str, str]) -> Event:
    event: Event = {
        "kind": "calendar#event",
        "etag": _etag(instance),
        "id": event_id(instance),
        "status": "confirmed",
        "created": rfc3339_utc(instance.created_at),
        "updated": rfc3339_utc(instance.updated_at),
        "summary": instance.title,
        "creator": _person(instance.organizer, names, email),
        "organizer": _person(instance.organizer, names, email),
        "start": _time(instance, instance.start),
        "end": _end_time(instance),
        "iCalUID": f"{google_id(instance.series_id or instance.uid)}@google.com",
        "sequence": 0,
        "eventType": instance.kind,
    }
    if instance.attendees:
        event["attendees"] = _attendees(instance, names, email)
    if instance.series_id is not None:
        event["recurringEventId"] = google_id(instance.series_id)
        event["originalStartTime"] = _time(instance, instance.original_start)
    return event | _optional_fields(instance)


def meet_fields(instance: Instance) -> Event:
    """`hangoutLink` and `conferenceData` of an online instance; {} for one met in person."""
    code = meeting_code_of(instance)
    if code is None:
        return {}
    meet = meet_code(code)
    uri = f"https://meet.google.com/{meet}"
    video = {"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{meet}"}
    solution = {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"}
    conference = {"entryPoints": [video], "conferenceSolution": solution, "conferenceId": meet}
    return {"hangoutLink": uri, "conferenceData": conference}


def _optional_fields(instance: Instance) -> Event:
    extra: Event = meet_fields(instance)
    if instance.description:
        extra["description"] = instance.description
    if instance.location:
        extra["location"] = instance.location
    if instance.has_attachment:
        extra["attachments"] = [
            {
                "fileId": google_id(instance.uid),
                "fileUrl": f"https://drive.google.com/open?id={google_id(instance.uid)}",
                "title": "Agenda",
                "mimeType": "application/vnd.google-apps.document",
            }
        ]
    return extra
