"""Incremental rounds through Google batch requests: many events.list calls per POST.

Each calendar's listing becomes an inner request of `POST {api_endpoint}batch/calendar/v3`
(built by `BatchRequest(batch_uri=...)`, google-api-python-client's `BatchHttpRequest`
that writes plain inner requests itself: `new_batch_http_request()` would take the
discovery document's root and ignore `google.api_endpoint`), at most
`google.batch_size` per POST (the Calendar API takes up to 1,000), each counted by the
source's limits as a request of its own, as Google counts them. Domain-wide
delegation means one token per calendar owner: each inner request carries its own
`Authorization` header, which the client takes from the credentials of the request's
own `http` (`AuthorizedHttp`), and the outer POST carries none.

The rounds are run by the shared driver (connectors/batching.py); this module sends
one batch and reads each inner answer on its own: a page is recorded by the
calendar's `PageTokenPaginator` (its next page goes in a further batch); a retriable
answer (429, 5xx, rate-limit 403, malformed body) is re-sent alone; anything else,
a token that could not be refreshed included, becomes that calendar's error, never
its neighbours'.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import google_auth_httplib2
from google.auth import credentials as auth_credentials

from connectors.batching import Outcome, Round, run_rounds
from connectors.google.batch_request import BatchRequest
from connectors.google.client import classify, decode_json, mapped_errors
from connectors.google.clients import ThreadClients
from connectors.google.paging import PageTokenPaginator
from connectors.google.tokens import BatchCredentials, Tokens
from connectors.limits import RequestLimits
from connectors.model import CalendarBatch
from connectors.retry import RetryPolicy
from core.errors import SourceError


class ListingOwner(Protocol):
    """What the batcher needs from the calendar source."""

    @property
    def endpoint(self) -> str: ...

    def params(self, cursor: str | None) -> dict[str, Any]: ...

    def batch_of(
        self, calendar: str, items: list[dict[str, Any]], cursor: str, full: bool, requests: int
    ) -> CalendarBatch: ...


@dataclass
class ListingJob:
    """One calendar's incremental listing as it goes through batches."""

    email: str
    cursor: str
    credentials: auth_credentials.Credentials
    paginator: PageTokenPaginator
    items: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0  # inner requests made for this calendar, retries included
    error: SourceError | None = None

    @property
    def pending(self) -> bool:
        """True while the listing has a page left and has not failed."""
        return self.paginator.has_next_page and self.error is None

    @property
    def what(self) -> str:
        return self.paginator.what


def listing_job(email: str, cursor: str, credentials: auth_credentials.Credentials) -> ListingJob:
    """A fresh job listing `email`'s changes since `cursor`."""
    paginator = PageTokenPaginator(f"the calendar of {email}", sync=True)
    return ListingJob(email, cursor, credentials, paginator)


class ListingBatcher:
    """Runs the incremental listings of many calendars through batch requests."""

    def __init__(
        self,
        owner: ListingOwner,
        tokens: Tokens,
        clients: ThreadClients,
        retry: RetryPolicy,
        limits: RequestLimits,
        size: int,
        token_pool: Executor,
    ) -> None:
        """`clients`: the source's Calendar resource and per-thread transports, which
        build and send the batch POSTs; `token_pool`: its long-lived threads that mint
        tokens (each keeps its connection to the token endpoint, so a round does not
        reconnect per token)."""
        self._token_pool = token_pool
        self._owner = owner
        self._tokens = tokens
        self._clients = clients
        self._retry = retry
        self._limits = limits
        self._size = size
        self._batch_uri = owner.endpoint.removesuffix("calendar/v3/") + "batch/calendar/v3"
        self.posts = 0  # batch POSTs made, retries included

    def run(
        self, requests: Mapping[int, tuple[str, str | None]]
    ) -> dict[int, CalendarBatch | SourceError]:
        """Each `(email, cursor)` listed to its sync token, or its error (410 included;
        a calendar the credentials may not read fails alone)."""
        jobs: dict[int, ListingJob] = {}
        refused: dict[int, CalendarBatch | SourceError] = {}
        for n, (email, cursor) in requests.items():
            if cursor is None:
                continue
            calendar = email.strip().lower()
            try:
                jobs[n] = listing_job(calendar, cursor, self._tokens.credentials(calendar))
            except SourceError as error:
                refused[n] = error
        if not jobs:
            return refused
        self._refresh_tokens(list(jobs.values()))
        # The source's resource and this thread's transport (kept across rounds).
        sender = _Sender(
            self._clients.events(), self._clients.transport(), self._batch_uri, self._owner.params
        )
        try:
            round_ = Round(sender.send, self._retry, self._limits, self._size)
            run_rounds(list(jobs.values()), round_)
        finally:
            self.posts += sender.posts
        return {**refused, **{n: self._result(job) for n, job in jobs.items()}}

    def _result(self, job: ListingJob) -> CalendarBatch | SourceError:
        if job.error is not None:
            return job.error
        cursor = job.paginator.sync_token
        assert cursor is not None  # a finished listing without one is an error
        return self._owner.batch_of(job.email, job.items, cursor, False, job.requests)

    def _refresh_tokens(self, jobs: list[ListingJob]) -> None:
        """Mint the missing or stale tokens concurrently (token requests are slow)."""
        stale = [job for job in jobs if not job.credentials.valid]
        list(self._token_pool.map(self._refresh, stale))

    def _refresh(self, job: ListingJob) -> None:
        def refresh() -> None:
            # No transport to reset here: the credentials refresh over one of their own.
            mapped_errors(lambda: job.credentials.refresh(None), job.what, None)

        try:
            self._retry.call(refresh)
        except SourceError as error:
            job.error = error


class _Sender:
    """Sends one batch request of listings and reads each inner answer."""

    def __init__(
        self,
        events: Any,
        transport: Any,
        batch_uri: str,
        params: Callable[[str | None], dict[str, Any]],
    ) -> None:
        self._events = events
        self._transport = transport
        self._batch_uri = batch_uri
        self._params = params
        self.posts = 0  # batch POSTs made, retries included

    def send(self, jobs: Mapping[str, ListingJob]) -> dict[str, Outcome]:
        """One POST of `jobs`' next pages; each answer's outcome by its key."""
        answers: dict[str, tuple[Any, Exception | None]] = {}
        batch = BatchRequest(
            callback=lambda key, body, error: answers.__setitem__(key, (body, error)),
            batch_uri=self._batch_uri,
        )
        credentials = {key: BatchCredentials(job.credentials) for key, job in jobs.items()}
        for key, job in jobs.items():
            batch.add(self._request(job, credentials[key]), request_id=key)
        self.posts += 1
        subject = f"a batch of {len(jobs)} calendars"
        mapped_errors(lambda: batch.execute(http=self._transport), subject, self._transport)
        outcomes: dict[str, Outcome] = {}
        for key, (body, failure) in answers.items():
            jobs[key].requests += 1
            refresh = credentials[key].failure
            if failure is not None and refresh is not None:
                # Refused again after a refresh that failed: the refresh says why.
                failure = refresh
            outcomes[key] = _settle(jobs[key], body, failure)
        return outcomes

    def _request(self, job: ListingJob, credentials: BatchCredentials) -> Any:
        params = job.paginator.update_request(self._params(job.cursor))
        request = self._events.list(calendarId=job.email, **params)
        # The batch takes each inner request's token from the credentials of its http.
        request.http = google_auth_httplib2.AuthorizedHttp(credentials, http=self._transport)
        request.postproc = lambda response, content: content  # decoded per answer below
        return request


def _settle(job: ListingJob, body: Any, failure: Exception | None) -> Outcome:
    """Apply one inner answer to its job: None when applied, else the answer's error."""
    try:
        if failure is not None:
            raise failure
        page = decode_json(None, body)
        job.items.extend(page.get("items", ()))
        job.paginator.update_state(page)
        return None
    except SourceError as error:  # a repeated page token, no sync token
        return error
    except Exception as error:  # an HTTP error status, a malformed body, a refresh
        mapped = classify(error, job.what)
        if mapped is None:
            raise
        return mapped
