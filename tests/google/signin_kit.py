"""A served google_org.py org that people can sign in to, and a browser for the tests.

`FakeBrowser` is the person at the keyboard: given the text `login` shows, it opens
the address in it (httpx, trusting the sandbox CA), where the sandbox consents at once
and answers 302, then follows the redirect to the loopback server `login` listens on.
"""

from __future__ import annotations

import re
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from google_org import BOSS, WINDOW_END, WINDOW_START, GoogleWorld, build_org

from connectors.google.oauth import login
from connectors.sandbox.google_api import GoogleApi, write_service_account_key
from connectors.sandbox.google_auth import TOKEN_PATH
from connectors.sandbox.google_client import write_installed_client
from connectors.sandbox.google_consent import set_browser_user
from connectors.sandbox.google_state import GoogleState
from connectors.sandbox.server import serve
from connectors.settings import GoogleSettings, GoogleSignIn, HttpSettings, SyncWindow
from connectors.token_store import TokenStore

URL = re.compile(r"https://\S+")


@dataclass
class SignInWorld:
    """The served org, its Google state, the service account's and a sign-in's settings."""

    world: GoogleWorld
    state: GoogleState
    signin: GoogleSignIn
    store: TokenStore

    @property
    def http(self) -> HttpSettings:
        return self.world.http

    def browser(self) -> FakeBrowser:
        return FakeBrowser(self.http)


def start_signin_world(folder: Path) -> SignInWorld:
    """google_org.py's org served with a service account and an installed-app client."""
    org = build_org()
    server = serve([], folder)
    key_file = folder / "service-account.json"
    public_key = write_service_account_key(key_file, server.root + TOKEN_PATH.lstrip("/"))
    client_file = folder / "client_secret.apps.googleusercontent.com.json"
    client = write_installed_client(client_file, server.root)
    state = GoogleState(org, public_key, client)
    server.add_routes(GoogleApi(state).routes())
    settings = GoogleSettings(key_file, admin_subject=BOSS, api_endpoint=server.root)
    http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=10)
    world = GoogleWorld(org, server, settings, http, SyncWindow(WINDOW_START, WINDOW_END))
    signin = GoogleSignIn(client_file, api_endpoint=server.root)
    return SignInWorld(world, state, signin, TokenStore("google-test", folder / "tokens", "file"))


@dataclass
class FakeBrowser:
    """Opens the sign-in address `login` shows, in a thread of its own (the loopback
    server only answers once `login` waits on it)."""

    http: HttpSettings
    shown: list[str] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)  # where the sandbox sent it
    pages: list[str] = field(default_factory=list)  # what the loopback server answered
    errors: list[Exception] = field(default_factory=list)

    def show(self, text: str) -> None:
        """`login`'s `show`: read the address in the text and open it."""
        self.shown.append(text)
        found = URL.search(text)
        assert found is not None, text
        self.open(found.group(0))

    def open(self, url: str) -> bool:
        """What `webbrowser.open` does: start loading `url`; True (a browser opened)."""
        threading.Thread(target=self._visit, args=(url,), daemon=True).start()
        return True

    def _visit(self, url: str) -> None:
        assert self.http.ca_bundle is not None
        trust = ssl.create_default_context(cafile=str(self.http.ca_bundle))
        try:
            consent = httpx.get(url, verify=trust, timeout=10)
            location = consent.headers["location"]
            self.redirects.append(location)
            self.pages.append(httpx.get(location, timeout=10).text)
        except Exception as error:  # the test reads it; a thread cannot raise to it
            self.errors.append(error)


def sign_in(found: SignInWorld, person: str) -> str:
    """Sign `person` in through the fake browser; the email `login` returns."""
    set_browser_user(found.world.org, person)
    browser = found.browser()
    return login(
        found.signin, found.http, found.store, open_browser=False, show=browser.show, timeout_s=10
    )
