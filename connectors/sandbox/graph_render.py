"""Render sandbox instances as Graph `event` resources, one copy per mailbox.

What a mailbox sees (Exchange semantics):
- the organizer's copy while the instance stands; an organizer-cancelled occurrence
  disappears from the organizer's calendar;
- each attendee's own copy (its own id: Graph ids differ per mailbox) until the
  attendee deletes it (`removed_by`); a cancelled one stays with `isCancelled: true`;
- a one-off deleted outright is gone from every calendar.
Times render as wall time with seven fractional digits and a zone name, no offset.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from connectors.sandbox.calls import join_url, meeting_code_of
from connectors.sandbox.graph_common import opaque_id
from connectors.sandbox.model import Attendee, Instance, Member
from connectors.sandbox.zones import windows_name, zone_for

NEVER = "0001-01-01T00:00:00Z"
_RESPONSES = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentativelyAccepted",
    "needsAction": "none",
}


@lru_cache(maxsize=1 << 16)
def instant(moment: datetime | None) -> str:
    """Graph's `Edm.DateTimeOffset` rendering: UTC, seven fractional digits, `Z`."""
    if moment is None:
        return NEVER
    # isoformat is several times faster than strftime, and renders every event ~10 times.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat("T", "microseconds") + "0Z"


def local(moment: datetime, zone_name: str) -> dict[str, str]:
    """A `dateTimeTimeZone`: wall time in `zone_name` (Windows or IANA) without offset."""
    zone = zone_for(zone_name)
    if zone is None:  # `zone_known` turns an unknown name away before any rendering
        raise ValueError(f"unknown time zone {zone_name!r}")
    wall = moment.astimezone(zone).replace(tzinfo=None)
    return {"dateTime": wall.isoformat("T", "microseconds") + "0", "timeZone": zone_name}


def visible_to(instance: Instance, mailbox: str) -> bool:
    """Whether `mailbox` has a copy of `instance` on its calendar."""
    if instance.deleted or instance.kind == "workingLocation":
        return False
    if instance.organizer.lower() == mailbox:
        return not instance.cancelled
    attendee = _attendee(instance, mailbox)
    removed = {email.lower() for email in instance.removed_by}
    return attendee is not None and not attendee.resource and mailbox not in removed


def _attendee(instance: Instance, mailbox: str) -> Attendee | None:
    return next((a for a in instance.attendees if a.email.lower() == mailbox), None)


def event_type(instance: Instance) -> str:
    """singleInstance, occurrence, or exception (an occurrence moved from its slot)."""
    if instance.series_id is None:
        return "singleInstance"
    return "exception" if instance.start != instance.original_start else "occurrence"


def _recipient(email: str, members: Mapping[str, Member]) -> dict[str, Any]:
    member = members.get(email.lower())
    return {"emailAddress": {"name": member.name if member else email, "address": email}}


def _attendees(instance: Instance, members: Mapping[str, Member]) -> list[dict[str, Any]]:
    return [
        {
            "type": "resource" if attendee.resource else "required",
            "status": {
                "response": _RESPONSES[attendee.response],
                "time": instant(attendee.responded_at),
            },
            **_recipient(attendee.email, members),
        }
        for attendee in instance.attendees
    ]


def _modified(instance: Instance, mailbox: str, attendee: Attendee | None) -> datetime:
    times = [instance.updated_at]
    if instance.organizer.lower() == mailbox:
        times += [a.responded_at for a in instance.attendees if a.responded_at]
    else:
        times += [attendee.responded_at] if attendee and attendee.responded_at else []
        times += [instance.cancelled_at] if instance.cancelled and instance.cancelled_at else []
    return max(times)


def _response_status(instance: Instance, mailbox: str, attendee: Attendee | None) -> dict[str, str]:
    if instance.organizer.lower() == mailbox:
        return {"response": "organizer", "time": NEVER}
    if attendee is None:
        return {"response": "none", "time": NEVER}
    return {"response": _RESPONSES[attendee.response], "time": instant(attendee.responded_at)}


def _body(instance: Instance) -> dict[str, str]:
    content = f"<html><body>{html.escape(instance.description)}</body></html>"
    return {"contentType": "html", "content": content}


def online_meeting_fields(instance: Instance) -> dict[str, Any]:
    """`isOnlineMeeting`, its provider and `onlineMeeting.joinUrl` (a Teams meeting of the
    series, or of the one-off); `onlineMeeting` is null for a meeting held in a room."""
    code = meeting_code_of(instance)
    if code is None:
        return {"isOnlineMeeting": False, "onlineMeetingProvider": "unknown", "onlineMeeting": None}
    return {
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
        "onlineMeeting": {"joinUrl": join_url(code)},
    }


def shared_fields(
    instance: Instance, members: Mapping[str, Member], zone_name: str
) -> dict[str, Any]:
    """The fields of `instance`'s copies that are the same on every mailbox's calendar."""
    origin = windows_name(instance.timezone)
    fields: dict[str, Any] = {
        "createdDateTime": instant(instance.created_at),
        "iCalUId": opaque_id(instance.uid, prefix="040000008200E00074C5B7101A82E008"),
        "subject": instance.title,
        "bodyPreview": instance.description[:255],
        "body": _body(instance),
        "hasAttachments": instance.has_attachment,
        "importance": "normal",
        "sensitivity": "normal",
        "isAllDay": instance.all_day,
        "responseRequested": True,
        "showAs": "oof" if instance.kind == "outOfOffice" else instance.show_as,
        "type": event_type(instance),
        "originalStartTimeZone": origin,
        "originalEndTimeZone": origin,
        "start": local(instance.start, zone_name),
        "end": local(instance.end, zone_name),
        "location": {"displayName": instance.location, "locationType": "default"},
        "attendees": _attendees(instance, members),
        "organizer": _recipient(instance.organizer, members),
        **online_meeting_fields(instance),
    }
    if instance.series_id is not None:
        fields["originalStart"] = instant(instance.original_start)
    return fields


def organizer_modified(instance: Instance) -> datetime:
    """When the organizer's copy last changed: the instance or any attendee's response."""
    return _modified(instance, instance.organizer.lower(), None)


def mailbox_fields(
    instance: Instance, mailbox: str, modified: datetime | None = None
) -> dict[str, Any]:
    """The fields that differ between mailboxes' copies (`mailbox` lower-case).

    `modified` is the organizer's `organizer_modified` when the caller has it at hand.
    """
    organizer = instance.organizer.lower() == mailbox
    attendee = None if organizer else _attendee(instance, mailbox)
    if modified is None or not organizer:
        modified = _modified(instance, mailbox, attendee)
    event_id = opaque_id(mailbox, instance.uid)
    changed = instant(modified)
    series = instance.series_id
    return {
        "@odata.etag": f'W/"{opaque_id(instance.uid, changed, prefix="DwAAABYA")}"',
        "id": event_id,
        "lastModifiedDateTime": changed,
        "isCancelled": instance.cancelled and not organizer,
        "isOrganizer": organizer,
        "seriesMasterId": None if series is None else opaque_id(mailbox, series),
        "responseStatus": _response_status(instance, mailbox, attendee),
        "webLink": f"https://outlook.office365.com/owa/?itemid={event_id}",
    }


def render_event(
    instance: Instance, mailbox: str, members: Mapping[str, Member], zone_name: str
) -> dict[str, Any]:
    """`mailbox`'s copy of `instance` as a Graph event, times rendered in `zone_name`."""
    own = mailbox_fields(instance, mailbox.lower())
    return {**own, **shared_fields(instance, members, zone_name)}


def mailbox_view(
    instances: list[Instance],
    mailbox: str,
    members: Mapping[str, Member],
    window: tuple[datetime, datetime],
    zone_name: str,
) -> list[dict[str, Any]]:
    """Every copy on `mailbox`'s calendar overlapping `window`, ordered by start."""
    shown = visible_copies(instances, mailbox.lower(), window)
    return [render_event(i, mailbox, members, zone_name) for i in shown]


def visible_copies(
    candidates: list[Instance], mailbox: str, window: tuple[datetime, datetime]
) -> list[Instance]:
    """The instances on `mailbox`'s (lower-case) calendar overlapping `window`, by start."""
    start, end = window
    shown = [i for i in candidates if i.start < end and i.end > start and visible_to(i, mailbox)]
    shown.sort(key=lambda i: (i.start, i.uid))
    return shown


def zone_known(name: str) -> bool:
    """Whether Graph could render in `name` (Windows or IANA)."""
    return zone_for(name) is not None
