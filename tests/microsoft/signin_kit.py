"""Helpers of the Microsoft sign-in tests: a person at the sandbox's sign-in page."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx

from connectors.microsoft.client import make_http_client
from connectors.microsoft.delegated import login
from connectors.sandbox.graph_devicelogin import approve_sign_in
from connectors.settings import MicrosoftSignIn
from connectors.token_store import TokenStore

from .graph_org import GraphWorld

# Entra's wording of the device flow's instruction.
INSTRUCTION = re.compile(
    r"To sign in, use a web browser to open the page (?P<page>https://\S+)"
    r" and enter the code (?P<code>[A-Z0-9]+) to authenticate\."
)


def store_in(folder: Path) -> TokenStore:
    """A file token store under `folder` (tests never touch the OS keyring)."""
    return TokenStore("microsoft-test", folder / "tokens", "file")


class AtTheBrowser:
    """The `show` callback of `login`: a person who reads the instruction and, after
    `delay_s`, fills in the sign-in page it names (from another thread: msal polls the
    token endpoint meanwhile). `action` is "approve" or "decline"."""

    def __init__(
        self, world: GraphWorld, email: str, action: str = "approve", delay_s: float = 0.3
    ):
        self.world, self.email, self.action, self.delay_s = world, email, action, delay_s
        self.messages: list[str] = []
        self.pages: list[httpx.Response] = []
        self._thread: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        self.messages.append(message)
        found = INSTRUCTION.fullmatch(message)
        assert found is not None, message
        self._thread = threading.Thread(target=self._fill_in, args=(found["page"], found["code"]))
        self._thread.start()

    def _fill_in(self, page: str, code: str) -> None:
        time.sleep(self.delay_s)
        with make_http_client(self.world.http) as browser:
            self.pages.append(browser.get(page))
            form = {"otc": code.lower(), "login": self.email.upper(), "action": self.action}
            self.pages.append(browser.post(page, data=form))

    def join(self) -> None:
        """Wait until the person is done with the page."""
        if self._thread is not None:
            self._thread.join(timeout=10)


def sign_in(world: GraphWorld, signin: MicrosoftSignIn, store: TokenStore, email: str) -> str:
    """`email` signs in, approving the code at once (before msal's first poll)."""
    return login(signin, world.http, store, lambda _message: approve_sign_in(world.org, email))


def token_requests(world: GraphWorld) -> int:
    """POSTs to the token endpoint so far (any tenant segment)."""
    return world.count("POST", "/oauth2/v2.0/token")
