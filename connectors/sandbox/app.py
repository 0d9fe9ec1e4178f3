"""Start the whole sandbox: generate the org, serve both providers, hand out settings."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from connectors.sandbox.google_api import google_routes, write_service_account_key
from connectors.sandbox.graph_api import graph_routes
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import SandboxHTTPServer, serve
from connectors.settings import GoogleSettings, HttpSettings, MicrosoftSettings, Secret

TENANT_ID = "0b1e5a4d-5a4d-4b1e-9e11-5a4db0c5a4d0"
CLIENT_ID = "6f1c0a11-0e0e-4a11-b0b0-00000000a11c"


@dataclass
class Sandbox:
    """A running sandbox: its organisation, its server and the settings that reach it."""

    org: SandboxOrg
    server: SandboxHTTPServer
    google: GoogleSettings
    microsoft: MicrosoftSettings
    http: HttpSettings

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    state_dir: Path,
    *,
    seed: int = 7,
    size: int = 200,
    anchor: date | None = None,
    background: str = "normal",
    port: int = 0,
    org: SandboxOrg | None = None,
) -> Sandbox:
    """Generate (or take) an org and serve it over HTTPS on 127.0.0.1."""
    org = org or generate_org(seed=seed, size=size, anchor=anchor, background=background)
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(24)
    key_file = state_dir / "google-service-account.json"
    # The key names the token endpoint, whose port is known only once the server listens.
    server = serve([], state_dir, port)
    public_key = write_service_account_key(key_file, server.root + "google/token")
    server.add_routes(google_routes(org, public_key))
    server.add_routes(graph_routes(org, TENANT_ID, CLIENT_ID, secret))
    admin = next(p.email for p in org.people if p.provider == "google" and p.active)
    return Sandbox(
        org=org,
        server=server,
        google=GoogleSettings(key_file, admin_subject=admin, api_endpoint=server.root),
        microsoft=MicrosoftSettings(
            tenant_id=TENANT_ID,
            client_id=CLIENT_ID,
            client_secret=Secret(secret),
            authority=server.root + "{tenant}",
            graph_endpoint=server.root + "graph/v1.0",
        ),
        http=HttpSettings(ca_bundle=server.tls.ca_file),
    )
