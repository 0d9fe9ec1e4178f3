"""How fast the sandbox starts and serves, and how much memory it holds, by org size.

For each `--people` size: starts the sandbox in a process of its own (as `oneonone
sandbox` runs it) and times it until it serves; then a thin client (httpx, no
connector: it only counts events) reads a sample of calendars four ways — Google
`events.list`, Google batch (50 calendars per request), Graph `calendarView/delta`
and Graph `$batch` (20 mailboxes per request) — each calendar in full with its last
page's sync token or delta link, then replays those cursors once (nothing changed:
the incremental round). Printed per way: requests, events, and events per second of
the sandbox process's own CPU time (robust on a busy machine) and of wall time.
With `--all`, every calendar of the org is then served once (through the batch
endpoints) before the sandbox's resident memory is read.

Run: `uv run python benchmarks/sandbox_benchmark.py --people 1000 10000 100000 --all`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import orjson

from connectors.google.calendar import FIELDS
from connectors.sandbox.app import RemoteServer, Sandbox, start_sandbox

GOOGLE_BATCH, GRAPH_BATCH = 50, 20
SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
PREFER = 'odata.maxpagesize=1000, outlook.timezone="UTC"'
PREFERS = {"Prefer": PREFER}


@dataclass
class Tally:
    """What one way of reading did."""

    requests: int = 0
    events: int = 0
    cpu: float = 0.0  # seconds of the sandbox process
    wall: float = 0.0


def sandbox_cpu(pid: int) -> float:
    """User + system CPU seconds the process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # clock ticks (100 per second)


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of the process, in MiB."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


class Client:
    """A thin HTTPS client of one running sandbox: tokens, and raw calendar reads."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        self.root = box.server.root
        self.http = httpx.Client(verify=str(box.http.ca_bundle), timeout=600)
        key = json.loads(Path(box.google.service_account_file).read_text())
        self._google_key, self._google_email = key["private_key"], key["client_email"]
        self._tokens: dict[str, str] = {}
        start = datetime.combine(box.org.history_start, clock(), tzinfo=UTC)
        self.window = (
            start,
            datetime.combine(box.org.anchor, clock(), tzinfo=UTC) + timedelta(weeks=5),
        )
        self.graph_token = self._graph_token()

    def google_token(self, subject: str) -> str:
        """An access token impersonating `subject` (one token request per subject)."""
        if subject not in self._tokens:
            now = int(time.time())
            claims = {
                "iss": self._google_email,
                "sub": subject,
                "scope": SCOPE,
                "aud": self.root + "google/token",
                "iat": now,
                "exp": now + 3600,
            }
            assertion = jwt.encode(claims, self._google_key, algorithm="RS256")
            grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
            reply = self.http.post(
                self.root + "google/token", data={"grant_type": grant, "assertion": assertion}
            )
            self._tokens[subject] = reply.raise_for_status().json()["access_token"]
        return self._tokens[subject]

    def _graph_token(self) -> str:
        ms = self.box.microsoft
        assert ms.client_secret is not None
        url = f"{self.root}{ms.tenant_id}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": ms.client_id,
            "client_secret": ms.client_secret.reveal(),
            "scope": "https://graph.microsoft.com/.default",
        }
        return str(self.http.post(url, data=form).raise_for_status().json()["access_token"])

    def events_path(self, email: str, cursor: str | None) -> str:
        """Google events.list of `email`: a full read, or the replay of a sync token."""
        query = f"showDeleted=true&maxResults=2500&fields={quote(FIELDS)}"
        if cursor is None:
            start, end = (quote(t.isoformat()) for t in self.window)
            query += f"&timeMin={start}&timeMax={end}"
        else:
            query += f"&syncToken={quote(cursor)}"
        return f"/calendar/v3/calendars/{quote(email)}/events?{query}"

    def delta_path(self, email: str) -> str:
        """Graph calendarView/delta of `email` over the window."""
        start, end = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in self.window)
        return f"/users/{email}/calendarView/delta?startDateTime={start}&endDateTime={end}"


def google_list(client: Client, email: str, cursor: str | None, tally: Tally) -> str:
    """Read one calendar through events.list, every page; returns the next sync token."""
    path, page = client.events_path(email, cursor), None
    headers = {"Authorization": "Bearer " + client.google_token(email)}
    while True:
        url = client.root.rstrip("/") + path + (f"&pageToken={quote(page)}" if page else "")
        body = orjson.loads(client.http.get(url, headers=headers).raise_for_status().content)
        tally.requests += 1
        tally.events += len(body.get("items", []))
        page = body.get("nextPageToken")
        if page is None:
            return str(body["nextSyncToken"])


def google_batch(
    client: Client, jobs: list[tuple[str, str | None]], tally: Tally
) -> list[tuple[str, str]]:
    """Read calendars `GOOGLE_BATCH` to a batch (first pages: 2,500 events each)."""
    done = []
    for chunk in _chunks(jobs, GOOGLE_BATCH):
        boundary = "bench_boundary"
        parts = []
        for n, (email, cursor) in enumerate(chunk):
            token = client.google_token(email)
            request = f"GET {client.events_path(email, cursor)} HTTP/1.1\r\n"
            request += f"Authorization: Bearer {token}\r\n\r\n"
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <{n}>\r\n\r\n"
                + request
            )
        body = "".join(parts) + f"--{boundary}--\r\n"
        reply = client.http.post(
            client.root + "batch/calendar/v3",
            content=body.encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        ).raise_for_status()
        tally.requests += 1
        answers = [_json_part(part) for part in _split_multipart(reply)]
        for (email, _), answer in zip(chunk, answers, strict=True):
            tally.events += len(answer.get("items", []))
            done.append((email, str(answer.get("nextSyncToken"))))
    return done


def _split_multipart(reply: httpx.Response) -> list[bytes]:
    boundary = reply.headers["content-type"].split("boundary=")[1].encode()
    return [p for p in reply.content.split(b"--" + boundary) if b"{" in p]


def _json_part(part: bytes) -> Any:
    return orjson.loads(part[part.index(b"{") : part.rindex(b"}") + 1])


def graph_delta(client: Client, email: str, link: str | None, tally: Tally) -> str:
    """Read one mailbox through calendarView/delta, every page; returns the deltaLink."""
    url = link or client.root + "graph/v1.0" + client.delta_path(email)
    headers = {"Authorization": "Bearer " + client.graph_token, "Prefer": PREFER}
    while True:
        body = orjson.loads(client.http.get(url, headers=headers).raise_for_status().content)
        tally.requests += 1
        tally.events += len(body.get("value", []))
        if "@odata.deltaLink" in body:
            return str(body["@odata.deltaLink"])
        url = body["@odata.nextLink"]


def graph_batch(
    client: Client, jobs: list[tuple[str, str | None]], tally: Tally
) -> list[tuple[str, str]]:
    """Read mailboxes `GRAPH_BATCH` to a `$batch`, following each one's nextLinks."""
    graph = client.root + "graph/v1.0"
    pending = [(email, (link or graph + client.delta_path(email))) for email, link in jobs]
    done = []
    while pending:
        chunk, pending = pending[:GRAPH_BATCH], pending[GRAPH_BATCH:]
        inner = [
            {"id": str(n), "method": "GET", "url": url.removeprefix(graph), "headers": PREFERS}
            for n, (_, url) in enumerate(chunk)
        ]
        reply = client.http.post(
            graph + "/$batch",
            json={"requests": inner},
            headers={"Authorization": "Bearer " + client.graph_token, "Prefer": PREFER},
        ).raise_for_status()
        tally.requests += 1
        answers = {r["id"]: r["body"] for r in reply.json()["responses"]}
        for n, (email, _) in enumerate(chunk):
            body = answers[str(n)]
            tally.events += len(body.get("value", []))
            if "@odata.deltaLink" in body:
                done.append((email, str(body["@odata.deltaLink"])))
            else:
                pending.append((email, body["@odata.nextLink"]))
    return done


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def measured(pid: int, tally: Tally, run: Callable[[], Any]) -> Any:
    """Run `run`, adding the sandbox's CPU time and the wall time to `tally`."""
    cpu, wall = sandbox_cpu(pid), time.perf_counter()
    result = run()
    tally.cpu += sandbox_cpu(pid) - cpu
    tally.wall += time.perf_counter() - wall
    return result


def read_sample(client: Client, pid: int, sample: dict[str, list[str]]) -> dict[str, Tally]:
    """Each way of reading over the sample, in full and then incrementally."""
    google, microsoft = sample["google"], sample["microsoft"]
    for email in google:
        client.google_token(email)  # token requests are not what is measured
    tallies: dict[str, Tally] = {}

    def one_by_one(name: str, read: Callable[[str, str | None, Tally], str], who: list[str]):
        full, again = Tally(), Tally()
        tallies[name + " full"], tallies[name + " incremental"] = full, again
        cursors = measured(pid, full, lambda: [(e, read(e, None, full)) for e in who])
        measured(pid, again, lambda: [read(e, c, again) for e, c in cursors])

    def batched(name: str, read: Callable[..., list[tuple[str, str]]], who: list[str]):
        full, again = Tally(), Tally()
        tallies[name + " full"], tallies[name + " incremental"] = full, again
        cursors = measured(pid, full, lambda: read(client, [(e, None) for e in who], full))
        measured(pid, again, lambda: read(client, cursors, again))

    one_by_one("google events.list", lambda e, c, t: google_list(client, e, c, t), google)
    batched("google batch", google_batch, google)
    one_by_one("graph delta", lambda e, c, t: graph_delta(client, e, c, t), microsoft)
    batched("graph $batch", graph_batch, microsoft)
    return tallies


def serve_everything(client: Client, people: Sequence[tuple[str, str]]) -> Tally:
    """Every active calendar once, through the batch endpoints."""
    tally = Tally()
    google: list[tuple[str, str | None]] = [(e, None) for e, p in people if p == "google"]
    microsoft: list[tuple[str, str | None]] = [(e, None) for e, p in people if p == "microsoft"]
    google_batch(client, google, tally)
    graph_batch(client, microsoft, tally)
    return tally


def bench(size: int, args: argparse.Namespace, state: Path) -> None:
    """Start, sample, (serve everything), and print one size's figures."""
    started = time.perf_counter()
    box = start_sandbox(state, seed=args.seed, size=size, background=args.background, process=True)
    start_seconds = time.perf_counter() - started
    with box:
        assert isinstance(box.server, RemoteServer) and box.server.pid is not None
        pid = box.server.pid
        rss, _ = memory_mb(pid)
        print(f"\n{size:,} people ({args.background} background)")
        print(f"  start: serving after {start_seconds:.1f} s, RSS {rss:,.0f} MiB")
        active = [(p.email, p.provider) for p in box.org.people if p.active]
        rng = random.Random(args.seed)
        sample = {
            provider: rng.sample(
                [e for e, p in active if p == provider],
                min(args.sample, sum(p == provider for _, p in active)),
            )
            for provider in ("google", "microsoft")
        }
        client = Client(box)
        for name, tally in read_sample(client, pid, sample).items():
            cpu, wall = max(tally.cpu, 0.01), max(tally.wall, 1e-3)
            print(
                f"  {name:28} {tally.requests:5,} requests {tally.events:8,} events | per "
                f"sandbox CPU s: {tally.requests / cpu:7,.0f} req {tally.events / cpu:8,.0f} "
                f"events | per wall s: {tally.requests / wall:6,.0f} req "
                f"{tally.events / wall:7,.0f} events"
            )
        if args.all:
            whole = Tally()
            measured(pid, whole, lambda: serve_everything(client, active))
            rss, peak = memory_mb(pid)
            print(
                f"  every calendar once: {whole.requests:,} requests, {whole.events:,} events"
                f" in {whole.wall:.0f} s ({whole.events / max(whole.cpu, 0.01):,.0f} events/s"
                f" of sandbox CPU); sandbox RSS {rss:,.0f} MiB, peak {peak:,.0f} MiB"
            )
        else:
            rss, peak = memory_mb(pid)
            print(f"  sandbox RSS after the sample {rss:,.0f} MiB, peak {peak:,.0f} MiB")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--background", choices=("normal", "full"), default="normal")
    parser.add_argument("--sample", type=int, default=100, help="calendars per provider")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--all", action="store_true", help="then serve every calendar once")
    args = parser.parse_args(argv)
    print(f"sandbox benchmark: {' '.join(sys.argv)}")
    for size in args.people:
        with tempfile.TemporaryDirectory(prefix="oneonone-sandbox-bench-") as state:
            bench(size, args, Path(state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
