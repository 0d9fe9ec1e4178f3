"""Whose calendar a token may read, and Calendar v3 `calendars.get`.

A service account's delegated token reads its subject's calendar only: another
member's is 403 forbidden, anyone else's 404. A person's own sign-in reads their own
calendar only, and every other calendar is 404 notFound, as Google answers for a
calendar one cannot see. `calendarId` "primary" is the token's own calendar, and
`calendars.get` on it tells a signed-in client whose calendar that is.
"""

from __future__ import annotations

from urllib.parse import unquote

from connectors.sandbox.google_auth import Grant
from connectors.sandbox.google_state import GoogleState, OrgIndex, google_error
from connectors.sandbox.server import Reply, Request

CALENDAR_PATH = r"/calendar/v3/calendars/([^/]+)"
CALENDAR_SCOPES = {"calendar", "calendar.readonly", "calendar.events", "calendar.events.readonly"}


def calendar_id(raw: str, subject: str) -> str:
    """The calendar a path's `calendarId` names ("primary": the token's own)."""
    calendar = unquote(raw).strip().lower()
    return subject if calendar == "primary" else calendar


def not_yours(calendar: str, index: OrgIndex, grant: Grant) -> Reply:
    """The answer to a token asking for a calendar that is not its subject's."""
    if not grant.signed_in and calendar in index.members:
        return google_error(403, "forbidden", "Forbidden")
    return google_error(404, "notFound", "Not Found")


def get_calendar(state: GoogleState, request: Request) -> Reply:
    """`GET /calendar/v3/calendars/{calendarId}`: the calendar's metadata."""
    grant = state.authorise(request, CALENDAR_SCOPES)
    if isinstance(grant, Reply):
        return grant
    assert request.match is not None
    index = state.index()
    calendar = calendar_id(request.match.group(1), grant.subject)
    member = index.members.get(calendar)
    if calendar != grant.subject or member is None:
        return not_yours(calendar, index, grant)
    return Reply.json(
        {
            "kind": "calendar#calendar",
            "etag": f'"{index.version}"',
            "id": calendar,
            "summary": calendar,
            "timeZone": member.timezone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
    )
