"""A manager's own Microsoft sign-in: the device-code flow through the real msal and
httpx against the sandbox's identity platform, and the tokens it leaves behind."""

from __future__ import annotations

import json
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from connectors.microsoft.delegated import (
    NOT_SIGNED_IN,
    SIGN_IN_AGAIN,
    DelegatedTokens,
    login,
)
from connectors.microsoft.self_mode import MicrosoftSelfRoster
from connectors.retry import RetryPolicy
from connectors.sandbox.graph_devicelogin import (
    expire_access_tokens,
    expire_sign_in_code,
    revoke_sign_ins,
)
from connectors.sandbox.server import Fault, Reply
from connectors.settings import MicrosoftSignIn
from core.errors import AuthError

from .graph_org import BOSS, CLIENT, MIA, TENANT, GraphWorld
from .signin_kit import INSTRUCTION, AtTheBrowser, sign_in, store_in, token_requests


def test_login_polls_until_the_person_signs_in_on_the_page(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    person = AtTheBrowser(world, MIA, delay_s=0.3)

    address = login(signin, world.http, store, person)
    person.join()

    assert address == MIA
    shown = INSTRUCTION.fullmatch(person.messages[0])
    assert shown is not None and shown["page"] == world.server.root + "devicelogin"
    assert [page.status_code for page in person.pages] == [200, 200]
    assert "name='otc'" in person.pages[0].text
    assert "You have signed in to the oneonone application" in person.pages[1].text
    assert token_requests(world) >= 2  # answered authorization_pending first
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    cache = json.loads(store.path.read_text())
    assert [a["username"] for a in cache["Account"].values()] == [MIA]
    assert len(cache["RefreshToken"]) == 1


@pytest.mark.parametrize("tenant", ["organizations", "common", TENANT])
def test_login_works_with_the_tenant_id_and_the_multi_tenant_aliases(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path, tenant: str
) -> None:
    address = sign_in(world, replace(signin, tenant_id=tenant), store_in(tmp_path), BOSS)

    assert address == BOSS
    assert world.count("GET", f"/{tenant}/v2.0/.well-known/openid-configuration") == 1
    assert world.count("POST", f"/{tenant}/oauth2/v2.0/token") == 1


def test_a_new_login_replaces_the_earlier_sign_in(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    sign_in(world, signin, store, BOSS)

    assert DelegatedTokens(signin, world.client, store).address == BOSS
    assert len(json.loads(store.path.read_text())["Account"]) == 1


def test_tokens_come_from_the_stored_sign_in_without_asking_anyone(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    asked = token_requests(world)

    tokens = DelegatedTokens(signin, world.client, store)
    first, second = tokens.token(), tokens.token()

    assert first == second and token_requests(world) == asked


def test_an_expired_access_token_is_renewed_with_the_refresh_token(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    roster = MicrosoftSelfRoster(signin, world.http, store, client=world.client)
    assert len(roster.people()) == 3
    kept, asked = store.load(), token_requests(world)

    assert expire_access_tokens(world.org) == 1
    people = roster.people()  # Graph answers 401, msal redeems the refresh token

    assert len(people) == 3 and token_requests(world) == asked + 1
    assert store.load() != kept  # the new tokens are kept for the next run
    fresh = DelegatedTokens(signin, world.client, store)
    assert fresh.token() == roster.tokens.token() and token_requests(world) == asked + 1


def test_short_lived_access_tokens_are_refreshed_silently(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    world.sandbox.state.grants.access_lifetime_s = 60  # msal renews within 5 minutes of expiry
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    asked = token_requests(world)

    tokens = DelegatedTokens(signin, world.client, store)
    first, second = tokens.token(), tokens.token()

    assert first != second and token_requests(world) == asked + 2


def test_a_revoked_sign_in_asks_to_log_in_again(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    roster = MicrosoftSelfRoster(signin, world.http, store, client=world.client)
    roster.people()
    refresh_token = next(iter(json.loads(store.load() or "{}")["RefreshToken"].values()))

    assert revoke_sign_ins(world.org, MIA) == 1
    with pytest.raises(AuthError) as refused:
        roster.people()

    assert str(refused.value) == SIGN_IN_AGAIN
    assert refresh_token["secret"] not in repr(refused.value.__context__)
    sign_in(world, signin, store, MIA)  # signing in again mends it
    assert len(MicrosoftSelfRoster(signin, world.http, store, client=world.client).people()) == 3


def test_declining_on_the_page_fails_the_login(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    person = AtTheBrowser(world, MIA, action="decline", delay_s=0)

    with pytest.raises(AuthError, match=r"declined in the browser.*login microsoft` again"):
        login(signin, world.http, store, person)
    person.join()

    assert "You declined" in person.pages[1].text and store.load() is None


def test_a_code_that_expires_fails_the_login(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)

    with pytest.raises(AuthError, match="code expired before it was entered"):
        login(signin, world.http, store, lambda _message: expire_sign_in_code(world.org))

    assert store.load() is None


def test_a_code_nobody_enters_runs_out_while_msal_polls(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    world.sandbox.state.grants.code_lifetime_s = 1
    started = time.monotonic()

    with pytest.raises(AuthError, match="code expired before it was entered"):
        login(signin, world.http, store_in(tmp_path), lambda _message: None)

    assert time.monotonic() - started < 5


def test_an_unknown_app_is_refused(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    unknown = replace(signin, client_id="00000000-0000-4000-8000-000000000bad")

    with pytest.raises(
        AuthError, match=r"knows no app registration 00000000-.*microsoft\.client_id"
    ):
        login(unknown, world.http, store_in(tmp_path), lambda _message: None)


def test_an_app_without_public_client_flows_is_refused(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    confidential = replace(signin, client_id=CLIENT)

    with pytest.raises(AuthError, match="turn on 'Allow public client flows'"):
        login(confidential, world.http, store_in(tmp_path), lambda _message: None)


def test_an_unknown_tenant_is_refused(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    elsewhere = replace(signin, tenant_id="contoso.example")

    with pytest.raises(AuthError, match=r"no tenant .contoso\.example.*microsoft\.tenant_id"):
        login(elsewhere, world.http, store_in(tmp_path), lambda _message: None)


def test_without_a_sign_in_tokens_ask_to_log_in_and_send_nothing(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    with pytest.raises(AuthError) as refused:
        DelegatedTokens(signin, world.client, store_in(tmp_path)).token()

    assert str(refused.value) == NOT_SIGNED_IN and world.server.requests == []


def test_an_identity_platform_outage_while_refreshing_is_retried(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    retry = RetryPolicy(sleep=world.sleeps.append, jitter=lambda low, high: high)
    roster = MicrosoftSelfRoster(signin, world.http, store, retry, client=world.client)
    expire_access_tokens(world.org)
    # msal itself holds a 5xx back for its Retry-After (else 5 s) before asking again.
    outage = Reply.json({"error": "temporarily_unavailable"}, 503, **{"Retry-After": "0"})
    world.server.add_fault(Fault("/oauth2/v2.0/token", outage))

    assert len(roster.people()) == 3
    assert world.sleeps == [0.5]  # one retry, by the shared policy


def test_threads_renewing_at_once_redeem_the_refresh_token_once(
    world: GraphWorld, signin: MicrosoftSignIn, tmp_path: Path
) -> None:
    store = store_in(tmp_path)
    sign_in(world, signin, store, MIA)
    tokens = DelegatedTokens(signin, world.client, store)
    rejected = tokens.token()
    expire_access_tokens(world.org)
    asked = token_requests(world)

    def renew(_: int) -> str:  # what GraphClient does after a 401
        tokens.invalidate(rejected)
        return tokens.token()

    with ThreadPoolExecutor(max_workers=8) as pool:
        renewed = set(pool.map(renew, range(16)))

    assert len(renewed) == 1 and rejected not in renewed
    assert token_requests(world) == asked + 1
    assert DelegatedTokens(signin, world.client, store).token() in renewed  # saved whole
