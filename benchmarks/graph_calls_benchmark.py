"""Seconds and requests of a Teams attendance read through Graph callRecords.

Generates a sandbox org of `--people` people, serves its Microsoft side on 127.0.0.1
and reads the call records of the last `--days` days (at most 30: Graph keeps no
more) with `MicrosoftCallSource`: one list of records by start, one GET per record
with its sessions expanded, the tenant's user list once. Prints the records read,
the presences kept, the HTTP requests and the seconds (after a first read of an empty
day, which fetches the token and lets the sandbox build its call plan).

Run: `uv run python benchmarks/graph_calls_benchmark.py --people 1000 --days 7`
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from connectors.microsoft.calls import MicrosoftCallSource
from connectors.sandbox.builder import utc_midnight
from connectors.sandbox.graph_api import GraphSandbox, authority_for, graph_endpoint_for
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import serve
from connectors.settings import HttpSettings, MicrosoftSettings, Secret

TENANT, CLIENT, SECRET = "bench-tenant", "bench-client", "bench~secret"
ANCHOR = date(2026, 3, 18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    org = generate_org(seed=7, size=args.people, anchor=ANCHOR, background="none")
    meetings = len(org.instances)  # materialises the calendars before timing the read
    seconds = time.perf_counter() - started
    print(f"org of {len(org.people)} people, {meetings} instances, generated in {seconds:.1f} s")
    sandbox = GraphSandbox(org, TENANT, CLIENT, SECRET)
    with tempfile.TemporaryDirectory() as state:
        server = serve(sandbox.routes(), Path(state))
        try:
            settings = MicrosoftSettings(
                tenant_id=TENANT,
                client_id=CLIENT,
                client_secret=Secret(SECRET),
                authority=authority_for(server.root),
                graph_endpoint=graph_endpoint_for(server.root),
            )
            http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=30)
            roster = frozenset(m.email.lower() for m in org.people)
            source = MicrosoftCallSource(settings, http, roster)
            until = utc_midnight(ANCHOR)
            since = until - timedelta(days=args.days)
            # A read of a day with no calls: the token, and the sandbox's call plan built.
            source.read_calls(until, until + timedelta(days=1))
            started = time.perf_counter()
            batch = source.read_calls(since, until)
            seconds = time.perf_counter() - started
            source.close()
        finally:
            server.stop()
    records = len({p.call_id for p in batch.presences})
    print(
        f"{args.days} days: {records} records with roster people, {len(batch.presences)} "
        f"presences, {batch.requests} requests, {seconds:.2f} s "
        f"(concurrency {http.max_concurrency})"
    )


if __name__ == "__main__":
    main()
