"""Google transports: one TLS context per CA file and process, still verifying."""

from __future__ import annotations

import ssl
from dataclasses import replace

import pytest
from google_org import BOSS, GoogleWorld

from connectors.google.client import make_transport

LISTING = f"calendar/v3/calendars/{BOSS}/events"


def test_transports_share_one_verifying_tls_context(world: GoogleWorld) -> None:
    first, second = make_transport(world.http), make_transport(world.http)
    try:
        for transport in (first, second):
            response, _ = transport.request(world.server.root + LISTING)
            assert response.status == 401  # reached over TLS; no token sent
        connections = [*first.connections.values(), *second.connections.values()]
        assert len(connections) == 2
        assert len({id(conn._context) for conn in connections}) == 1
        shared = connections[0]._context
        assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
    finally:
        first.close()
        second.close()


def test_a_transport_without_the_servers_ca_still_refuses_it(world: GoogleWorld) -> None:
    transport = make_transport(replace(world.http, ca_bundle=None))
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            transport.request(world.server.root + LISTING)
    finally:
        transport.close()
