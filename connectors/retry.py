"""The one retry policy every connector uses.

Bounded attempts, exponential backoff with full jitter, the server's Retry-After
honoured (fractional seconds too), and only `RetriableError` retried. Do not stack
Prefect task retries on top of it. With `waits` set, the seconds it waits are added
to `waits.retries_s` (the run summary reports them).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

from connectors.limits import Waits
from core.errors import RetriableError

T = TypeVar("T")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number (maybe fractional) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # total tries, the first included
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, repr=False)
    waits: Waits | None = field(default=None, repr=False, compare=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return self.jitter(0.0, ceiling)

    def call(self, operation: Callable[[], T]) -> T:
        """Run `operation`, retrying it on `RetriableError` until attempts run out."""
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except RetriableError as error:
                if attempt == self.attempts:
                    raise
                delay = self.delay(attempt, error.retry_after)
                if self.waits is not None:
                    self.waits.on_retries(delay)
                self.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")
