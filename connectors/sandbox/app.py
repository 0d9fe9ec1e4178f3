"""Start the whole sandbox: generate the org, serve both providers, hand out settings.

The server runs in this process by default (tests mutate the org between syncs). With
`process=True` it runs in a child process of its own, which regenerates the same org
from the same arguments (generation is deterministic): the connectors and the
sandbox then no longer share one GIL, which is what benchmarks want. The child's
org is its own copy, so mutations made here do not reach it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from connectors.sandbox.google_api import google_routes, write_service_account_key
from connectors.sandbox.google_client import write_installed_client
from connectors.sandbox.google_state import workspace_admin
from connectors.sandbox.graph_api import PUBLIC_CLIENT_ID, graph_routes
from connectors.sandbox.ics_export import ics_routes
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import Fault, SandboxHTTPServer, serve
from connectors.sandbox.tls import TlsFiles
from connectors.settings import (
    GoogleSettings,
    GoogleSignIn,
    HttpSettings,
    MicrosoftSettings,
    MicrosoftSignIn,
    Secret,
)

TENANT_ID = "0b1e5a4d-5a4d-4b1e-9e11-5a4db0c5a4d0"
CLIENT_ID = "6f1c0a11-0e0e-4a11-b0b0-00000000a11c"


class RemoteServer:
    """This process's handle on a sandbox server running in a child process."""

    def __init__(self, process: BaseProcess, conn: Connection, root: str, tls: TlsFiles) -> None:
        self._process = process
        self._conn = conn
        self.root = root
        self.tls = tls

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the child served so far."""
        found: list[tuple[str, str]] = self._ask("requests")
        return found

    @property
    def inner_requests(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = self._ask("inner_requests")
        return found

    @property
    def pid(self) -> int | None:
        """The child process's id (benchmarks read its memory)."""
        return self._process.pid

    def mutate(self, change: Callable[..., Any], *args: Any) -> Any:
        """Run `change(org, *args)` on the child's organisation (an importable function,
        e.g. from connectors.sandbox.mutations); its result comes back."""
        return self._ask("mutate", (change, args))

    def add_fault(self, fault: Fault) -> None:
        self._ask("fault", fault)

    def stop(self) -> None:
        if self._process.is_alive():
            self._ask("stop")
        self._process.join(timeout=10)
        self._conn.close()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()


@dataclass
class Sandbox:
    """A running sandbox: its organisation, its server and the settings that reach it."""

    org: SandboxOrg
    server: SandboxHTTPServer | RemoteServer
    google: GoogleSettings
    microsoft: MicrosoftSettings
    http: HttpSettings
    google_signin: GoogleSignIn  # a person's own sign-in (an installed-app client)

    @property
    def microsoft_signin(self) -> MicrosoftSignIn:
        """The sandbox tenant's public client app, for `oneonone login microsoft`."""
        root = self.server.root
        return MicrosoftSignIn(
            PUBLIC_CLIENT_ID, authority=root + "{tenant}", graph_endpoint=root + "graph/v1.0"
        )

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
    process: bool = False,
) -> Sandbox:
    """Generate (or take) an org and serve it over HTTPS on 127.0.0.1.

    `process=True` serves it from a child process (see the module docstring).
    """
    anchor = anchor or datetime.now(UTC).date()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(24)
    if process:
        return _start_child(state_dir, (seed, size, anchor, background), port, org, secret)
    org = org or generate_org(seed=seed, size=size, anchor=anchor, background=background)
    server = _serve_org(org, state_dir, port, secret)
    return _sandbox(org, server, state_dir, secret)


def _serve_org(org: SandboxOrg, state_dir: Path, port: int, secret: str) -> SandboxHTTPServer:
    # The key names the token endpoint, whose port is known only once the server listens.
    server = serve([], state_dir, port)
    public_key = write_service_account_key(_key_file(state_dir), server.root + "google/token")
    client = write_installed_client(_client_file(state_dir), server.root)
    server.add_routes(google_routes(org, public_key, client))
    server.add_routes(graph_routes(org, TENANT_ID, CLIENT_ID, secret))
    server.add_routes(ics_routes(org))
    return server


def tune_collector() -> None:
    """Tune the cyclic collector of a process that serves a sandbox and nothing else.

    Calendars are generated per request: many short-lived objects and no cycles, next
    to hundreds of thousands of long-lived people and cached meetings that every full
    collection would walk again. Freezing what exists and collecting far less often
    roughly halves the time a calendar takes to serve.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


def _key_file(state_dir: Path) -> Path:
    return state_dir / "google-service-account.json"


def _client_file(state_dir: Path) -> Path:
    return state_dir / "google-oauth-client.json"


def _sandbox(
    org: SandboxOrg, server: SandboxHTTPServer | RemoteServer, state_dir: Path, secret: str
) -> Sandbox:
    admin = workspace_admin(org)
    return Sandbox(
        org=org,
        server=server,
        google=GoogleSettings(_key_file(state_dir), admin_subject=admin, api_endpoint=server.root),
        microsoft=MicrosoftSettings(
            tenant_id=TENANT_ID,
            client_id=CLIENT_ID,
            client_secret=Secret(secret),
            authority=server.root + "{tenant}",
            graph_endpoint=server.root + "graph/v1.0",
        ),
        http=HttpSettings(ca_bundle=server.tls.ca_file),
        google_signin=GoogleSignIn(_client_file(state_dir), api_endpoint=server.root),
    )


OrgArgs = tuple[int, int, date, str]  # seed, size, anchor, background


def _start_child(
    state_dir: Path, args: OrgArgs, port: int, org: SandboxOrg | None, secret: str
) -> Sandbox:
    context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_child_main, args=(theirs, state_dir, args, port, org, secret), daemon=True
    )
    child.start()
    theirs.close()
    # Generate our copy while the child generates its own.
    org = org or generate_org(seed=args[0], size=args[1], anchor=args[2], background=args[3])
    root, tls, _pid = ours.recv()
    return _sandbox(org, RemoteServer(child, ours, root, tls), state_dir, secret)


def _child_main(
    conn: Connection,
    state_dir: Path,
    args: OrgArgs,
    port: int,
    org: SandboxOrg | None,
    secret: str,
) -> None:
    """The child process: serve the org, answer the parent's commands until "stop"."""
    org = org or generate_org(seed=args[0], size=args[1], anchor=args[2], background=args[3])
    server = _serve_org(org, state_dir, port, secret)
    tune_collector()
    conn.send((server.root, server.tls, os.getpid()))
    while True:
        command, argument = conn.recv()
        if command == "stop":
            server.stop()
            conn.send(None)
            return
        if command == "fault":
            server.add_fault(argument)
            conn.send(None)
        elif command == "mutate":
            change, change_args = argument
            conn.send(change(org, *change_args))
        else:
            conn.send(list(getattr(server, command)))
