"""Tokens through the real msal, and how Graph failures reach the caller."""

from __future__ import annotations

import dataclasses

import pytest

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.retry import RetryPolicy
from connectors.sandbox.server import Fault, Reply
from connectors.settings import Secret
from core.errors import AuthError, FatalSourceError, RetriableError

from .graph_org import BOSS, GUS, MIA, ROSTER, SECRET, WINDOW, GraphWorld


def test_token_is_acquired_once_and_served_from_msal_cache(world: GraphWorld) -> None:
    source = world.source()
    source.sync_calendar(BOSS, None)
    source.sync_calendar(MIA, None)

    assert world.count("GET", "/v2.0/.well-known/openid-configuration") == 1
    assert world.count("POST", "/oauth2/v2.0/token") == 1


def test_wrong_secret_is_an_auth_error_that_never_shows_the_secret(world: GraphWorld) -> None:
    wrong = "Wr0ng~secret.value_99"
    settings = dataclasses.replace(world.settings, client_secret=Secret(wrong))
    source = MicrosoftCalendarSource(settings, world.http, ROSTER, WINDOW, client=world.client)

    with pytest.raises(AuthError) as caught:
        source.sync_calendar(BOSS, None)

    message = str(caught.value)
    assert "invalid_client" in message and "AADSTS7000215" in message
    assert world.settings.tenant_id in message and world.settings.client_id in message
    assert wrong not in message and SECRET not in message
    assert world.count("GET", "/calendarView/delta") == 0


def test_unknown_tenant_is_an_auth_error(world: GraphWorld) -> None:
    settings = dataclasses.replace(world.settings, tenant_id="no-such-tenant")
    source = MicrosoftCalendarSource(settings, world.http, ROSTER, WINDOW, client=world.client)

    with pytest.raises(AuthError, match="no-such-tenant"):
        source.sync_calendar(BOSS, None)


def test_throttling_is_retried_after_the_fractional_retry_after(world: GraphWorld) -> None:
    throttled = Reply.json(
        {"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
        429,
        **{"Retry-After": "0.25"},
    )
    world.server.add_fault(Fault(r"/calendarView/delta$", throttled, times=2))

    batch = world.source().sync_calendar(BOSS, None)

    assert world.sleeps == [0.25, 0.25]
    assert batch.requests == 3 and len(batch.observations) == 3


def test_server_errors_without_retry_after_back_off(world: GraphWorld) -> None:
    unavailable = Reply.json({"error": {"code": "serviceNotAvailable", "message": "x"}}, 503)
    world.server.add_fault(Fault(r"/calendarView/delta$", unavailable))

    batch = world.source().sync_calendar(MIA, None)

    assert world.sleeps == [0.5]  # base delay for the first retry (jitter at its ceiling)
    assert batch.cursor is not None


def test_dropped_connection_is_retried(world: GraphWorld) -> None:
    world.server.add_fault(Fault(r"/calendarView/delta$", Reply(drop=True)))

    batch = world.source().sync_calendar(MIA, None)

    assert len(world.sleeps) == 1 and batch.cursor is not None


def test_throttling_that_never_ends_surfaces_as_retriable(world: GraphWorld) -> None:
    throttled = Reply(429, b"{}", {"Retry-After": "1.5"})
    world.server.add_fault(Fault(r"/calendarView/delta$", throttled, times=10))
    retry = RetryPolicy(attempts=3, sleep=world.sleeps.append)
    source = MicrosoftCalendarSource(
        world.settings, world.http, ROSTER, WINDOW, retry, client=world.client
    )

    with pytest.raises(RetriableError) as caught:
        source.sync_calendar(BOSS, None)

    assert caught.value.retry_after == 1.5 and world.sleeps == [1.5, 1.5]


def test_mailbox_on_google_is_a_fatal_error_naming_it(world: GraphWorld) -> None:
    with pytest.raises(
        FatalSourceError, match=f"MailboxNotEnabledForRESTAPI for mailbox {GUS}"
    ) as caught:
        world.source().sync_calendar(GUS, None)

    assert not isinstance(caught.value, RetriableError) and world.sleeps == []


def test_unknown_user_is_a_fatal_error(world: GraphWorld) -> None:
    with pytest.raises(FatalSourceError, match=r"nobody@corp\.test"):
        world.source().sync_calendar("nobody@corp.test", None)


def test_forbidden_is_fatal_and_not_retried(world: GraphWorld) -> None:
    denied = Reply.json(
        {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}, 403
    )
    world.server.add_fault(Fault(r"/calendarView/delta$", denied))

    with pytest.raises(FatalSourceError, match="403 ErrorAccessDenied"):
        world.source().sync_calendar(MIA, None)
    assert world.sleeps == []


def test_ca_bundle_environment_variables_do_not_replace_the_configured_ca(
    world: GraphWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression guard: msal's default requests session lets these override `verify`.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")

    assert world.source().sync_calendar(BOSS, None).cursor is not None
