"""The providers' throttling, as the sandbox enforces it.

- Graph: at most `limit` (4) concurrent requests per mailbox; the next one is answered
  429 `ApplicationThrottled` with a Retry-After. The requests of one `$batch` run
  concurrently at Graph, so each counts against its mailbox while the batch is
  served, and a sub-request past the bound gets its own 429 inside the batch answer.
  On by default (`GraphState.mailbox_limit`); `hold_s` keeps each admitted request in
  flight a while longer, so that tests can make requests overlap for sure.
- Google: at most `requests` per `per_s` seconds per calendar (a sliding window),
  else 429 `rateLimitExceeded` with a Retry-After, inner requests of a batch included.
  Off unless a test wraps the routes with `UserRate.guard`.

Both count what they refuse (`throttled`) and the most they saw at once (`peak`).
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import unquote

from connectors.sandbox.server import Handler, Reply, Request, Route

_MAILBOX = re.compile(r"/users/([^/]+)/calendar")


def mailbox_of(path: str) -> str | None:
    """The mailbox a Graph calendar path reads (`/users/{id or upn}/calendar…`)."""
    found = _MAILBOX.search(path)
    return unquote(found.group(1)).lower() if found else None


def _graph_throttled(retry_after: str) -> Reply:
    # Imported here: graph_common imports this module for its default limit.
    from connectors.sandbox.graph_common import graph_error

    reply = graph_error(429, "ApplicationThrottled", "Application is over its request limit.")
    reply.headers["Retry-After"] = retry_after
    return reply


class MailboxConcurrency:
    """Graph's bound on concurrent requests per mailbox. Thread-safe."""

    def __init__(self, limit: int = 4, retry_after: str = "1", hold_s: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._inside = threading.local()  # set while a guarded request or batch is served
        self._in_flight: Counter[str] = Counter()
        self.reset(limit, retry_after, hold_s)

    def reset(self, limit: int = 4, retry_after: str = "1", hold_s: float = 0.0) -> None:
        """Set the bound, the Retry-After sent and the hold; forget the counts."""
        with self._lock:
            self.limit, self.retry_after, self.hold_s = limit, retry_after, hold_s
            self.throttled = 0
            self.peak: Counter[str] = Counter()

    @contextmanager
    def held(self, mailboxes: Sequence[str | None]) -> Iterator[list[Reply | None]]:
        """Admit one request per entry (None: not a mailbox request) while the block
        runs; yields a 429 for each refused entry, None for each admitted."""
        if getattr(self._inside, "active", False):  # an inner request of a batch held
            yield [None] * len(mailboxes)
            return
        admitted = self._admit(mailboxes)
        self._inside.active = True
        try:
            if self.hold_s and any(admitted):
                time.sleep(self.hold_s)
            yield [None if ok else _graph_throttled(self.retry_after) for ok in admitted]
        finally:
            self._inside.active = False
            self._release([m for m, ok in zip(mailboxes, admitted, strict=True) if ok and m])

    def guard(self, routes: list[Route]) -> list[Route]:
        """`routes` with each mailbox request admitted first."""
        return [(method, path, self._guarded(handler)) for method, path, handler in routes]

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Reply:
            with self.held([mailbox_of(request.path)]) as (refusal,):
                return refusal or handler(request)

        return guarded

    def _admit(self, mailboxes: Sequence[str | None]) -> list[bool]:
        admitted = []
        with self._lock:
            for mailbox in mailboxes:
                ok = mailbox is None or self._in_flight[mailbox] < self.limit
                if mailbox is not None and ok:
                    self._in_flight[mailbox] += 1
                    self.peak[mailbox] = max(self.peak[mailbox], self._in_flight[mailbox])
                self.throttled += not ok
                admitted.append(ok)
        return admitted

    def _release(self, mailboxes: list[str | None]) -> None:
        with self._lock:
            for mailbox in mailboxes:
                if mailbox is not None:
                    self._in_flight[mailbox] -= 1


class UserRate:
    """Google's per-user rate: `requests` per `per_s` seconds per calendar. Thread-safe."""

    def __init__(self, requests: int, per_s: float) -> None:
        self.requests = requests
        self.per_s = per_s
        self.throttled = 0
        self.peak: Counter[str] = Counter()  # most requests seen in one window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def guard(self, routes: list[Route], path: str) -> list[Route]:
        """`routes` with those matching `path` (its group 1: the calendar) rate-limited."""
        return [
            (method, pattern, self._guarded(handler) if pattern == path else handler)
            for method, pattern, handler in routes
        ]

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(request: Request) -> Reply:
            assert request.match is not None
            wait = self._admit(unquote(request.match.group(1)).lower(), time.monotonic())
            if wait is None:
                return handler(request)
            return _google_throttled(wait)

        return guarded

    def _admit(self, calendar: str, now: float) -> float | None:
        """None when admitted, else the seconds until the window has room."""
        with self._lock:
            seen = self._seen.setdefault(calendar, deque())
            while seen and seen[0] <= now - self.per_s:
                seen.popleft()
            if len(seen) >= self.requests:
                self.throttled += 1
                return seen[0] + self.per_s - now
            seen.append(now)
            self.peak[calendar] = max(self.peak[calendar], len(seen))
            return None


def _google_throttled(wait: float) -> Reply:
    from connectors.sandbox.google_state import google_error

    retry_after = {"Retry-After": f"{max(wait, 0.001):.3f}"}
    return google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", **retry_after)
