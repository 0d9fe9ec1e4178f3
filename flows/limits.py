"""Per-provider pacing of calendar syncs, shared by every sync task of a run.

Concurrency is bounded by the task runner (http.max_concurrency workers); this adds a
start rate per provider so a burst of full syncs does not hit one tenant's throttling
all at once. Throttling that still happens is handled by the one retry policy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from itertools import zip_longest
from typing import TypeVar

T = TypeVar("T")

# Calendar syncs started per second per provider: each is a handful of requests,
# well under Google's per-project and Graph's per-tenant request quotas.
STARTS_PER_SECOND = {"google": 20.0, "microsoft": 10.0}


class TokenBucket:
    """`rate` starts per second with bursts up to `burst`; `acquire` blocks until allowed.

    A plain class on purpose: Prefect rebuilds dataclass task parameters, and every
    task must share the one bucket of its provider.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take one token, waiting as long as needed."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


def provider_buckets(providers: Iterable[str], burst: int) -> dict[str, TokenBucket]:
    """One bucket per provider in use, bursting up to the run's concurrency."""
    return {p: TokenBucket(STARTS_PER_SECOND.get(p, 10.0), burst) for p in providers}


def interleave(groups: Iterable[list[T]]) -> Iterator[T]:
    """Round-robin over groups so that one provider's calendars do not queue the other's."""
    for row in zip_longest(*groups):
        yield from (item for item in row if item is not None)
