"""Sync throughput of one provider's connector against the sandbox.

Starts the sandbox with "full" background calendars (about 25 meetings a week per
person) in a process of its own (`--in-process` to share this one, as the tests do),
syncs every active calendar of the provider in full (8 threads, like the flow),
then runs one incremental round over all of them with their cursors (through the
source's `sync_many` when it has one, e.g. Graph JSON $batch), and prints events read
per second, HTTP requests per calendar (token requests aside) and peak memory of the
connector's process and of the sandbox's.

Run: `uv run python benchmarks/sync_benchmark.py --provider google --people 1000`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from connectors.model import CalendarBatch, CalendarSource
from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.settings import SyncWindow
from core.errors import SourceError

THREADS = 8
_TOKEN_PATHS = ("/token", "/openid-configuration")


@dataclass
class Round:
    """What one round over every calendar did."""

    batches: list[CalendarBatch]
    failures: int
    seconds: float
    requests: int

    @property
    def events(self) -> int:
        return sum(batch.events_read for batch in self.batches)


def make_source(provider: str, sandbox: Sandbox, roster: frozenset[str]) -> CalendarSource:
    """The provider's connector, built the way `runtime/resources.py` builds it."""
    org = sandbox.org
    start = datetime.combine(org.history_start, clock(), tzinfo=UTC)
    end = datetime.combine(org.anchor, clock(), tzinfo=UTC) + timedelta(weeks=5)
    window = SyncWindow(start, end)
    if provider == "microsoft":
        from connectors.microsoft.calendar import MicrosoftCalendarSource

        return MicrosoftCalendarSource(sandbox.microsoft, sandbox.http, roster, window)
    from connectors.google.calendar import GoogleCalendarSource

    return GoogleCalendarSource(sandbox.google, sandbox.http, roster, window)


def api_requests(sandbox: Sandbox) -> int:
    """Requests the sandbox served so far, token and discovery requests aside."""
    return sum(1 for _, path in sandbox.server.requests if not path.endswith(_TOKEN_PATHS))


def timed_round(sandbox: Sandbox, run: Callable[[], list[CalendarBatch | SourceError]]) -> Round:
    """Run one round and count its time, its API requests and its failed calendars."""
    before, started = api_requests(sandbox), time.perf_counter()
    results = run()
    seconds = time.perf_counter() - started
    batches = [r for r in results if isinstance(r, CalendarBatch)]
    return Round(batches, len(results) - len(batches), seconds, api_requests(sandbox) - before)


def sync_each(
    source: CalendarSource, requests: Sequence[tuple[str, str | None]]
) -> list[CalendarBatch | SourceError]:
    """Every calendar through `sync_calendar`, `THREADS` at a time."""

    def one(request: tuple[str, str | None]) -> CalendarBatch | SourceError:
        try:
            return source.sync_calendar(*request)
        except SourceError as error:
            return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(one, requests))


def incremental(
    source: CalendarSource, requests: Sequence[tuple[str, str | None]]
) -> list[CalendarBatch | SourceError]:
    """The incremental round: the source's `sync_many` when it has one."""
    many: Any = getattr(source, "sync_many", None)
    return list(many(requests)) if many is not None else sync_each(source, requests)


def peak_memory_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size of this process, or of its finished children (KiB on Linux)."""
    return resource.getrusage(who).ru_maxrss / 1024


def report(people: int, calendars: int, full: Round, again: Round, in_process: bool) -> None:
    """Print the figures."""
    per = max(1, calendars)
    print(f"people {people}, calendars {calendars}")
    print(f"full sync: {full.events} raw events in {full.seconds:.2f} s", end=" ")
    print(f"= {full.events / max(full.seconds, 1e-9):,.0f} events/s, failures {full.failures}")
    print(f"full sync: {full.requests} requests = {full.requests / per:.2f} per calendar")
    print(f"incremental: {again.events} raw events in {again.seconds:.2f} s", end=" ")
    print(f"failures {again.failures}")
    print(f"incremental: {again.requests} requests = {again.requests / per:.3f} per calendar")
    if in_process:
        print(f"peak memory (max RSS, sandbox included): {peak_memory_mb():,.0f} MB")
        return
    print(f"peak memory (max RSS): connector {peak_memory_mb():,.0f} MB", end=", ")
    print(f"sandbox process {peak_memory_mb(resource.RUSAGE_CHILDREN):,.0f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=("microsoft", "google"), default="microsoft")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--in-process", action="store_true", help="serve from this process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oneonone-bench-") as state:
        full, again, people, calendars = run(args, Path(state))
    report(people, calendars, full, again, args.in_process)
    return 0


def run(args: argparse.Namespace, state: Path) -> tuple[Round, Round, int, int]:
    """Serve the org, run the full and the incremental round; the sandbox stops after."""
    box = start_sandbox(
        state, seed=args.seed, size=args.people, background="full", process=not args.in_process
    )
    with box:
        active = [p for p in box.org.people if p.active]
        roster = frozenset(p.email.lower() for p in active)
        mine = sorted(p.email.lower() for p in active if p.provider == args.provider)
        source = make_source(args.provider, box, roster)
        full = timed_round(box, lambda: sync_each(source, [(m, None) for m in mine]))
        cursors = [(b.calendar_email, b.cursor) for b in full.batches]
        again = timed_round(box, lambda: incremental(source, cursors))
        close: Any = getattr(source, "close", None)
        if close is not None:
            close()
    return full, again, len(box.org.people), len(mine)


if __name__ == "__main__":
    sys.exit(main())
