"""Incremental rounds through Google batch requests: many events.list calls per POST.

Each calendar's listing becomes an inner request of `POST {api_endpoint}batch/calendar/v3`
(built by `BatchHttpRequest(batch_uri=...)`: `new_batch_http_request()` would take the
discovery document's root and ignore `google.api_endpoint`), at most `MAX_BATCH` per
POST, the Calendar API's documented limit. Domain-wide delegation means one token per
calendar owner: each inner request carries its own `Authorization` header, which the
client takes from the credentials of the request's own `http` (`AuthorizedHttp`), and
the outer POST carries none.

Every inner answer is checked on its own: a page is recorded and its nextPageToken
queued for the next batch; a retriable answer (429, 5xx, rate-limit 403, malformed
body) keeps the request for a re-submission of only the failed ones inside the shared
RetryPolicy (Retry-After honoured); anything else becomes that calendar's error,
never its neighbours'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import google_auth_httplib2
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.errors import FatalSourceError, RetriableError, SourceError
from connectors.google.client import (
    bare_service,
    classify,
    decode_json,
    drop_connections,
    make_transport,
    next_page_token,
)
from connectors.google.tokens import SubjectCredentials, SubjectTokens
from connectors.model import CalendarBatch
from connectors.retry import RetryPolicy
from connectors.settings import HttpSettings

MAX_BATCH = 50  # calls per batch request the Calendar API accepts


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
    credentials: SubjectCredentials
    page_token: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    sync_token: str | None = None
    requests: int = 0  # inner requests made for this calendar, retries included
    error: SourceError | None = None
    last_failure: RetriableError | None = None

    @property
    def pending(self) -> bool:
        return self.sync_token is None and self.error is None

    @property
    def what(self) -> str:
        return f"the calendar of {self.email}"


def _chunks(jobs: Sequence[ListingJob]) -> Iterator[list[ListingJob]]:
    for start in range(0, len(jobs), MAX_BATCH):
        yield list(jobs[start : start + MAX_BATCH])


class ListingBatcher:
    """Runs the incremental listings of many calendars through batch requests."""

    def __init__(
        self, owner: ListingOwner, tokens: SubjectTokens, http: HttpSettings, retry: RetryPolicy
    ) -> None:
        self._owner = owner
        self._tokens = tokens
        self._http = http
        self._retry = retry
        self._batch_uri = owner.endpoint.removesuffix("calendar/v3/") + "batch/calendar/v3"
        self.posts = 0  # batch POSTs made, retries included

    def run(
        self, requests: Mapping[int, tuple[str, str | None]]
    ) -> dict[int, CalendarBatch | SourceError]:
        """Each `(email, cursor)` listed to its sync token, or its error (410 included)."""
        jobs = {
            n: ListingJob(email.strip().lower(), cursor, self._tokens.credentials(email.lower()))
            for n, (email, cursor) in requests.items()
            if cursor is not None
        }
        if not jobs:
            return {}
        self._refresh_tokens(list(jobs.values()))
        transport = make_transport(self._http)
        try:
            service = bare_service("calendar", "v3", self._owner.endpoint, transport)
            while pending := [job for job in jobs.values() if job.pending]:
                for group in _chunks(pending):
                    self._send(service, transport, group)
        finally:
            transport.close()
        return {n: self._result(job) for n, job in jobs.items()}

    def _result(self, job: ListingJob) -> CalendarBatch | SourceError:
        if job.error is not None:
            return job.error
        assert job.sync_token is not None
        return self._owner.batch_of(job.email, job.items, job.sync_token, False, job.requests)

    def _refresh_tokens(self, jobs: list[ListingJob]) -> None:
        """Mint the missing or stale tokens concurrently (token requests are slow)."""
        stale = [job for job in jobs if not job.credentials.valid]
        workers = max(1, min(self._http.max_concurrency, len(stale)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(self._refresh, stale))

    def _refresh(self, job: ListingJob) -> None:
        def attempt() -> None:
            try:
                job.credentials.refresh(None)
            except Exception as error:
                mapped = classify(error, job.what)
                if mapped is None:
                    raise
                raise mapped from error

        try:
            self._retry.call(attempt)
        except SourceError as error:
            job.error = error

    def _send(self, service: Any, transport: Any, group: list[ListingJob]) -> None:
        outstanding = {str(n): job for n, job in enumerate(group)}
        try:
            self._retry.call(lambda: self._attempt(service, transport, outstanding))
        except SourceError as error:  # retries ran out, or the batch itself was refused
            for job in outstanding.values():
                job.error = job.last_failure or error

    def _attempt(self, service: Any, transport: Any, outstanding: dict[str, ListingJob]) -> None:
        answers: dict[str, tuple[Any, Exception | None]] = {}
        batch = BatchHttpRequest(
            callback=lambda key, body, error: answers.__setitem__(key, (body, error)),
            batch_uri=self._batch_uri,
        )
        for key, job in outstanding.items():
            batch.add(self._request(service, transport, job), request_id=key)
        self.posts += 1
        subject = f"a batch of {len(outstanding)} calendars"
        try:
            batch.execute(http=transport)
        except Exception as error:
            mapped = classify(error, subject)
            if mapped is None:
                raise
            if not isinstance(error, HttpError):
                drop_connections(transport)
            raise mapped from error
        retry: dict[str, RetriableError] = {}
        for key, (body, failure) in answers.items():
            job = outstanding[key]
            job.requests += 1
            outcome = self._settle(job, body, failure)
            if outcome is not None:
                job.last_failure = retry[key] = outcome
        for key in [k for k in outstanding if k not in retry]:
            del outstanding[key]  # settled, or missing from the answer: see run's loop
        if outstanding:  # retriable inner answers: re-submit only those
            waits = [e.retry_after for e in retry.values() if e.retry_after is not None]
            message = f"{len(outstanding)} requests of {subject} to retry"
            raise RetriableError(message, max(waits) if waits else None)

    def _request(self, service: Any, transport: Any, job: ListingJob) -> Any:
        request = service.events().list(
            calendarId=job.email, pageToken=job.page_token, **self._owner.params(job.cursor)
        )
        # The batch takes each inner request's token from the credentials of its http.
        request.http = google_auth_httplib2.AuthorizedHttp(job.credentials, http=transport)
        request.postproc = lambda response, content: content  # decoded per answer below
        return request

    def _settle(
        self, job: ListingJob, body: Any, failure: Exception | None
    ) -> RetriableError | None:
        """Apply one inner answer to its job; the error when it is worth re-sending."""
        try:
            if failure is not None:
                raise failure
            self._record(job, decode_json(None, body))
            return None
        except SourceError as error:  # a repeated page token, no sync token
            mapped: SourceError | None = error
        except Exception as error:  # an HTTP error status or a malformed body
            mapped = classify(error, job.what)
            if mapped is None:
                raise
        if isinstance(mapped, RetriableError):
            return mapped
        job.error = mapped
        return None

    def _record(self, job: ListingJob, page: dict[str, Any]) -> None:
        job.items.extend(page.get("items", ()))
        token = next_page_token(page, job.seen, job.what)
        if token is not None:
            job.page_token = token
            return
        sync_token = page.get("nextSyncToken")
        if not sync_token:
            raise FatalSourceError(f"Google sent no nextSyncToken for {job.what}")
        job.sync_token = sync_token
