"""The sandbox's sign-in endpoints answer as Google's do: the consent redirect, PKCE, the
code and refresh grants, and what a person's own token may read (plain HTTP, as a
browser and a careless client would send it)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google_org import BOSS, MIA, SUE
from signin_kit import SignInWorld

from connectors.google.client import CALENDAR_SCOPE, build_service, load_credentials
from connectors.sandbox.google_consent import revoke_refresh_tokens, set_browser_user

REDIRECT = "http://127.0.0.1:9/"  # nothing listens: the tests read the redirect itself


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Google:
    """Plain HTTP to the sandbox's Google endpoints, trusting its CA."""

    def __init__(self, found: SignInWorld) -> None:
        info = json.loads(found.signin.client_file.read_text())["installed"]
        self.client_id: str = info["client_id"]
        self.secret: str = info["client_secret"]
        self.auth_uri: str = info["auth_uri"]
        self.token_uri: str = info["token_uri"]
        self.root = found.signin.api_endpoint
        assert found.http.ca_bundle is not None
        self.trust = ssl.create_default_context(cafile=str(found.http.ca_bundle))

    def authorize(self, verifier: str = "v" * 43, **changes: str | None) -> httpx.Response:
        params: dict[str, str | None] = {
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": CALENDAR_SCOPE,
            "state": "s1",
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
            "access_type": "offline",
        }
        params.update(changes)
        kept = {k: v for k, v in params.items() if v is not None}
        return httpx.get(self.auth_uri, params=kept, verify=self.trust)

    def code(self, verifier: str, **changes: str | None) -> str:
        answer = redirected(self.authorize(verifier, **changes))
        return answer["code"]

    def token(self, **form: str) -> httpx.Response:
        body = {"client_id": self.client_id, "client_secret": self.secret, **form}
        return httpx.post(self.token_uri, data=body, verify=self.trust)

    def exchange(self, code: str, verifier: str, **form: str) -> httpx.Response:
        fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        return self.token(**{**fields, "code_verifier": verifier, **form})

    def read(self, token: str, path: str) -> httpx.Response:
        url = f"{self.root}calendar/v3/calendars/{path}"
        return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=self.trust)


def redirected(answer: httpx.Response) -> dict[str, str]:
    """The query of the redirect to the loopback address."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def error_of(answer: httpx.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = answer.json()
    return answer.status_code, body["error"], body["error_description"]


@pytest.fixture
def google(signin_world: SignInWorld) -> Google:
    set_browser_user(signin_world.world.org, MIA)
    return Google(signin_world)


def test_pkce_a_wrong_verifier_is_refused_and_spends_the_code(google: Google) -> None:
    verifier = secrets.token_urlsafe(48)
    code = google.code(verifier)
    wrong = google.exchange(code, secrets.token_urlsafe(48))
    assert error_of(wrong) == (400, "invalid_grant", "Invalid code verifier.")
    assert error_of(google.exchange(code, verifier)) == (400, "invalid_grant", "Bad Request")
    missing = google.token(
        grant_type="authorization_code", code=google.code(verifier), redirect_uri=REDIRECT
    )
    assert error_of(missing)[1:] == ("invalid_grant", "Missing code verifier.")
    granted = google.exchange(google.code(verifier, prompt="consent"), verifier)
    assert granted.status_code == 200
    body = granted.json()
    assert body["token_type"] == "Bearer" and body["scope"] == CALENDAR_SCOPE
    assert body["access_token"] and body["refresh_token"] and body["expires_in"] > 0


def test_the_consent_needs_s256_pkce_and_redirects_errors_to_the_app(google: Google) -> None:
    assert redirected(google.authorize(code_challenge=None))["error"] == "invalid_request"
    plain = redirected(google.authorize(code_challenge_method="plain"))
    assert plain["error"] == "invalid_request" and plain["state"] == "s1"
    assert redirected(google.authorize(response_type="token"))["error"] == (
        "unsupported_response_type"
    )
    assert redirected(google.authorize(scope="https://example.com/x"))["error"] == "invalid_scope"
    granted = redirected(google.authorize())
    assert granted["state"] == "s1" and granted["code"] and granted["scope"] == CALENDAR_SCOPE


def test_a_bad_client_or_redirect_gets_an_error_page_not_a_redirect(google: Google) -> None:
    for changes in ({"redirect_uri": "https://attacker.example/"}, {"client_id": "someone-else"}):
        answer = google.authorize(**changes)
        assert answer.status_code in (400, 401) and "location" not in answer.headers
    localhost = google.authorize(redirect_uri="http://localhost:8765/")
    assert localhost.status_code == 302


def test_consent_is_given_by_the_login_hint_else_the_browser_user(google: Google) -> None:
    verifier = "x" * 43
    as_boss = google.exchange(google.code(verifier, login_hint=BOSS), verifier).json()
    assert google.read(as_boss["access_token"], "primary").json()["id"] == BOSS
    as_mia = google.exchange(google.code(verifier), verifier).json()
    assert google.read(as_mia["access_token"], "primary").json()["id"] == MIA
    suspended = redirected(google.authorize(login_hint=SUE))
    assert suspended == {"state": "s1", "error": "access_denied"}


def test_the_token_endpoint_checks_the_client_and_the_redirect(google: Google) -> None:
    verifier = "y" * 43
    wrong_secret = google.exchange(google.code(verifier), verifier, client_secret="nope")
    assert error_of(wrong_secret) == (401, "invalid_client", "Unauthorized")
    other_redirect = google.exchange(
        google.code(verifier), verifier, redirect_uri="http://127.0.0.1:10/"
    )
    assert error_of(other_redirect)[:2] == (400, "redirect_uri_mismatch")
    # Client authentication by HTTP Basic, as requests-oauthlib sends it.
    basic = httpx.post(
        google.token_uri,
        data={
            "grant_type": "authorization_code",
            "code": google.code(verifier),
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(google.client_id, google.secret),
        verify=google.trust,
    )
    assert basic.status_code == 200


def test_a_refresh_token_comes_with_the_first_consent_or_when_asked_again(
    google: Google,
) -> None:
    verifier = "z" * 43
    first = google.exchange(google.code(verifier), verifier).json()
    again = google.exchange(google.code(verifier), verifier).json()
    asked = google.exchange(google.code(verifier, prompt="consent"), verifier).json()
    online = google.exchange(google.code(verifier, access_type=None, login_hint=BOSS), verifier)
    assert "refresh_token" in first and "refresh_token" not in again
    assert "refresh_token" in asked and "refresh_token" not in online.json()


def test_refresh_tokens_work_until_revoked(google: Google, signin_world: SignInWorld) -> None:
    verifier = "r" * 43
    granted = google.exchange(google.code(verifier), verifier).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    renewed = google.token(**refresh)
    assert renewed.status_code == 200 and "refresh_token" not in renewed.json()
    assert google.read(renewed.json()["access_token"], f"{MIA}/events").status_code == 200
    wider = google.token(**refresh, scope="https://www.googleapis.com/auth/calendar")
    assert error_of(wider)[:2] == (400, "invalid_scope")
    assert revoke_refresh_tokens(signin_world.world.org, MIA) == 1
    expected = (400, "invalid_grant", "Token has been expired or revoked.")
    assert error_of(google.token(**refresh)) == expected
    # The person's access tokens went with it.
    assert google.read(renewed.json()["access_token"], f"{MIA}/events").status_code == 401


def test_a_persons_token_reads_their_own_calendar_only(
    google: Google, signin_world: SignInWorld
) -> None:
    verifier = "o" * 43
    token = google.exchange(google.code(verifier), verifier).json()["access_token"]
    own = google.read(token, "primary").json()
    assert own == {
        "kind": "calendar#calendar",
        "etag": own["etag"],
        "id": MIA,
        "summary": MIA,
        "timeZone": "America/Los_Angeles",
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    assert google.read(token, f"{MIA}/events").status_code == 200
    assert google.read(token, "primary/events").status_code == 200
    for path in (f"{BOSS}/events", BOSS, "nobody@example.com/events"):
        assert google.read(token, path).status_code == 404
    # The service account's delegated tokens keep Google's 403 for a colleague.
    delegated = load_credentials(signin_world.world.settings, [CALENDAR_SCOPE]).with_subject(MIA)
    endpoint = signin_world.world.settings.api_endpoint + "calendar/v3/"
    with build_service("calendar", "v3", delegated, endpoint, signin_world.http) as service:
        assert service.calendars().get(calendarId="primary").execute()["id"] == MIA
        assert delegated.token is not None
    assert google.read(delegated.token, f"{BOSS}/events").status_code == 403
