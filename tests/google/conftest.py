"""Fixtures of the Google connector tests: google_org.py's org served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google_org import BOSS, WINDOW_END, WINDOW_START, GoogleWorld, build_org

from connectors.sandbox.google_api import TOKEN_PATH, google_routes, write_service_account_key
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
