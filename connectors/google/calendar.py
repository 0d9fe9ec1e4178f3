"""Google Calendar source: events.list over each user's primary calendar.

Full sync asks for `singleEvents=true` (series expanded into instances),
`showDeleted=true` (cancelled instances come as stubs) and `timeMin`/`timeMax` (the
sync window). The Calendar API allows that combination and still returns a
`nextSyncToken` on the last page; it only forbids `timeMin`, `timeMax`, `updatedMin`,
`orderBy`, `q`, `iCalUID` and the extended-property filters *together with*
`syncToken`. So an incremental sync sends the token plus the same `singleEvents` and
`showDeleted` (the API asks for the other parameters to match the full sync) and no
window: it returns every change on the calendar since the token, inside the window
or not. An expired token is HTTP 410, raised as `CursorExpiredError`; the caller then
syncs the calendar again with `cursor=None`.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import FatalSourceError
from connectors.google.client import (
    CALENDAR_SCOPE,
    RequestCounter,
    build_service,
    execute,
    load_credentials,
)
from connectors.google.normalise import normalise_events
from connectors.model import CalendarBatch, Provider
from connectors.retry import RetryPolicy
from connectors.settings import GoogleSettings, HttpSettings, SyncWindow


class GoogleCalendarSource:
    """Reads Google calendars with a service account and domain-wide delegation.

    `sync_calendar` is safe to call from several threads at once: each call
    impersonates its calendar's owner over a client and connection of its own.
    """

    provider: Provider = "google"

    def __init__(
        self,
        settings: GoogleSettings,
        http: HttpSettings,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        page_size: int = 250,
    ) -> None:
        self._settings = settings
        self._http = http
        self._roster = frozenset(email.strip().lower() for email in roster)
        self._window = window
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._credentials = load_credentials(settings, [CALENDAR_SCOPE])

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read `email`'s primary calendar: in full when `cursor` is None, else changes."""
        calendar = email.strip().lower()
        credentials = self._credentials.with_subject(calendar)
        endpoint = self._settings.api_endpoint + "calendar/v3/"
        counter = RequestCounter()
        with build_service("calendar", "v3", credentials, endpoint, self._http) as service:
            listing = _list_all(service, calendar, self._params(cursor), self._retry, counter)
        items, sync_token = listing
        result = normalise_events(items, calendar, self._roster, full=cursor is None)
        return CalendarBatch(
            provider="google",
            calendar_email=calendar,
            observations=tuple(result.observations),
            cursor=sync_token,
            full=cursor is None,
            removed_ids=tuple(result.removed_ids),
            events_read=len(items),
            requests=counter.count,
        )

    def _params(self, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "singleEvents": True,
            "showDeleted": True,
            "maxResults": self._page_size,
        }
        if cursor is not None:
            return {**params, "syncToken": cursor}
        start, end = self._window.start.isoformat(), self._window.end.isoformat()
        return {**params, "timeMin": start, "timeMax": end}


def _list_all(
    service: Any,
    calendar: str,
    params: dict[str, Any],
    retry: RetryPolicy,
    counter: RequestCounter,
) -> tuple[list[dict[str, Any]], str]:
    """Every page of one listing, and the `nextSyncToken` of its last page."""
    what = f"the calendar of {calendar}"
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    page_token: str | None = None
    while True:
        page = execute(_page_request(service, calendar, params, page_token), retry, what, counter)
        items.extend(page.get("items", ()))
        page_token = page.get("nextPageToken")
        if not page_token:
            break
        if page_token in seen:
            raise FatalSourceError(f"Google repeated a page token while reading {what}")
        seen.add(page_token)
    sync_token = page.get("nextSyncToken")
    if not sync_token:
        raise FatalSourceError(f"Google sent no nextSyncToken for {what}")
    return items, sync_token


def _page_request(
    service: Any, calendar: str, params: dict[str, Any], page_token: str | None
) -> Any:
    """A factory for one page's request: a retry builds the request afresh."""
    return lambda: service.events().list(calendarId=calendar, pageToken=page_token, **params)
