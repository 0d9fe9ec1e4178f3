"""One calendar's copy of a sandbox instance as the VEVENT properties Google Calendar's
and Outlook's .ics exports write, times aside (ics_export places DTSTART, DTEND,
RECURRENCE-ID and the rule).

Each copy says what the provider's API route shows that calendar (google_render,
graph_render): Google's organizer keeps a deleted one-off with STATUS CANCELLED, any
calendar keeps a cancelled instance of a series (written as a cancelled exception);
Outlook shows an attendee a meeting its organizer cancelled, its subject prefixed
"Canceled: " (Outlook's published calendars leave STATUS CONFIRMED), and its organizer
nothing. Timestamps are the API's: Google's `updated`, Graph's
`lastModifiedDateTime` of that mailbox.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

import icalendar

from connectors.sandbox.calls import join_url, meet_code, meeting_code_of
from connectors.sandbox.google_render import changed_at, google_id, variant
from connectors.sandbox.graph_render import mailbox_fields
from connectors.sandbox.model import Attendee, Instance

Style = Literal["google", "outlook"]
GOOGLE_PRODID = "-//Google Inc//Google Calendar 70.9054//EN"
OUTLOOK_PRODID = "Microsoft Exchange Server 2010"
# Google appends this block (between its markers) to the description of a Meet event.
_MEET_MARKER = "-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-"
_TEAMS_RULE = "_" * 80
_PARTSTAT = {
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentative": "TENTATIVE",
    "needsAction": "NEEDS-ACTION",
}
_BUSY = {
    "free": "FREE",
    "tentative": "TENTATIVE",
    "busy": "BUSY",
    "oof": "OOF",
    "workingElsewhere": "WORKINGELSEWHERE",
}


def outlook_uid(key: str) -> str:
    """An Outlook iCalUId: the GlobalObjectId's fixed prefix, then hex of the meeting."""
    digest = hashlib.sha256(key.encode()).hexdigest().upper()
    return "040000008200E00074C5B7101A82E00800000000" + digest + digest[:48]


def event_uid(instance: Instance, style: Style) -> str:
    """The UID every copy of the instance's meeting (its series, or the one-off) has."""
    key = instance.series_id or instance.uid
    return f"{google_id(key)}@google.com" if style == "google" else outlook_uid(key)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _cn(email: str, names: Mapping[str, str]) -> str:
    return names.get(email.lower(), email)


def google_copy(instance: Instance, calendar: str, names: Mapping[str, str]) -> icalendar.Event:
    """The copy on a Google `calendar`, as Google Calendar's export writes it."""
    kind = variant(instance, calendar)
    event = icalendar.Event()
    event.add("ORGANIZER", f"mailto:{instance.organizer}", {"CN": _cn(instance.organizer, names)})
    event.add("UID", event_uid(instance, "google"))
    organizer = Attendee(instance.organizer)
    for attendee in [organizer, *instance.attendees]:
        cutype = "RESOURCE" if attendee.resource else "GROUP" if attendee.group else "INDIVIDUAL"
        params = {
            "CUTYPE": cutype,
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": _PARTSTAT[attendee.response],
            "CN": _cn(attendee.email, names),
            "X-NUM-GUESTS": "0",
        }
        event.add("ATTENDEE", f"mailto:{attendee.email}", params)
    code = meeting_code_of(instance)
    meet = f"https://meet.google.com/{meet_code(code)}" if code else None
    if meet:
        event.add("X-GOOGLE-CONFERENCE", meet)
    event.add("CREATED", _utc(instance.created_at))
    description = _google_description(instance.description, meet)
    if description:
        event.add("DESCRIPTION", description)
    modified = instance.updated_at if kind == "live" else instance.cancelled_at
    event.add("LAST-MODIFIED", _utc(modified or changed_at(instance)))
    if instance.location:
        event.add("LOCATION", instance.location)
    event.add("SEQUENCE", 0)
    event.add("STATUS", "CONFIRMED" if kind == "live" else "CANCELLED")
    event.add("SUMMARY", instance.title)
    event.add("TRANSP", "TRANSPARENT" if instance.show_as == "free" else "OPAQUE")
    if instance.has_attachment:
        params = {"FILENAME": "Agenda", "FMTTYPE": "application/vnd.google-apps.document"}
        url = f"https://drive.google.com/open?id={google_id(instance.uid)}"
        event.add("ATTACH", url, params)
    return event


def _google_description(text: str, meet: str | None) -> str:
    if not meet:
        return text
    block = (
        f"{_MEET_MARKER}\nJoin with Google Meet: {meet}\n\n"
        "Learn more about Meet at: https://support.google.com/a/users/answer/9282720\n\n"
        f"Please do not edit this section.\n{_MEET_MARKER}"
    )
    return f"{text}\n\n{block}" if text else block


def outlook_copy(instance: Instance, mailbox: str, names: Mapping[str, str]) -> icalendar.Event:
    """The copy in an Exchange `mailbox`, as Outlook's .ics export writes it (without
    X-MICROSOFT-CDO-INSTTYPE, which depends on how the copy is placed)."""
    own = mailbox_fields(instance, mailbox)
    event = icalendar.Event()
    event.add("ORGANIZER", f"mailto:{instance.organizer}", {"CN": _cn(instance.organizer, names)})
    for attendee in instance.attendees:
        params = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": _PARTSTAT[attendee.response]}
        if attendee.resource:
            params = {"CUTYPE": "RESOURCE", "ROLE": "NON-PARTICIPANT", "PARTSTAT": "ACCEPTED"}
        elif attendee.group:
            params["CUTYPE"] = "GROUP"
        params |= {"RSVP": "TRUE", "CN": _cn(attendee.email, names)}
        event.add("ATTENDEE", f"mailto:{attendee.email}", params)
    code = meeting_code_of(instance)
    teams = join_url(code) if code else None
    description = _teams_description(instance.description, teams)
    if description:
        event.add("DESCRIPTION", description, {"LANGUAGE": "en-US"})
    event.add("UID", event_uid(instance, "outlook"))
    # Outlook's published calendars mark a meeting its organizer cancelled by its
    # subject alone: STATUS stays CONFIRMED.
    cancelled = bool(own["isCancelled"])
    title = f"Canceled: {instance.title}" if cancelled else instance.title
    event.add("SUMMARY", title, {"LANGUAGE": "en-US"})
    event.add("CLASS", "PUBLIC")
    event.add("PRIORITY", 5)
    event.add("TRANSP", "TRANSPARENT" if instance.show_as == "free" else "OPAQUE")
    event.add("STATUS", "CONFIRMED")
    event.add("SEQUENCE", 0)
    if instance.location:
        event.add("LOCATION", instance.location, {"LANGUAGE": "en-US"})
    event.add("CREATED", _utc(instance.created_at))
    event.add("LAST-MODIFIED", _graph_instant(str(own["lastModifiedDateTime"])))
    busy = _BUSY.get("oof" if instance.kind == "outOfOffice" else instance.show_as, "BUSY")
    event.add("X-MICROSOFT-CDO-APPT-SEQUENCE", "0")
    event.add("X-MICROSOFT-CDO-BUSYSTATUS", busy)
    event.add("X-MICROSOFT-CDO-INTENDEDSTATUS", busy)
    event.add("X-MICROSOFT-CDO-ALLDAYEVENT", "TRUE" if instance.all_day else "FALSE")
    event.add("X-MICROSOFT-CDO-IMPORTANCE", "1")
    _reply_time(event, instance, mailbox)
    if teams:
        event.add("X-MICROSOFT-SKYPETEAMSMEETINGURL", teams)
    event.add("X-MICROSOFT-DISALLOW-COUNTER", "FALSE")
    if instance.has_attachment:
        url = f"https://contoso.sharepoint.com/agenda/{google_id(instance.uid)}.docx"
        event.add(
            "ATTACH", url, {"FMTTYPE": "application/vnd.openxmlformats", "X-FILENAME": "Agenda"}
        )
    return event


def _reply_time(event: icalendar.Event, instance: Instance, mailbox: str) -> None:
    """When the mailbox's owner answered the invitation (attendees only)."""
    mine = next((a for a in instance.attendees if a.email.lower() == mailbox), None)
    if mine is not None and mine.responded_at is not None:
        stamp = _utc(mine.responded_at).strftime("%Y%m%dT%H%M%SZ")
        event.add("X-MICROSOFT-CDO-REPLYTIME", stamp)


def _teams_description(text: str, teams: str | None) -> str:
    if not teams:
        return text
    block = (
        f"{_TEAMS_RULE}\nMicrosoft Teams meeting\nJoin on your computer, mobile app or room "
        f"device\nClick here to join the meeting<{teams}>\n\nLearn More<https://aka.ms/"
        f"JoinTeamsMeeting> | Meeting options<https://teams.microsoft.com/meetingOptions/>\n"
        f"{_TEAMS_RULE}"
    )
    return f"{text}\n\n{block}" if text else block


def _graph_instant(text: str) -> datetime:
    """Graph's `2025-03-03T09:00:00.0000000Z` as aware UTC, to the second."""
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)
