"""Cost of the request limits: admissions per second through one shared limiter.

Eight threads admit requests for `--mailboxes` distinct mailboxes (three requests
each, as a first sync of a small mailbox makes) through Graph's default limits
(4 in flight and 10,000 per 10 minutes per mailbox): no request has to wait, so the
figure is the limiter's own overhead. Then the same through Google's per-calendar
buckets with a project rate high enough not to wait. Prints admissions per second,
microseconds per admission and the per-key table left after pruning.

Run: `uv run python benchmarks/limits_benchmark.py --mailboxes 50000`.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from connectors.limits import Quota, RequestLimits
from connectors.settings import GoogleLimits, MicrosoftLimits

THREADS = 8
REQUESTS_PER_MAILBOX = 3


def admit_all(limits: RequestLimits, mailboxes: int) -> float:
    """Seconds to admit every request of every mailbox from THREADS threads."""
    keys = [f"person{n}@example.com" for n in range(mailboxes)]

    def work(part: int) -> None:
        for key in keys[part::THREADS]:
            for _ in range(REQUESTS_PER_MAILBOX):
                with limits.admitted([key]):
                    pass

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    return time.perf_counter() - started


def report(name: str, limits: RequestLimits, mailboxes: int) -> None:
    seconds = admit_all(limits, mailboxes)
    requests = mailboxes * REQUESTS_PER_MAILBOX
    print(
        f"{name}: {requests:,} admissions in {seconds:.2f} s = {requests / seconds:,.0f}/s,"
        f" {seconds / requests * 1e6:.1f} µs each; waited {limits.waits.limits_s:.2f} s;"
        f" {len(limits._windows):,} per-key windows kept"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=50_000)
    mailboxes = parser.parse_args().mailboxes
    print(f"python benchmarks/limits_benchmark.py --mailboxes {mailboxes} ({THREADS} threads)")
    report("graph defaults", RequestLimits(MicrosoftLimits().quota), mailboxes)
    google = GoogleLimits().quota
    unbounded_project = Quota(None, google.per_key, None)
    report("google per calendar", RequestLimits(unbounded_project), mailboxes)


if __name__ == "__main__":
    main()
