"""Google transports: one TLS context per CA file and process, still verifying; one
Calendar resource per source, its requests sent over each thread's own transport."""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from google_org import BOSS, GoogleWorld

from connectors.google.client import make_transport
from connectors.google.clients import ThreadClients

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


def test_threads_share_one_resource_and_send_over_their_own_transports(
    world: GoogleWorld,
) -> None:
    clients = ThreadClients(world.http, world.server.root + "calendar/v3/")
    try:
        both_started = threading.Barrier(2, timeout=30)

        def on_a_thread(_: int) -> tuple[object, object]:
            both_started.wait()  # two threads, each with a task of its own
            return clients.events(), clients.transport()

        with ThreadPoolExecutor(2) as pool:
            pairs = list(pool.map(on_a_thread, range(2)))
        assert len({id(events) for events, _ in pairs}) == 1
        assert len({id(transport) for _, transport in pairs}) == 2  # one per thread
        request = clients.events().list(calendarId=BOSS)
        with pytest.raises(RuntimeError, match="without its own http"):
            request.execute()
        response, _ = clients.transport().request(request.uri)
        assert response.status == 401  # reached over the thread's transport; no token sent
    finally:
        clients.close()
