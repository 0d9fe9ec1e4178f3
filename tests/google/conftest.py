"""Fixtures of the Google connector tests: google_org.py's org served on 127.0.0.1 (also
with an installed-app client people sign in to), and meet_world.py's generated org with
its Meet activities."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google_org import BOSS, WINDOW_END, WINDOW_START, GoogleWorld, build_org
from meet_world import MeetWorld, start_meet_world
from signin_kit import SignInWorld, start_signin_world

from connectors.sandbox.google_api import TOKEN_PATH, google_routes, write_service_account_key
from connectors.sandbox.google_meet import release_late_activities
from connectors.sandbox.server import serve
from connectors.settings import GoogleSettings, HttpSettings, SyncWindow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[GoogleWorld]:
    org = build_org()
    server = serve([], tmp_path)
    key_file = tmp_path / "service-account.json"
    public_key = write_service_account_key(key_file, server.root + TOKEN_PATH.lstrip("/"))
    server.add_routes(google_routes(org, public_key))
    settings = GoogleSettings(key_file, admin_subject=BOSS, api_endpoint=server.root)
    http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=10)
    yield GoogleWorld(org, server, settings, http, SyncWindow(WINDOW_START, WINDOW_END))
    server.stop()


@pytest.fixture
def signin_world(tmp_path: Path) -> Iterator[SignInWorld]:
    """google_org.py's org, which people may sign in to with an installed-app client."""
    found = start_signin_world(tmp_path)
    yield found
    found.world.server.stop()


@pytest.fixture(scope="session")
def served_meet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeetWorld]:
    world = start_meet_world(tmp_path_factory.mktemp("meet"))
    yield world
    world.server.stop()


@pytest.fixture
def meet(served_meet: MeetWorld) -> Iterator[MeetWorld]:
    """The served Meet world, as started: no faults, no held activities, every scope."""
    served_meet.sleeps.clear()
    served_meet.server.requests.clear()
    yield served_meet
    served_meet.state.issuer.delegated = None
    served_meet.server.faults.clear()
    release_late_activities(served_meet.org)
