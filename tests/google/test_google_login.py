"""`oneonone login google`'s connector: the installed-app flow through google-auth-oauthlib,
the stored sign-in, and its silent refresh through google-auth, against the sandbox."""

from __future__ import annotations

import json
import logging
import ssl
import stat
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google_org import BOSS, MIA, OUTSIDER, RAJ
from signin_kit import SignInWorld, sign_in

from connectors.google.client import CALENDAR_SCOPE
from connectors.google.oauth import login, signed_in_email, user_credentials
from connectors.sandbox.google_client import write_installed_client
from connectors.sandbox.google_consent import (
    expire_access_tokens,
    revoke_refresh_tokens,
    set_browser_user,
    withhold_scopes,
)
from connectors.settings import GoogleSignIn, HttpSettings
from connectors.token_store import TokenStore
from core.errors import AuthError, BadInputError

TOKEN = "/google/token"


def saved(found: SignInWorld) -> dict[str, Any]:
    text = found.store.load()
    assert text is not None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def calendar_answer(found: SignInWorld, token: str, calendar: str) -> httpx.Response:
    url = f"{found.signin.api_endpoint}calendar/v3/calendars/{calendar}/events"
    assert found.http.ca_bundle is not None
    trust = ssl.create_default_context(cafile=str(found.http.ca_bundle))
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=trust)


def token_requests(found: SignInWorld) -> int:
    return sum(
        1 for method, path in found.world.server.requests if (method, path) == ("POST", TOKEN)
    )


def test_login_in_a_browser_keeps_an_owner_only_sign_in_to_the_own_calendar(
    signin_world: SignInWorld,
) -> None:
    set_browser_user(signin_world.world.org, MIA)
    browser = signin_world.browser()
    email = login(
        signin_world.signin,
        signin_world.http,
        signin_world.store,
        open_browser=False,
        show=browser.show,
        timeout_s=10,
    )
    assert email == MIA and browser.errors == []
    # The person was told where to go and where Google would send them back.
    [redirect] = browser.redirects
    assert redirect.startswith("http://127.0.0.1:") and "code=" in redirect
    loopback = redirect.split("?")[0]
    assert loopback in browser.shown[0] and "ssh -L" in browser.shown[0]
    assert "close this window" in browser.pages[0]
    # Owner-only, and nothing the client file already holds.
    store = signin_world.store
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    kept = saved(signin_world)
    assert kept["email"] == MIA and kept["refresh_token"] and "client_secret" not in kept
    assert kept["scopes"] == ["https://www.googleapis.com/auth/calendar.readonly"]
    # The kept access token reads MIA's calendar and nobody else's.
    assert calendar_answer(signin_world, kept["token"], "primary").status_code == 200
    assert calendar_answer(signin_world, kept["token"], MIA).status_code == 200
    for other in (BOSS, RAJ):
        refused = calendar_answer(signin_world, kept["token"], other)
        assert refused.status_code == 404
        assert refused.json()["error"]["errors"][0]["reason"] == "notFound"


def test_login_opens_the_browser_when_there_is_one(
    signin_world: SignInWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_browser_user(signin_world.world.org, BOSS)
    browser = signin_world.browser()
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0, autoraise=True: browser.open(url))
    shown: list[str] = []
    email = login(signin_world.signin, signin_world.http, signin_world.store, show=shown.append)
    assert email == BOSS and browser.errors == [] and len(browser.redirects) == 1
    assert shown[0].startswith("Your browser is open") and "https://" in shown[0]


def test_login_without_a_browser_to_open_shows_the_address_instead(
    signin_world: SignInWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_browser_user(signin_world.world.org, RAJ)
    browser = signin_world.browser()
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0, autoraise=True: False)
    email = login(signin_world.signin, signin_world.http, signin_world.store, show=browser.show)
    assert email == RAJ and browser.shown[0].startswith("Open this address")


def test_refused_consent_is_an_auth_error_and_keeps_nothing(signin_world: SignInWorld) -> None:
    set_browser_user(signin_world.world.org, OUTSIDER)  # not in the organisation
    with pytest.raises(AuthError, match=r"access_denied.*oneonone login google"):
        sign_in(signin_world, OUTSIDER)
    assert signin_world.store.load() is None


def test_consent_without_the_calendar_is_an_auth_error(signin_world: SignInWorld) -> None:
    withhold_scopes(signin_world.world.org, frozenset({CALENDAR_SCOPE}))
    with pytest.raises(AuthError, match=r"did not allow reading your calendar.*login google"):
        sign_in(signin_world, MIA)
    assert signin_world.store.load() is None


def test_no_code_secret_or_token_reaches_the_logs(
    signin_world: SignInWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    set_browser_user(signin_world.world.org, MIA)
    browser = signin_world.browser()
    login(
        signin_world.signin,
        signin_world.http,
        signin_world.store,
        open_browser=False,
        show=browser.show,
        timeout_s=10,
    )
    expire_access_tokens(signin_world.world.org)
    assert signed_in_email(signin_world.signin, signin_world.http, signin_world.store) == MIA
    kept = saved(signin_world)
    client = json.loads(signin_world.signin.client_file.read_text())["installed"]
    code = parse_qs(urlsplit(browser.redirects[0]).query)["code"][0]
    secrets = [kept["token"], kept["refresh_token"], client["client_secret"], code]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) > 5  # the libraries did log, at DEBUG
    assert [secret for secret in secrets if secret in logged] == []


def test_a_browser_that_never_comes_back_times_out(signin_world: SignInWorld) -> None:
    shown: list[str] = []
    with pytest.raises(AuthError, match="no answer from the browser"):
        login(
            signin_world.signin,
            signin_world.http,
            signin_world.store,
            open_browser=False,
            show=shown.append,
            timeout_s=0.5,
        )
    assert len(shown) == 1 and signin_world.store.load() is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        ("{not json", "is not a JSON file"),
        ('{"web": {"client_id": "x"}}', "a Web application client"),
        ('{"type": "service_account", "client_email": "x"}', "is not an installed-app client"),
        ('{"installed": {"client_id": "x", "auth_uri": "y"}}', "no client_secret, token_uri"),
    ],
)
def test_a_client_file_that_is_not_a_desktop_app_client_is_bad_input(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "client.json"
    if content is not None:
        path.write_text(content)
    store = TokenStore("google-test", tmp_path / "tokens", "file")
    with pytest.raises(BadInputError) as raised:
        login(GoogleSignIn(path), HttpSettings(), store, open_browser=False, show=print)
    message = str(raised.value)
    assert message.startswith(f"google.oauth_client_file: {path}") and expected in message


def test_the_sign_in_refreshes_silently_when_its_access_token_expires(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, MIA)
    before = saved(signin_world)
    minted = token_requests(signin_world)
    assert signed_in_email(signin_world.signin, signin_world.http, signin_world.store) == MIA
    assert token_requests(signin_world) == minted  # the kept access token was still good
    expire_access_tokens(signin_world.world.org)
    assert signed_in_email(signin_world.signin, signin_world.http, signin_world.store) == MIA
    after = saved(signin_world)
    assert token_requests(signin_world) == minted + 1
    assert after["token"] != before["token"] and after["refresh_token"] == before["refresh_token"]
    assert stat.S_IMODE(signin_world.store.path.stat().st_mode) == 0o600


def test_a_revoked_sign_in_asks_to_log_in_again_without_showing_tokens(
    signin_world: SignInWorld,
) -> None:
    sign_in(signin_world, MIA)
    kept = saved(signin_world)
    assert revoke_refresh_tokens(signin_world.world.org, MIA) == 1
    with pytest.raises(AuthError) as raised:
        signed_in_email(signin_world.signin, signin_world.http, signin_world.store)
    message = str(raised.value)
    assert "oneonone login google" in message and "invalid_grant" in message
    assert kept["refresh_token"] not in message and kept["token"] not in message


def test_nobody_signed_in_or_another_client_asks_to_log_in(
    signin_world: SignInWorld, tmp_path: Path
) -> None:
    with pytest.raises(AuthError, match=r"^no Google sign-in: run `oneonone login google`$"):
        user_credentials(signin_world.signin, signin_world.http, signin_world.store)
    sign_in(signin_world, MIA)
    other_file = tmp_path / "other-client.json"
    write_installed_client(other_file, signin_world.signin.api_endpoint)
    other = GoogleSignIn(other_file, api_endpoint=signin_world.signin.api_endpoint)
    with pytest.raises(AuthError, match="another OAuth client"):
        user_credentials(other, signin_world.http, signin_world.store)
