"""Incremental rounds through Graph JSON batching: many delta replays per request.

Each mailbox's deltaLink becomes an inner GET of `POST {graph}/$batch` (relative URL:
the link minus the Graph endpoint), at most `microsoft.batch_size` (at most 20) per
batch, each counted by the source's limits as a request to its mailbox, as Graph
counts them (it answers 429 per inner request). The rounds are run by the
shared driver (connectors/batching.py); this module sends one `$batch` and reads each
inner response on its own: a page is recorded by the mailbox's `NextLinkPaginator`
(its next page goes in a further batch); a retriable status (429, 5xx) is re-sent
alone; anything else becomes that mailbox's error, never its neighbours'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.batching import Outcome, Round, run_rounds
from connectors.limits import RequestLimits
from connectors.microsoft.calendar_round import DeltaRound
from connectors.microsoft.client import GraphClient, Tally, graph_error_for
from connectors.microsoft.paging import NextLinkPaginator
from connectors.retry import RetryPolicy
from core.errors import RetriableError, SourceError


@dataclass
class DeltaJob:
    """One mailbox's incremental round as it goes through batches."""

    email: str
    paginator: NextLinkPaginator  # at the deltaLink replayed, then at each nextLink
    round: DeltaRound
    tally: Tally = field(default_factory=Tally)  # inner requests made for this mailbox
    error: SourceError | None = None

    @property
    def pending(self) -> bool:
        """True while the round has a page left and has not failed."""
        return self.paginator.has_next_page and self.error is None


def delta_job(email: str, cursor: str, endpoint: str, round_: DeltaRound) -> DeltaJob:
    """A job replaying `cursor`, a deltaLink under the Graph `endpoint`."""
    paginator = NextLinkPaginator(f"mailbox {email}", cursor, delta=True, endpoint=endpoint)
    return DeltaJob(email, paginator, round_)


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    found = [str(v) for k, v in headers.items() if k.lower() == name.lower()]
    return found[0] if found else None


class DeltaBatcher:
    """Runs delta rounds of many mailboxes through `$batch` until each ends or fails."""

    def __init__(
        self,
        graph: GraphClient,
        retry: RetryPolicy,
        headers: Mapping[str, str],
        limits: RequestLimits,
        size: int,
    ):
        self._graph = graph
        self._round = Round(self._send, retry, limits, size)
        self._headers = dict(headers)
        self.batches = Tally()  # POST /$batch requests made (retries included)

    def run(self, jobs: Sequence[DeltaJob]) -> None:
        """Advance every job to its deltaLink or its error."""
        run_rounds(jobs, self._round)

    def _send(self, jobs: Mapping[str, DeltaJob]) -> dict[str, Outcome]:
        """One `$batch` of `jobs`' next pages; each response's outcome by its id."""
        requests = [
            {"id": key, "method": "GET", "url": job.paginator.relative(), "headers": self._headers}
            for key, job in jobs.items()
        ]
        subject = f"a $batch of {len(requests)} mailboxes"
        answer = self._graph.send_once(
            "POST", self._graph.url("/$batch"), subject, self.batches, body={"requests": requests}
        )
        outcomes: dict[str, Outcome] = {}
        for response in answer.get("responses") or ():
            key = str(response.get("id"))
            job = jobs.get(key)
            if job is not None:
                job.tally.requests += 1
                outcomes[key] = _settle(job, response)
        return outcomes


def _settle(job: DeltaJob, response: Mapping[str, Any]) -> Outcome:
    """Apply one inner response to its job: None when applied, else the response's error."""
    try:
        _apply(job, response)
    except SourceError as error:
        return error
    return None


def _apply(job: DeltaJob, response: Mapping[str, Any]) -> None:
    status = int(response.get("status") or 500)
    body = response.get("body")
    subject = job.paginator.subject
    if status >= 400:
        detail = body.get("error") if isinstance(body, dict) else None
        error = detail if isinstance(detail, dict) else {}
        retry_after = _header(response.get("headers") or {}, "Retry-After")
        raise graph_error_for(status, error, retry_after, subject)
    if not isinstance(body, dict):
        raise RetriableError(f"Graph sent a malformed $batch body for {subject}")
    for entry in body.get("value") or ():
        job.round.add(entry)
    job.paginator.update_state(body)
    job.round.delta_link = job.paginator.delta_link
