"""How long reading Google Meet attendance takes, by org size.

For each `--people` size: starts the sandbox in a process of its own (as `oneonone
sandbox` runs it), then reads the Meet audit log with `GoogleMeetSource` (the real
google-api-python-client, 1,000 activities a page) twice over the whole history (the
first read also makes the sandbox build its activities) and once over the last 8 days
(a weekly run with a day of overlap). Printed per read: presences kept, requests and
wall seconds.

Run: `uv run python benchmarks/meet_benchmark.py --people 200 1000`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from connectors.google.meet import GoogleMeetSource
from connectors.sandbox.app import start_sandbox
from connectors.sandbox.builder import utc_midnight

ANCHOR = date(2025, 3, 10)


def measure(people: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sandbox = start_sandbox(Path(folder), size=people, anchor=ANCHOR, process=True)
        try:
            roster = frozenset(m.email for m in sandbox.org.people if m.active)
            source = GoogleMeetSource(sandbox.google, sandbox.http, roster)
            until = utc_midnight(ANCHOR)
            since = utc_midnight(sandbox.org.history_start)
            reads = [
                ("history, first read", since),
                ("history, again", since),
                ("last 8 days", until - timedelta(days=8)),
            ]
            for name, start in reads:
                began = time.perf_counter()
                batch = source.read_calls(start, until)
                seconds = time.perf_counter() - began
                print(
                    f"{people:>6} people  {name:<20} {len(batch.presences):>7} presences"
                    f"  {batch.requests:>4} requests  {seconds:6.2f} s"
                )
        finally:
            sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[200, 1000])
    for people in parser.parse_args().people:
        measure(people)


if __name__ == "__main__":
    main()
