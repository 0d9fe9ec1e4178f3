"""Incremental rounds through Graph JSON batching: many delta replays per request.

Each mailbox's deltaLink becomes an inner GET of `POST {graph}/$batch` (relative URL:
the link minus the Graph endpoint), at most 20 per batch. Every inner response is
checked on its own: a page is recorded and its `@odata.nextLink` queued for the next
batch; a retriable status (429, 5xx) keeps the request for a re-submission of only
the failed ones inside the shared RetryPolicy (its Retry-After honoured); anything
else becomes that mailbox's error, never its neighbours'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import FatalSourceError, RetriableError, SourceError
from connectors.microsoft.calendar_round import DeltaRound
from connectors.microsoft.client import GraphClient, JsonObject, Tally, graph_error_for
from connectors.retry import RetryPolicy

MAX_BATCH = 20


def relative_url(link: str, endpoint: str) -> str | None:
    """`link` relative to the Graph `endpoint` (`/users/…`), or None if elsewhere."""
    root = endpoint.rstrip("/")
    return link[len(root) :] if link.startswith(root + "/") else None


@dataclass
class DeltaJob:
    """One mailbox's incremental round as it goes through batches."""

    email: str
    url: str | None  # relative URL of the next page to fetch; None when done
    round: DeltaRound
    tally: Tally = field(default_factory=Tally)  # inner requests made for this mailbox
    error: SourceError | None = None
    last_failure: RetriableError | None = None  # the latest retriable inner answer
    seen: set[str] = field(default_factory=set)

    @property
    def pending(self) -> bool:
        return self.url is not None and self.error is None


def _chunks(jobs: Sequence[DeltaJob]) -> Iterator[list[DeltaJob]]:
    for start in range(0, len(jobs), MAX_BATCH):
        yield list(jobs[start : start + MAX_BATCH])


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    found = [str(v) for k, v in headers.items() if k.lower() == name.lower()]
    return found[0] if found else None


class DeltaBatcher:
    """Runs delta rounds of many mailboxes through `$batch` until each ends or fails."""

    def __init__(self, graph: GraphClient, retry: RetryPolicy, headers: Mapping[str, str]):
        self._graph = graph
        self._retry = retry
        self._headers = dict(headers)
        self.batches = Tally()  # POST /$batch requests made (retries included)

    def run(self, jobs: Sequence[DeltaJob]) -> None:
        """Advance every job to its deltaLink or its error."""
        while pending := [job for job in jobs if job.pending]:
            for group in _chunks(pending):
                self._send(group)

    def _send(self, group: list[DeltaJob]) -> None:
        outstanding = {str(n): job for n, job in enumerate(group)}
        try:
            self._retry.call(lambda: self._attempt(outstanding))
        except SourceError as error:  # retries ran out, or the batch itself was refused
            for job in outstanding.values():
                job.error = job.last_failure or error

    def _attempt(self, outstanding: dict[str, DeltaJob]) -> None:
        requests = [
            {"id": key, "method": "GET", "url": job.url, "headers": self._headers}
            for key, job in outstanding.items()
        ]
        subject = f"a $batch of {len(requests)} mailboxes"
        answer = self._graph.send_once(
            "POST", self._graph.url("/$batch"), subject, self.batches, body={"requests": requests}
        )
        waits: list[float] = []
        for response in answer.get("responses") or ():
            job = outstanding.get(str(response.get("id")))
            if job is None:
                continue
            job.tally.requests += 1
            try:
                self._apply(job, response)
            except RetriableError as error:
                job.last_failure = error
                if error.retry_after is not None:
                    waits.append(error.retry_after)
                continue
            except SourceError as error:
                job.error = error
            del outstanding[str(response.get("id"))]
        if outstanding:  # failed or missing inner responses: re-submit only those
            wait = max(waits) if waits else None
            raise RetriableError(f"{len(outstanding)} requests of {subject} to retry", wait)

    def _apply(self, job: DeltaJob, response: Mapping[str, Any]) -> None:
        status = int(response.get("status") or 500)
        body = response.get("body")
        subject = f"mailbox {job.email}"
        if status >= 400:
            detail = body.get("error") if isinstance(body, dict) else None
            error = detail if isinstance(detail, dict) else {}
            retry_after = _header(response.get("headers") or {}, "Retry-After")
            raise graph_error_for(status, error, retry_after, subject)
        if not isinstance(body, dict):
            raise RetriableError(f"Graph sent a malformed $batch body for {subject}")
        self._record(job, body)

    def _record(self, job: DeltaJob, page: JsonObject) -> None:
        for entry in page.get("value") or ():
            job.round.add(entry)
        link = page.get("@odata.nextLink")
        if link:
            job.url = self._next(job, str(link))
            return
        job.round.delta_link = str(page.get("@odata.deltaLink") or "") or None
        if job.round.delta_link is None:
            raise FatalSourceError(f"Graph ended a delta round without a deltaLink for {job.email}")
        job.url = None

    def _next(self, job: DeltaJob, link: str) -> str:
        if link in job.seen:
            raise FatalSourceError(f"Graph repeated a page link for {job.email}")
        job.seen.add(link)
        relative = relative_url(link, self._graph.endpoint)
        if relative is None:
            raise FatalSourceError(f"Graph sent a nextLink outside its endpoint for {job.email}")
        return relative
