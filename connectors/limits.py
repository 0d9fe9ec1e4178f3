"""Request limits from a provider's documented quotas, shared by every task of a run.

One `RequestLimits` per calendar source (so per provider) admits each request, or
each batch of inner requests, within:

- a sliding window for the whole project or app (Google: 10,000 requests a minute);
- a sliding window per calendar or mailbox (Google: 600 a minute per user; Graph:
  10,000 per 10 minutes per mailbox), as the providers count their quotas;
- a bound on concurrent requests per mailbox (Graph: 4).

A request inside a batch counts against these like a request of its own (both
providers count them that way). When the provider answers that it is throttling
(`ThrottledError`: 429, a rate-limit 403, 503 with Retry-After), `throttled` halves
every rate and concurrency bound of the provider (at most once a second) and they
recover additively after quiet periods; the throttled calendar (or, for a refused
batch, the whole provider) is held back until its Retry-After has passed for the
other threads. The throttled request itself is retried by the one retry policy.

Seconds spent waiting are added to a `Waits` (the retry policy adds its own).

Plain classes on purpose: they pickle (to a Dask worker, say) by their settings, and
the copy rebuilds its locks and starts with empty windows: a limiter then applies per
process, so N worker processes may together send N times a project-wide rate.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from core.errors import ThrottledError

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]

SLOW_DOWN_EVERY_S = 1.0  # throttles within this long of a slow-down count as one
RECOVER_AFTER_S = 10.0  # quiet time after which the rates grow again ...
RECOVER_STEP = 0.1  # ... by this fraction of the configured rates
SLOWEST = 1 / 64  # the lowest fraction of the configured rates
_PRUNE_AT = 4096  # per-key tables are swept of idle entries past this size


class Waits:
    """Seconds spent waiting on provider limits and on retries, summed over threads."""

    def __init__(self) -> None:
        self.limits_s = 0.0
        self.retries_s = 0.0
        self._lock = threading.Lock()

    def on_limits(self, seconds: float) -> None:
        with self._lock:
            self.limits_s += seconds

    def on_retries(self, seconds: float) -> None:
        with self._lock:
            self.retries_s += seconds

    def __getstate__(self) -> dict[str, float]:
        return {"limits_s": self.limits_s, "retries_s": self.retries_s}

    def __setstate__(self, state: dict[str, float]) -> None:
        self.__init__()  # type: ignore[misc]
        self.limits_s, self.retries_s = state["limits_s"], state["retries_s"]


@dataclass(frozen=True)
class Rate:
    """At most `requests` in any `per_s` seconds (the providers count on a sliding window)."""

    requests: int
    per_s: float


@dataclass(frozen=True)
class Quota:
    """A provider's limits as a run applies them; None means no limit of that kind."""

    project: Rate | None = None  # the whole project or app
    per_key: Rate | None = None  # one calendar or mailbox
    concurrent_per_key: int | None = None


class SlidingWindow:
    """Requests admitted over the last `rate.per_s` seconds, at most `rate.requests` of
    them: a burst up to the quota goes at once, as the provider allows, and the next
    request waits until enough of the window has passed. Not thread-safe on its own.

    `earliest` says when requests may go, `add` records them as sent then: the caller
    admits at once and sleeps without holding a lock, so many threads can wait at once,
    and a request that several windows count is recorded in each at the time it goes.
    Admissions are in order (none is placed before an earlier one), and a batch larger
    than the quota still gets through, once the window is empty.
    """

    __slots__ = ("_in_window", "_sent", "rate")  # one per calendar of the org: kept small

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._sent: list[tuple[float, int]] = []  # (when, requests), in time order
        self._in_window = 0

    def earliest(self, count: int, now: float, scale: float = 1.0) -> float:
        """The first time from `now` at which `count` more requests keep to the quota."""
        span, most = self.rate.per_s, max(1.0, self.rate.requests * scale)
        sent, total = self._sent, self._in_window
        at = max(now, sent[-1][0]) if sent else now
        gone = 0  # entries out of the window by `at` (or made so by moving `at` on)
        while gone < len(sent) and (sent[gone][0] <= at - span or total + count > most):
            when, requests = sent[gone]
            total -= requests
            at = max(at, when + span)
            gone += 1
        if gone:  # later admissions come no earlier than `at`: these never count again
            del sent[:gone]
            self._in_window = total
        return at

    def add(self, count: int, at: float) -> None:
        """Record `count` requests sent at `at` (no earlier than `earliest` said)."""
        self._sent.append((at, count))
        self._in_window += count

    def idle(self, now: float) -> bool:
        """True when nothing admitted is left in the window: as good as a new one."""
        return not self._sent or self._sent[-1][0] <= now - self.rate.per_s


class Slowdown:
    """The fraction of the configured rates in force: AIMD on throttling."""

    def __init__(self, now: float) -> None:
        self._fraction = 1.0
        self._since = now  # last slow-down, or start
        self._slowed = False

    def fraction(self, now: float) -> float:
        if not self._slowed:
            return 1.0
        quiet_periods = int((now - self._since) // RECOVER_AFTER_S)
        return min(1.0, self._fraction + RECOVER_STEP * quiet_periods)

    def slow_down(self, now: float) -> bool:
        """Halve the fraction, unless it was halved less than a moment ago."""
        if self._slowed and now - self._since < SLOW_DOWN_EVERY_S:
            return False
        self._fraction = max(SLOWEST, self.fraction(now) / 2)
        self._since, self._slowed = now, True
        return True


class RequestLimits:
    """Admits a provider's requests within its `Quota`; thread-safe, one per source."""

    def __init__(
        self,
        quota: Quota,
        waits: Waits | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.quota = quota
        self.waits = waits or Waits()
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Condition()
        now = clock()
        self._slowdown = Slowdown(now)
        self._project = SlidingWindow(quota.project) if quota.project else None
        self._windows: dict[str, SlidingWindow] = {}
        self._in_flight: Counter[str] = Counter()
        self._paused: dict[str | None, tuple[float, int]] = {}  # key -> (until, thread)
        self._pruned_at = _PRUNE_AT

    def __getstate__(self) -> dict[str, Any]:
        clock, sleep = self._clock, self._sleep
        return {"quota": self.quota, "waits": self.waits, "clock": clock, "sleep": sleep}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    @property
    def slowdown(self) -> float:
        """The fraction of the configured rates now in force (1.0 until throttled)."""
        with self._lock:
            return self._slowdown.fraction(self._clock())

    def concurrent_per_key(self) -> int | None:
        """Requests one calendar or mailbox may have in flight now (None: no bound)."""
        with self._lock:
            return self._concurrency_bound(self._clock())

    def call(self, key: str | None, operation: Callable[[], T]) -> T:
        """Run one request about `key` once admitted; a throttled answer slows us down."""
        with self.admitted([key] if key else []):
            try:
                return operation()
            except ThrottledError as error:
                self.throttled(key, error.retry_after)
                raise

    @contextmanager
    def admitted(self, keys: Sequence[str]) -> Iterator[None]:
        """Hold while sending one request per key (a batch: many): waits for the rates,
        the pauses and the concurrency bound, and frees the slots afterwards."""
        counts = Counter(keys)
        self._wait_for_pauses(counts, max(1, len(keys)))
        self._take_slots(counts)
        try:
            yield
        finally:
            self._free_slots(counts)

    def throttled(self, key: str | None, retry_after: float | None) -> None:
        """The provider throttled a request about `key` (None: the provider as a whole)."""
        with self._lock:
            now = self._clock()
            self._slowdown.slow_down(now)
            if retry_after:
                until = now + retry_after
                if until > self._paused.get(key, (0.0, 0))[0]:
                    self._paused[key] = (until, threading.get_ident())

    def _wait_for_pauses(self, counts: Mapping[str, int], requests: int) -> None:
        while True:
            with self._lock:
                now = self._clock()
                pause = self._pause_left([None, *counts], now)
                if pause <= 0:
                    wait = self._reserve(counts, requests, now)
                    break
            self._wait(pause)
        if wait > 0:
            self._wait(wait)

    def _wait(self, seconds: float) -> None:
        self.waits.on_limits(seconds)
        self._sleep(seconds)

    def _pause_left(self, keys: Sequence[str | None], now: float) -> float:
        """How long the pauses of `keys` still hold, except for the thread throttled:
        it waits its Retry-After in the retry policy already."""
        me, left = threading.get_ident(), 0.0
        for key in keys:
            until, owner = self._paused.get(key, (0.0, 0))
            if until <= now:
                self._paused.pop(key, None)
            elif owner != me:
                left = max(left, until - now)
        return left

    def _reserve(self, counts: Mapping[str, int], requests: int, now: float) -> float:
        """Admit the requests in every window that counts them; seconds to wait."""
        scale = self._slowdown.fraction(now)
        windows = [(self._project, requests)] if self._project else []
        if self.quota.per_key:
            self._prune(now)  # first: a window made below is empty, and must stay
            windows += [(self._window(key), count) for key, count in counts.items()]
        at = max((window.earliest(count, now, scale) for window, count in windows), default=now)
        for window, count in windows:
            window.add(count, at)
        return at - now

    def _window(self, key: str) -> SlidingWindow:
        found = self._windows.get(key)
        if found is None:
            assert self.quota.per_key is not None
            found = self._windows[key] = SlidingWindow(self.quota.per_key)
        return found

    def _prune(self, now: float) -> None:
        """Forget idle windows once the table is large (one per calendar of the org)."""
        if len(self._windows) < self._pruned_at:
            return
        for key in [k for k, window in self._windows.items() if window.idle(now)]:
            del self._windows[key]
        self._pruned_at = max(_PRUNE_AT, 2 * len(self._windows))

    def _concurrency_bound(self, now: float) -> int | None:
        bound = self.quota.concurrent_per_key
        if bound is None:
            return None
        return max(1, int(bound * self._slowdown.fraction(now)))

    def _take_slots(self, counts: Mapping[str, int]) -> None:
        """Take every slot at once (never some while waiting for others: no deadlock).
        A batch asking more than the bound for one key waits until that key is idle."""
        if self.quota.concurrent_per_key is None:
            return
        with self._lock:
            if not self._slots_free(counts):
                started = self._clock()
                while not self._slots_free(counts):
                    self._lock.wait()
                self.waits.on_limits(self._clock() - started)
            self._in_flight.update(counts)

    def _slots_free(self, counts: Mapping[str, int]) -> bool:
        bound = self._concurrency_bound(self._clock()) or 0
        return all(
            self._in_flight[key] == 0 or self._in_flight[key] + count <= bound
            for key, count in counts.items()
        )

    def _free_slots(self, counts: Mapping[str, int]) -> None:
        if self.quota.concurrent_per_key is None:
            return
        with self._lock:
            self._in_flight.subtract(counts)
            for key in counts:
                if self._in_flight[key] <= 0:
                    del self._in_flight[key]
            self._lock.notify_all()
