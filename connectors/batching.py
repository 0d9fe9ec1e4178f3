"""The batch-round driver both providers plug into: chunk, send, retry the outstanding.

An incremental round reads many calendars through batch requests (Google batch, Graph
`$batch`). Each calendar is a job that stays pending until its paginator has no next
page or it failed. The driver sends the pending jobs in chunks of at most `size`
(the provider's limit), through a provider's `send` that makes one batch request of
one inner request per job and returns one outcome per inner answer:

- None: the answer was applied to its job (a page recorded, the next one queued);
- a `RetriableError` (429, 5xx, malformed body): re-send that job, and only it;
- any other `SourceError`: that job's error, never its neighbours'.

Jobs without an outcome (missing from the answer) are re-sent too. Re-sending happens
inside the one `RetryPolicy` (connectors/retry.py), waiting the longest Retry-After
the inner answers asked for. A failure of the batch request as a whole is raised by
`send` and retried the same way. When the retries run out, each outstanding job gets
its own latest retriable answer as its error, or else the batch's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from connectors.retry import RetryPolicy
from core.errors import RetriableError, SourceError


class BatchJob(Protocol):
    """What the driver needs of one calendar's job."""

    error: SourceError | None

    @property
    def pending(self) -> bool:
        """True while the job has a page left to fetch and has not failed."""
        ...


J = TypeVar("J", bound=BatchJob)
Outcome = SourceError | None
Send = Callable[[Mapping[str, J]], Mapping[str, Outcome]]


def run_rounds(jobs: Sequence[J], send: Send[J], retry: RetryPolicy, size: int) -> None:
    """Send batches until no job is pending: each job ends finished or with its error.

    A job with a next page stays pending, so its next page goes in the next batch.
    """
    while pending := [job for job in jobs if job.pending]:
        for group in chunks(pending, size):
            _send_group(group, send, retry)


def chunks(jobs: Sequence[J], size: int) -> Iterator[list[J]]:
    """`jobs` in order, `size` at a time (the last chunk may be shorter)."""
    for start in range(0, len(jobs), size):
        yield list(jobs[start : start + size])


def _send_group(group: list[J], send: Send[J], retry: RetryPolicy) -> None:
    # Keys are the inner requests' ids: unique within one batch request.
    outstanding = {str(n): job for n, job in enumerate(group)}
    failures: dict[str, RetriableError] = {}
    try:
        retry.call(lambda: _attempt(outstanding, failures, send))
    except SourceError as error:  # retries ran out, or the batch itself was refused
        for key, job in outstanding.items():
            job.error = failures.get(key, error)


def _attempt(outstanding: dict[str, J], failures: dict[str, RetriableError], send: Send[J]) -> None:
    """One batch request of the outstanding jobs; raises to have the rest re-sent."""
    outcomes = send(dict(outstanding))
    waits: list[float] = []
    for key, outcome in outcomes.items():
        job = outstanding.get(key)
        if job is None:
            continue
        if isinstance(outcome, RetriableError):
            failures[key] = outcome
            if outcome.retry_after is not None:
                waits.append(outcome.retry_after)
            continue
        job.error = outcome
        del outstanding[key]
    if outstanding:  # retriable or missing inner answers: re-submit only those
        message = f"{len(outstanding)} inner requests of a batch to retry"
        raise RetriableError(message, max(waits) if waits else None)
