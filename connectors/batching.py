"""The batch-round driver both providers plug into: chunk, send, retry the outstanding.

An incremental round reads many calendars through batch requests (Google batch, Graph
`$batch`). Each calendar is a job that stays pending until its paginator has no next
page or it failed. The driver sends the pending jobs in chunks of at most `size`
(the configured batch size), never more of one calendar in a chunk than the
provider's concurrency bound per calendar, each chunk admitted by the provider's
`RequestLimits` (every inner request counts), through a provider's `send` that makes
one batch request of one inner request per job and returns one outcome per inner
answer:

- None: the answer was applied to its job (a page recorded, the next one queued);
- a `RetriableError` (429, 5xx, malformed body): re-send that job, and only it (a
  `ThrottledError` also slows the limits down and holds that calendar back);
- any other `SourceError`: that job's error, never its neighbours'.

Jobs without an outcome (missing from the answer) are re-sent too. Re-sending happens
inside the one `RetryPolicy` (connectors/retry.py), waiting the longest Retry-After
the inner answers asked for. A failure of the batch request as a whole is raised by
`send` and retried the same way. When the retries run out, each outstanding job gets
its own latest retriable answer as its error, or else the batch's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from connectors.limits import RequestLimits
from connectors.retry import RetryPolicy
from core.errors import RetriableError, SourceError, ThrottledError


class BatchJob(Protocol):
    """What the driver needs of one calendar's job."""

    error: SourceError | None

    @property
    def email(self) -> str:
        """The calendar or mailbox: the key its requests are limited by."""
        ...

    @property
    def pending(self) -> bool:
        """True while the job has a page left to fetch and has not failed."""
        ...


J = TypeVar("J", bound=BatchJob)
Outcome = SourceError | None
Send = Callable[[Mapping[str, J]], Mapping[str, Outcome]]


@dataclass(frozen=True)
class Round(Generic[J]):
    """What every batch of a round shares: how to send, retry and limit them."""

    send: Send[J]
    retry: RetryPolicy
    limits: RequestLimits
    size: int  # inner requests per batch


def run_rounds(jobs: Sequence[J], round_: Round[J]) -> None:
    """Send batches until no job is pending: each job ends finished or with its error.

    A job with a next page stays pending, so its next page goes in the next batch.
    """
    while pending := [job for job in jobs if job.pending]:
        per_calendar = round_.limits.concurrent_per_key() or round_.size
        for group in chunks(pending, round_.size, per_calendar):
            _send_group(group, round_)


def chunks(jobs: Sequence[J], size: int, per_calendar: int) -> Iterator[list[J]]:
    """`jobs` in order, `size` at a time, at most `per_calendar` jobs of one calendar
    in a chunk (the others move on to a later chunk)."""
    remaining = list(jobs)
    while remaining:
        chunk: list[J] = []
        later: list[J] = []
        counts: Counter[str] = Counter()
        for n, job in enumerate(remaining):
            if len(chunk) == size:
                later.extend(remaining[n:])
                break
            if counts[job.email] < per_calendar:
                counts[job.email] += 1
                chunk.append(job)
            else:
                later.append(job)
        yield chunk
        remaining = later


def _send_group(group: list[J], round_: Round[J]) -> None:
    # Keys are the inner requests' ids: unique within one batch request.
    outstanding = {str(n): job for n, job in enumerate(group)}
    failures: dict[str, RetriableError] = {}
    try:
        round_.retry.call(lambda: _attempt(outstanding, failures, round_))
    except SourceError as error:  # retries ran out, or the batch itself was refused
        for key, job in outstanding.items():
            job.error = failures.get(key, error)


def _attempt(
    outstanding: dict[str, J], failures: dict[str, RetriableError], round_: Round[J]
) -> None:
    """One batch request of the outstanding jobs; raises to have the rest re-sent."""
    calendars = [job.email for job in outstanding.values()]
    with round_.limits.admitted(calendars):
        try:
            outcomes = round_.send(dict(outstanding))
        except ThrottledError as error:  # the batch as a whole: the provider is busy
            round_.limits.throttled(None, error.retry_after)
            raise
    waits: list[float] = []
    for key, outcome in outcomes.items():
        job = outstanding.get(key)
        if job is None:
            continue
        if isinstance(outcome, RetriableError):
            failures[key] = outcome
            if isinstance(outcome, ThrottledError):
                round_.limits.throttled(job.email, outcome.retry_after)
            if outcome.retry_after is not None:
                waits.append(outcome.retry_after)
            continue
        job.error = outcome
        del outstanding[key]
    if outstanding:  # retriable or missing inner answers: re-submit only those
        message = f"{len(outstanding)} inner requests of a batch to retry"
        raise RetriableError(message, max(waits) if waits else None)
