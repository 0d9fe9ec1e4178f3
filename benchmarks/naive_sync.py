"""The naive baseline: the calendar sync a user writes in an afternoon.

One calendar after another, each read in full on every run: Google Calendar through
google-api-python-client (`events.list` with `singleEvents=True` and `timeMin`/`timeMax`,
a client built per person, impersonating them), Microsoft 365 through Graph
`calendarView` over httpx with an msal client-credentials token. Default page sizes
(250 events for Google, 10 for Graph), no fields mask, no batching, no threads, no
retries, no cursors; nothing is stored, events are only counted.

It reads the configuration `oneonone` reads (`--config`): the same CSV roster, the same
endpoints and credentials (the service-account key, whose `token_uri` is honoured, and
the client secret), the CA bundle of `[http] ca_bundle`, and the same window as a full
`oneonone sync`: `sync.history_days` before today, `sync.horizon_days` after.

Against the sandbox, served in a process of its own:

    uv run oneonone sandbox --size 1000 --port 0 --directory /tmp/box   # keep it running
    source /tmp/box/secret.env
    uv run python benchmarks/naive_sync.py --config /tmp/box/oneonone.toml

It prints people, events, requests (API requests, token requests aside), seconds and
events/s, and ends with the same figures as one JSON line, for scripts that call it.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import google_auth_httplib2
import httplib2
import httpx
import msal
import requests
from google.oauth2 import service_account
from googleapiclient.discovery import build

from connectors.google.client import CALENDAR_SCOPE
from connectors.microsoft.auth import GRAPH_SCOPE
from connectors.microsoft.calendar import graph_instant
from connectors.model import Person
from connectors.roster import CsvRoster
from connectors.settings import MicrosoftSettings, SyncWindow
from runtime.config import Config, load_config, today_in
from runtime.resources import sync_window
from runtime.secrets import resolve_secret


@dataclass
class Tally:
    """What one provider's calendars gave."""

    calendars: int = 0
    events: int = 0
    requests: int = 0  # API requests; token requests aside


@dataclass
class Figures:
    """The run's figures, as printed and as the final JSON line."""

    people: int
    events: int
    requests: int
    seconds: float
    events_per_s: float
    by_provider: dict[str, Tally] = field(default_factory=dict)


class GoogleCalendars:
    """events.list, every page, with a client of its own per person (as the samples do)."""

    def __init__(self, config: Config, window: SyncWindow) -> None:
        key = config.google.service_account_file
        if key is None:
            raise SystemExit("the roster has Google people; google.service_account_file is unset")
        self._key = str(key)
        self._endpoint = config.google.api_endpoint + "calendar/v3/"
        self._ca = str(config.http.ca_bundle) if config.http.ca_bundle else None
        self._timeout = config.http.timeout_s
        self._window = window

    def count_events(self, email: str, tally: Tally) -> None:
        credentials = service_account.Credentials.from_service_account_file(
            self._key, scopes=[CALENDAR_SCOPE], subject=email
        )
        transport = httplib2.Http(ca_certs=self._ca, timeout=self._timeout)
        service = build(
            "calendar",
            "v3",
            http=google_auth_httplib2.AuthorizedHttp(credentials, http=transport),
            client_options={"api_endpoint": self._endpoint},
            static_discovery=True,
        )
        events = service.events()
        request = events.list(
            calendarId=email,
            singleEvents=True,
            timeMin=self._window.start.isoformat(),
            timeMax=self._window.end.isoformat(),
        )
        while request is not None:
            page = request.execute()
            tally.requests += 1
            tally.events += len(page.get("items", []))
            request = events.list_next(request, page)
        tally.calendars += 1


class GraphCalendars:
    """calendarView, every @odata.nextLink, with one msal app and one httpx client."""

    def __init__(self, config: Config, window: SyncWindow) -> None:
        section = config.microsoft
        if not (section.tenant_id and section.client_id and section.client_secret):
            raise SystemExit(
                "the roster has Microsoft people but microsoft.tenant_id, client_id and"
                " client_secret are not all set (this script signs in with a secret only)"
            )
        secret = resolve_secret(section.client_secret, "microsoft.client_secret")
        settings = MicrosoftSettings(
            section.tenant_id, section.client_id, secret, section.authority, section.graph_endpoint
        )
        ca = config.http.ca_bundle
        self._app = msal.ConfidentialClientApplication(
            settings.client_id,
            client_credential=secret.reveal(),
            authority=settings.authority_url,
            instance_discovery=False,  # not Microsoft's cloud: no call to login.microsoftonline.com
            http_client=_requests_trusting(ca),
        )
        verify = ssl.create_default_context()
        if ca:
            verify.load_verify_locations(cafile=str(ca))
        self._client = httpx.Client(verify=verify, timeout=config.http.timeout_s)
        self._endpoint = settings.graph_endpoint
        self._window = window

    def count_events(self, email: str, tally: Tally) -> None:
        url: str | None = f"{self._endpoint}/users/{quote(email)}/calendarView"
        params: dict[str, str] | None = {
            "startDateTime": graph_instant(self._window.start),
            "endDateTime": graph_instant(self._window.end),
        }
        while url is not None:
            reply = self._client.get(url, params=params, headers=self._authorization())
            reply.raise_for_status()
            page: dict[str, Any] = reply.json()
            tally.requests += 1
            tally.events += len(page.get("value", []))
            url, params = page.get("@odata.nextLink"), None  # the link carries the query
        tally.calendars += 1

    def _authorization(self) -> dict[str, str]:
        token = self._app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # msal caches it
        if "access_token" not in token:
            raise SystemExit(f"Microsoft sign-in failed: {token.get('error')}")
        return {"Authorization": f"Bearer {token['access_token']}"}

    def close(self) -> None:
        self._client.close()


def _requests_trusting(ca: Path | None) -> requests.Session:
    """The HTTP session msal signs in with, trusting `ca` when there is one.

    `REQUESTS_CA_BUNDLE` in the environment would override msal's `verify=`.
    """
    session = requests.Session()
    if ca is not None:
        session.verify = str(ca)
        session.trust_env = False
    return session


def sync_everyone(config: Config, people: Sequence[Person], window: SyncWindow) -> Figures:
    """Read every person's calendar, one after another; the figures of the run."""
    providers = sorted({person.provider for person in people})
    tallies: dict[str, Tally] = {provider: Tally() for provider in providers}
    started = time.perf_counter()
    google = GoogleCalendars(config, window) if "google" in tallies else None
    graph = GraphCalendars(config, window) if "microsoft" in tallies else None
    try:
        for person in people:
            reader = google if person.provider == "google" else graph
            assert reader is not None  # built above for every provider in the roster
            reader.count_events(person.email, tallies[person.provider])
    finally:
        if graph is not None:
            graph.close()
    seconds = time.perf_counter() - started
    events = sum(t.events for t in tallies.values())
    return Figures(
        people=len(people),
        events=events,
        requests=sum(t.requests for t in tallies.values()),
        seconds=round(seconds, 3),
        events_per_s=round(events / max(seconds, 1e-9), 1),
        by_provider=tallies,
    )


def report(figures: Figures) -> None:
    """The figures for a reader, then as one JSON line."""
    print(f"people {figures.people}, events {figures.events:,}, requests {figures.requests:,}")
    for provider, tally in figures.by_provider.items():
        print(
            f"  {provider}: {tally.calendars} calendars, {tally.events:,} events,"
            f" {tally.requests:,} requests"
        )
    print(f"{figures.seconds:.1f} s = {figures.events_per_s:,.0f} events/s")
    print(json.dumps(asdict(figures)))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the baseline; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True, help="the oneonone TOML file")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    if config.roster.source != "csv" or config.roster.path is None:
        raise SystemExit("this baseline reads a CSV roster: set roster.source = 'csv' and path")
    people = CsvRoster(config.roster.path).people()
    window = sync_window(config, today_in(config.org.timezone))
    report(sync_everyone(config, people, window))
    return 0


if __name__ == "__main__":
    sys.exit(main())
