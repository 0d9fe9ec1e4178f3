"""A person's own Google sign-in: the installed-app OAuth flow, no admin involved.

`login` runs google-auth-oauthlib's `InstalledAppFlow` with the "Desktop app" client
of `google.oauth_client_file`: a browser opens Google's consent page, Google sends it
back to a one-shot server of ours on `http://127.0.0.1:<port>/` with a code, and the
code (with its PKCE verifier) becomes a refresh token kept in the `TokenStore`. The
scope is `calendar.readonly` only. `prompt=consent` is asked every time, since Google
hands out a refresh token on a person's first consent only.

`user_credentials` turns the stored sign-in back into credentials that refresh
silently and save each new access token to the store (`user_tokens`).
"""

from __future__ import annotations

import json
import logging
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httplib2
import requests
from google.auth import credentials as auth_credentials
from google.oauth2 import credentials as oauth2_credentials
from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from connectors.google.client import (
    CALENDAR_SCOPE,
    build_service,
    ca_certs_file,
    execute,
)
from connectors.google.user_tokens import LOGIN, UserCredentials, UserTokens, dump
from connectors.retry import RetryPolicy
from connectors.settings import GoogleSignIn, HttpSettings
from connectors.token_store import TokenStore
from core.errors import AuthError, BadInputError, FatalSourceError, RetriableError

__all__ = ["UserCredentials", "UserTokens", "login", "signed_in_email", "user_credentials"]

CLIENT_KEY = "google.oauth_client_file"
CLIENT_FIELDS = ("client_id", "client_secret", "auth_uri", "token_uri")
# They log the redirect (with its code) and the token exchange (secret, verifier,
# tokens) at INFO and DEBUG: silenced while signing in, whatever logging is set up.
CHATTY_LOGGERS = ("google_auth_oauthlib", "requests_oauthlib", "oauthlib")
DONE_PAGE = "oneonone has Google's answer. You may close this window and go back to the terminal."


def read_client(path: Path) -> dict[str, Any]:
    """The installed-app client JSON at `path` (its "installed" object checked)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BadInputError(f"{CLIENT_KEY}: {path} does not exist") from error
    except (OSError, ValueError) as error:
        raise BadInputError(f"{CLIENT_KEY}: {path} is not a JSON file") from error
    installed = info.get("installed") if isinstance(info, dict) else None
    if not isinstance(installed, dict):
        kind = "a Web application client" if isinstance(info, dict) and "web" in info else ""
        found = f" ({kind})" if kind else ""
        raise BadInputError(
            f"{CLIENT_KEY}: {path} is not an installed-app client{found}; expected the JSON of"
            ' an OAuth client of type "Desktop app" (an "installed" object)'
        )
    missing = [key for key in CLIENT_FIELDS if not isinstance(installed.get(key), str)]
    if missing:
        raise BadInputError(
            f'{CLIENT_KEY}: {path} has no {", ".join(missing)} in its "installed" object'
        )
    return {"installed": installed}


def login(
    signin: GoogleSignIn,
    http: HttpSettings,
    store: TokenStore,
    *,
    open_browser: bool = True,
    show: Callable[[str], None] = print,
    timeout_s: float = 300.0,
    account: str | None = None,
) -> str:
    """Sign a person in to Google in their browser; keep the sign-in in `store` and
    return the signed-in email.

    With `open_browser=False` (a machine without a browser) the address to open is
    given to `show`. Waits `timeout_s` for the browser to come back. `account` is
    offered to Google's page as the account to sign in with (`login_hint`).
    """
    flow = _Flow.from_client_config(read_client(signin.client_file), scopes=[CALENDAR_SCOPE])
    flow.announce = _Announcer(show, open_browser, timeout_s)
    flow.token_request = {
        "timeout": http.timeout_s,
        "verify": ca_certs_file(http.ca_bundle) or True,
    }
    _consent(flow, timeout_s, {"login_hint": account} if account else {})
    granted = flow.credentials
    if not granted.refresh_token:
        raise AuthError(f"Google gave no refresh token for this sign-in; {LOGIN} again")
    user = UserCredentials(granted, "", None, http)
    email = primary_email(user, signin, http)
    store.save(dump(granted, email))
    return email


def _consent(flow: _Flow, timeout_s: float, hints: dict[str, str]) -> None:
    """Run the flow to its tokens; its failures raised as the error tree's."""
    try:
        with _quiet(CHATTY_LOGGERS):
            flow.run_local_server(
                host="127.0.0.1",
                port=0,
                open_browser=False,  # `_Announcer` opens it: no browser must not be a crash
                authorization_prompt_message=None,
                success_message=DONE_PAGE,
                timeout_seconds=timeout_s,
                access_type="offline",
                prompt="consent",
                **hints,
            )
    except WSGITimeoutError as error:
        raise AuthError(
            f"no answer from the browser within {timeout_s:g} s; {LOGIN} again"
        ) from error
    except OAuth2Error as error:
        raise AuthError(f"Google sign-in refused: {error.error}; {LOGIN} again") from error
    except Warning as error:  # oauthlib: the scopes granted are not the ones asked for
        raise AuthError(
            f"Google sign-in did not allow reading your calendar ({CALENDAR_SCOPE});"
            f" {LOGIN} again and allow it"
        ) from error
    except requests.exceptions.SSLError as error:
        raise FatalSourceError(
            f"TLS certificate of Google's token endpoint not trusted: {error}"
        ) from error
    except requests.RequestException as error:
        raise RetriableError(
            f"could not reach Google's token endpoint: {type(error).__name__}"
        ) from error


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Only warnings and errors from the loggers `names` (and their children) for a while."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class _Announcer:
    """Shows the person where to sign in (and opens their browser when asked)."""

    def __init__(self, show: Callable[[str], None], open_browser: bool, timeout_s: float) -> None:
        self._show = show
        self._open_browser = open_browser
        minutes = max(1, round(timeout_s / 60))
        self._wait = f"{minutes} minute{'s' if minutes > 1 else ''}"

    def __call__(self, url: str, redirect_uri: str) -> None:
        if self._open_browser and webbrowser.open(url, new=1):
            self._show(
                "Your browser is open at Google's sign-in page: choose your account and allow"
                f" oneonone to read your calendar. If no page opened, open this address:\n\n{url}\n"
            )
            return
        port = redirect_uri.rstrip("/").rsplit(":", 1)[-1]
        self._show(
            "Open this address in a web browser, choose your Google account and allow"
            f" oneonone to read your calendar:\n\n{url}\n\n"
            f"Google then sends the browser back to {redirect_uri} on this computer, where"
            f" oneonone waits for up to {self._wait}. If the browser runs on another computer,"
            f" first run there: ssh -L {port}:127.0.0.1:{port} <this computer>; or, once you"
            " have allowed access, copy the address that browser fails to load and run here:"
            " curl '<that address>'"
        )


class _Flow(InstalledAppFlow):
    """The installed-app flow, announcing its address through `announce` and sending
    its token request with our timeout and CA bundle."""

    announce: Callable[[str, str], None]
    token_request: dict[str, Any]

    def authorization_url(self, **kwargs: Any) -> tuple[str, str]:
        url, state = super().authorization_url(**kwargs)
        self.announce(url, self.redirect_uri)
        return url, state

    def fetch_token(self, **kwargs: Any) -> dict[str, Any]:
        # The session's own `verify` would lose to REQUESTS_CA_BUNDLE; this one wins.
        token: dict[str, Any] = super().fetch_token(**{**kwargs, **self.token_request})
        return token


def user_credentials(
    signin: GoogleSignIn,
    http: HttpSettings,
    store: TokenStore,
    transport: Callable[[], httplib2.Http] | None = None,
) -> UserCredentials:
    """The stored sign-in as credentials that refresh silently (over `transport`, by
    default a new one trusting `http.ca_bundle` per refresh), saving each new token."""
    saved = _load(store)
    installed = read_client(signin.client_file)["installed"]
    if saved.get("client_id") != installed["client_id"]:
        raise AuthError(
            f"the Google sign-in kept in {store.where()} was made with another OAuth client"
            f" than {CLIENT_KEY}; {LOGIN} again"
        )
    inner = oauth2_credentials.Credentials(
        token=saved.get("token"),
        refresh_token=saved["refresh_token"],
        token_uri=installed["token_uri"],
        client_id=installed["client_id"],
        client_secret=installed["client_secret"],
        scopes=saved.get("scopes") or [CALENDAR_SCOPE],
        expiry=_expiry(saved.get("expiry")),
    )
    return UserCredentials(inner, saved["email"], store, http, transport)


def signed_in_email(signin: GoogleSignIn, http: HttpSettings, store: TokenStore) -> str:
    """Who is signed in, as Google says (`calendars.get` of their primary calendar)."""
    return primary_email(user_credentials(signin, http, store), signin, http)


def primary_email(
    credentials: auth_credentials.Credentials, signin: GoogleSignIn, http: HttpSettings
) -> str:
    """The id of the credentials' primary calendar: its owner's email."""
    endpoint = signin.api_endpoint + "calendar/v3/"
    with build_service("calendar", "v3", credentials, endpoint, http) as service:
        body = execute(
            lambda: service.calendars().get(calendarId="primary"),
            RetryPolicy(),
            "your primary calendar",
        )
    return str(body["id"]).strip().lower()


def _load(store: TokenStore) -> dict[str, Any]:
    text = store.load()
    if text is None:
        raise AuthError(f"no Google sign-in: {LOGIN}")
    try:
        saved = json.loads(text)
    except ValueError:
        saved = None
    if not isinstance(saved, dict) or not all(
        isinstance(saved.get(key), str) for key in ("refresh_token", "client_id", "email")
    ):
        raise AuthError(f"the Google sign-in kept in {store.where()} is unreadable; {LOGIN} again")
    return saved


def _expiry(text: object) -> datetime | None:
    """google-auth's expiry: naive UTC (it writes ISO 8601 with a Z)."""
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.rstrip("Z")).replace(tzinfo=None)
    except ValueError:
        return None
