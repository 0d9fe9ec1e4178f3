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
syncs the calendar again with `cursor=None` (`sync_many` does that itself).

Every listing asks for `FIELDS` only: what the metrics need plus the paging and sync
tokens. The description is requested because the agenda flag looks for a link in it;
it is read, never stored. So are the Meet link fields: only a digest of the meeting
code is kept (`Observation.meeting_key`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import httplib2

from connectors.google.batch import ListingBatcher
from connectors.google.client import CALENDAR_SCOPE, RequestCounter, execute, load_credentials
from connectors.google.clients import ThreadClients
from connectors.google.normalise import normalise_events
from connectors.google.paging import PageTokenPaginator, pages
from connectors.google.tokens import SubjectTokens
from connectors.google.user_tokens import UserTokens
from connectors.limits import RequestLimits, Waits
from connectors.model import CalendarBatch, Provider
from connectors.portable import Portable
from connectors.retry import RetryPolicy
from connectors.settings import GoogleSettings, GoogleSignIn, HttpSettings, SyncWindow
from connectors.token_store import TokenStore
from core.errors import CursorExpiredError, SourceError

MAX_PAGE = 2500  # the largest page events.list serves
FIELDS = (
    "nextPageToken,nextSyncToken,items(id,status,recurringEventId,originalStartTime,"
    "start,end,organizer/email,attendees(email,responseStatus,resource),attendeesOmitted,"
    "eventType,created,updated,attachments/fileUrl,description,hangoutLink,"
    "conferenceData(conferenceId,conferenceSolution/key/type))"
)


class GoogleCalendarSource(Portable):
    """Reads Google calendars with a service account and domain-wide delegation, or
    (`signed_in`) the calendar of the one person signed in with `oneonone login google`.

    `sync_calendar` and `sync_many` are safe to call from several threads at once:
    each call has clients and connections of its own; only the per-subject tokens are
    shared (and reused across calls until they expire), and the `limits` every request
    goes through (`google.requests_per_minute` for the project,
    `google.requests_per_minute_per_calendar` for each calendar). `waits` sums the
    seconds spent waiting on those limits and on retries.

    Signed in (`settings` a `GoogleSignIn`, with the `store` of its tokens), the source
    reads that person's own calendar only, with the same listings and normalisation;
    any other calendar fails with an AuthError. Sent to another process, it reads the
    sign-in from the store again there.
    """

    provider: Provider = "google"

    def __init__(
        self,
        settings: GoogleSettings | GoogleSignIn,
        http: HttpSettings,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE,
        store: TokenStore | None = None,
    ) -> None:
        self.remember(settings, http, roster, window, retry, page_size, store=store)
        self._settings = settings
        self._http = http
        self._roster = frozenset(email.strip().lower() for email in roster)
        self._window = window
        self.waits = Waits()
        self._retry = replace(retry or RetryPolicy(), waits=self.waits)
        self.limits = RequestLimits(settings.limits.quota, self.waits)
        self._page_size = page_size
        self._clients = ThreadClients(http, self.endpoint)
        self._tokens = _tokens(settings, http, store, self._clients.transport)
        # Token minting for batched rounds: threads (and their connections) kept.
        self._token_pool = ThreadPoolExecutor(
            max_workers=max(1, http.max_concurrency), thread_name_prefix="google-tokens"
        )
        # Connections close with the source even when nobody calls `close`.
        self._closer = weakref.finalize(self, _close, self._clients, self._token_pool)
        self.batch_requests = 0  # batch POSTs made by sync_many, retries included

    @classmethod
    def signed_in(
        cls,
        signin: GoogleSignIn,
        http: HttpSettings,
        store: TokenStore,
        roster: frozenset[str],
        window: SyncWindow,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE,
    ) -> GoogleCalendarSource:
        """A source reading the calendar of the person signed in to `store` (an
        AuthError asking to `oneonone login google` when nobody is)."""
        return cls(signin, http, roster, window, retry, page_size, store=store)

    @property
    def account(self) -> str | None:
        """The signed-in person's email; None for a service account."""
        return self._tokens.email if isinstance(self._tokens, UserTokens) else None

    @property
    def endpoint(self) -> str:
        """The Calendar API root the clients talk to."""
        return self._settings.api_endpoint + "calendar/v3/"

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """Read `email`'s primary calendar: in full when `cursor` is None, else changes."""
        calendar = email.strip().lower()
        events = self._clients.events()
        authorized = self._clients.authorized(self._tokens.credentials(calendar))
        counter = RequestCounter()
        requests = _PageRequests(events, authorized, calendar, self.params(cursor))
        items, sync_token = _list_all(requests, calendar, self._retry, counter, self.limits)
        return self.batch_of(calendar, items, sync_token, cursor is None, counter.count)

    def sync_many(
        self, requests: Sequence[tuple[str, str | None]]
    ) -> list[CalendarBatch | SourceError]:
        """Sync each `(email, cursor)`; one result per request, in order.

        Calendars with a cursor go through batch requests (`google.batch_size`
        listings per POST to `{api_endpoint}batch/calendar/v3`, every inner answer checked, inner
        nextPageTokens followed by further batches). A calendar without a cursor, or
        whose token expired (410), is synced in full on its own. A failing calendar
        gets its error as its result and never affects the others. A batched
        calendar's `requests` counts its inner requests; the POSTs themselves are
        counted in `batch_requests`.
        """
        results: dict[int, CalendarBatch | SourceError] = {}
        batched = {n: r for n, r in enumerate(requests) if r[1] is not None}
        size = self._settings.limits.batch_size
        batcher = ListingBatcher(
            self, self._tokens, self._clients, self._retry, self.limits, size, self._token_pool
        )
        for n, outcome in batcher.run(batched).items():
            if not isinstance(outcome, CursorExpiredError):
                results[n] = outcome
        self.batch_requests += batcher.posts
        for n, (email, _) in enumerate(requests):
            if n not in results:
                results[n] = self._full(email)
        return [results[n] for n in range(len(requests))]

    def close(self) -> None:
        """Close the connections this source keeps (it reconnects if used again)."""
        self._closer()

    def _full(self, email: str) -> CalendarBatch | SourceError:
        try:
            return self.sync_calendar(email, None)
        except SourceError as error:
            return error

    def params(self, cursor: str | None) -> dict[str, Any]:
        """The events.list parameters of a full (`cursor` None) or incremental listing."""
        params: dict[str, Any] = {
            "singleEvents": True,
            "showDeleted": True,
            "maxResults": self._page_size,
            "fields": FIELDS,
        }
        if cursor is not None:
            return {**params, "syncToken": cursor}
        start, end = self._window.start.isoformat(), self._window.end.isoformat()
        return {**params, "timeMin": start, "timeMax": end}

    def batch_of(
        self, calendar: str, items: list[dict[str, Any]], cursor: str, full: bool, requests: int
    ) -> CalendarBatch:
        """The `CalendarBatch` of one finished listing of `calendar`."""
        result = normalise_events(items, calendar, self._roster, full=full)
        return CalendarBatch(
            provider="google",
            calendar_email=calendar,
            observations=tuple(result.observations),
            cursor=cursor,
            full=full,
            removed_ids=tuple(result.removed_ids),
            events_read=len(items),
            requests=requests,
        )


def _tokens(
    settings: GoogleSettings | GoogleSignIn,
    http: HttpSettings,
    store: TokenStore | None,
    transport: Callable[[], httplib2.Http],
) -> SubjectTokens | UserTokens:
    """The service account's per-subject tokens, or the signed-in person's."""
    if isinstance(settings, GoogleSignIn):
        if store is None:
            raise TypeError("a signed-in Google source needs the store of its tokens")
        # The sign-in flow's libraries (oauthlib, requests) load only for a signed-in source.
        from connectors.google.oauth import user_credentials

        return UserTokens(user_credentials(settings, http, store, transport))
    return SubjectTokens(load_credentials(settings, [CALENDAR_SCOPE]), transport)


def _close(clients: ThreadClients, pool: ThreadPoolExecutor) -> None:
    pool.shutdown(wait=False)
    clients.close()


class _PageRequests:
    """Builds one page's request of a listing, carrying its calendar owner's token."""

    def __init__(self, events: Any, http: Any, calendar: str, params: dict[str, Any]) -> None:
        self._events = events
        self._http = http
        self._calendar = calendar
        self._params = params

    def page(self, paginator: PageTokenPaginator) -> Any:
        """A factory for the request of the page `paginator` points at (a retry builds
        the request afresh)."""

        def make() -> Any:
            params = paginator.update_request(self._params)
            request = self._events.list(calendarId=self._calendar, **params)
            request.http = self._http
            return request

        return make


def _list_all(
    requests: _PageRequests,
    calendar: str,
    retry: RetryPolicy,
    counter: RequestCounter,
    limits: RequestLimits,
) -> tuple[list[dict[str, Any]], str]:
    """Every page of one listing, and the `nextSyncToken` of its last page."""
    what = f"the calendar of {calendar}"
    paginator = PageTokenPaginator(what, sync=True)
    items: list[dict[str, Any]] = []

    def next_page() -> dict[str, Any]:
        return execute(requests.page(paginator), retry, what, counter, (limits, calendar))

    for page in pages(paginator, next_page):
        items.extend(page.get("items", ()))
    assert paginator.sync_token is not None  # a listing that ends without one raised
    return items, paginator.sync_token
