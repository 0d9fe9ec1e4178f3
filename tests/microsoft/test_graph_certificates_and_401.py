"""Certificate credentials through the real msal, and a token Graph refuses (401)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connectors.microsoft.auth import certificate_credential
from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.microsoft.directory import MicrosoftDirectoryRoster
from connectors.sandbox.graph_certs import make_client_certificate
from connectors.sandbox.server import Fault, Reply
from connectors.settings import Secret
from core.errors import AuthError

from .graph_org import BOSS, MIA, ROSTER, WINDOW, GraphWorld


@pytest.fixture(scope="module")
def certificate():  # type: ignore[no-untyped-def]
    return make_client_certificate()


def cert_source(world: GraphWorld, credential: dict[str, str]) -> MicrosoftCalendarSource:
    return MicrosoftCalendarSource(
        world.settings,
        world.http,
        ROSTER,
        WINDOW,
        client=world.client,
        client_certificate=credential,
    )


def test_certificate_with_sha1_thumbprint_gets_a_token(world: GraphWorld, certificate) -> None:  # type: ignore[no-untyped-def]
    world.sandbox.trust_certificate(certificate.certificate_pem)
    credential = certificate_credential(certificate.private_key_pem, certificate.thumbprint)

    batch = cert_source(world, credential).sync_calendar(BOSS, None)

    assert batch.cursor is not None and world.count("POST", "/oauth2/v2.0/token") == 1


def test_certificate_pem_with_its_certificate_signs_with_sha256(
    world: GraphWorld,
    certificate,  # type: ignore[no-untyped-def]
) -> None:
    world.sandbox.trust_certificate(certificate.certificate_pem)
    pem = certificate.private_key_pem + certificate.certificate_pem
    credential = certificate_credential(pem)
    roster = MicrosoftDirectoryRoster(
        world.settings, world.http, client=world.client, client_certificate=credential
    )

    assert MIA in {person.email for person in roster.people()}


def test_certificate_from_settings_alone_needs_no_secret(world: GraphWorld, certificate) -> None:  # type: ignore[no-untyped-def]
    world.sandbox.trust_certificate(certificate.certificate_pem)
    settings = replace(
        world.settings,
        client_secret=None,
        client_certificate=Secret(certificate.private_key_pem),
        client_certificate_thumbprint=certificate.thumbprint,
    )
    source = MicrosoftCalendarSource(settings, world.http, ROSTER, WINDOW, client=world.client)

    assert source.sync_calendar(BOSS, None).cursor is not None


def test_neither_secret_nor_certificate_is_a_clear_auth_error(world: GraphWorld) -> None:
    settings = replace(world.settings, client_secret=None)
    source = MicrosoftCalendarSource(settings, world.http, ROSTER, WINDOW, client=world.client)

    with pytest.raises(AuthError, match="no client secret or certificate"):
        source.sync_calendar(BOSS, None)


def test_unregistered_certificate_is_an_auth_error_without_the_key(world: GraphWorld) -> None:
    stranger = make_client_certificate("stranger")
    credential = certificate_credential(stranger.private_key_pem, stranger.thumbprint)

    with pytest.raises(AuthError) as caught:
        cert_source(world, credential).sync_calendar(BOSS, None)

    message = str(caught.value)
    assert "invalid_client" in message and "AADSTS700027" in message
    assert world.settings.tenant_id in message and world.settings.client_id in message
    assert "PRIVATE KEY" not in message and world.count("GET", "/calendarView/delta") == 0


def test_revoked_token_is_replaced_once_and_the_sync_goes_on(world: GraphWorld) -> None:
    source = world.source()
    source.sync_calendar(BOSS, None)
    world.sandbox.revoke_tokens()

    batch = source.sync_calendar(MIA, None)

    assert batch.cursor is not None and batch.requests == 2
    assert world.count("POST", "/oauth2/v2.0/token") == 2 and world.sleeps == []


def test_token_refused_twice_is_a_fatal_auth_error(world: GraphWorld) -> None:
    refused = Reply.json(
        {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}},
        401,
    )
    world.server.add_fault(Fault(r"/calendarView/delta$", refused, times=2))

    with pytest.raises(AuthError, match="401 InvalidAuthenticationToken for mailbox"):
        world.source().sync_calendar(BOSS, None)

    assert world.count("GET", "/calendarView/delta") == 2
    assert world.count("POST", "/oauth2/v2.0/token") == 2 and world.sleeps == []
