"""A generated org (40 people) served with its Google Meet activities, for the Meet tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from connectors.google.meet import GoogleMeetSource
from connectors.retry import RetryPolicy
from connectors.sandbox.google_api import GoogleApi, write_service_account_key
from connectors.sandbox.google_auth import TOKEN_PATH
from connectors.sandbox.google_state import GoogleState, workspace_admin
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import SandboxHTTPServer, serve
from connectors.settings import GoogleSettings, HttpSettings

ANCHOR = date(2025, 3, 10)
UNTIL = datetime(2025, 3, 10, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=28)
REPORTS = "/admin/reports/"


@dataclass
class MeetWorld:
    """The served org, its Google state (token issuer) and settings that reach it."""

    org: SandboxOrg
    state: GoogleState
    server: SandboxHTTPServer
    settings: GoogleSettings
    http: HttpSettings
    roster: frozenset[str]
    sleeps: list[float] = field(default_factory=list)

    def source(self, page_size: int = 1000, **settings: str) -> GoogleMeetSource:
        """A Meet source whose retries record their waits instead of sleeping."""
        retry = RetryPolicy(attempts=4, sleep=self.sleeps.append)
        chosen = replace(self.settings, **settings)  # type: ignore[arg-type]
        return GoogleMeetSource(chosen, self.http, self.roster, retry, page_size)

    def reports_requests(self) -> list[str]:
        return [path for _, path in self.server.requests if path.startswith(REPORTS)]


def start_meet_world(folder: Path) -> MeetWorld:
    org = generate_org(seed=11, size=40, anchor=ANCHOR)
    server = serve([], folder)
    key_file = folder / "service-account.json"
    public_key = write_service_account_key(key_file, server.root + TOKEN_PATH.lstrip("/"))
    state = GoogleState(org, public_key)
    server.add_routes(GoogleApi(state).routes())
    admin = workspace_admin(org)
    settings = GoogleSettings(key_file, admin_subject=admin, api_endpoint=server.root)
    http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=10)
    roster = frozenset(m.email for m in org.people if m.active)
    return MeetWorld(org, state, server, settings, http, roster)
