"""Fixtures of the Microsoft connector tests: the org of graph_org.py, served on 127.0.0.1.

One server per session (stopping one takes ~0.4 s); every test gets a fresh org, an
empty request log and no queued faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.microsoft.client import make_http_client
from connectors.sandbox.graph_api import (
    PUBLIC_CLIENT_ID,
    GraphSandbox,
    authority_for,
    graph_endpoint_for,
)
from connectors.sandbox.server import SandboxHTTPServer, serve
from connectors.settings import HttpSettings, MicrosoftSettings, MicrosoftSignIn, Secret

from .graph_org import CLIENT, SECRET, TENANT, GraphWorld, build_org


@pytest.fixture(scope="session")
def graph_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GraphSandbox, SandboxHTTPServer]]:
    sandbox = GraphSandbox(build_org(), TENANT, CLIENT, SECRET)
    server = serve(sandbox.routes(), Path(tmp_path_factory.mktemp("graph")))
    yield sandbox, server
    server.stop()


@pytest.fixture
def world(graph_server: tuple[GraphSandbox, SandboxHTTPServer]) -> Iterator[GraphWorld]:
    sandbox, server = graph_server
    org = build_org()
    sandbox.state.org = org
    server.requests.clear()
    server.faults.clear()
    sandbox.state.batch_faults.clear()
    sandbox.state.mailbox_limit.reset()
    settings = MicrosoftSettings(
        tenant_id=TENANT,
        client_id=CLIENT,
        client_secret=Secret(SECRET),
        authority=authority_for(server.root),
        graph_endpoint=graph_endpoint_for(server.root),
    )
    http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=10)
    client = make_http_client(http)
    yield GraphWorld(org, sandbox, server, settings, http, client, [])
    client.close()


@pytest.fixture
def signin(world: GraphWorld) -> MicrosoftSignIn:
    """The sandbox's public client app, nobody signed in, with the sign-in knobs as
    a test expects them: a one-second polling interval, codes valid 15 minutes,
    access tokens an hour."""
    world.sandbox.reset_sign_ins()
    root = world.server.root
    return MicrosoftSignIn(
        PUBLIC_CLIENT_ID, authority=authority_for(root), graph_endpoint=graph_endpoint_for(root)
    )
