"""What the sandbox's identity platform remembers of people signing in to a public client.

A public client app (no secret: "Allow public client flows" on) signs a person in with
the device-code flow: the app asks for a code, the person enters it on the sign-in
page and consents, the app redeems the code for an access token, a refresh token and
an ID token. Delegated access tokens act for that person only, within the scopes they
consented to. An admin revoking the person's sessions invalidates every refresh token
issued before (Entra's "revoke sessions": the user's `TokensValidFrom` moves to now).

Only data lives here (no HTTP): graph_signin.py serves the endpoints.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

PUBLIC_CLIENT_ID = "5e1f0c1a-9a2b-4c3d-8e4f-00000000d1ce"  # the sandbox's public client app
# Codes people type: no vowels (no words), no look-alikes (0/O, 1/I/L).
_USER_CODE_ALPHABET = "BCDFGHJKMNPQRSTVWXZ23456789"
_GRAPH_RESOURCE = "https://graph.microsoft.com/"
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})


def graph_scopes(scope: str) -> frozenset[str]:
    """The Graph permissions of a `scope` parameter (`Calendars.Read` or its full URI
    `https://graph.microsoft.com/Calendars.Read`), OpenID scopes aside."""
    names = {item.removeprefix(_GRAPH_RESOURCE) for item in scope.split()}
    return frozenset(name for name in names if name and name not in OIDC_SCOPES)


@dataclass
class DeviceCode:
    """One device-code sign-in in progress."""

    device_code: str
    user_code: str
    client_id: str
    scope: str  # as requested, OpenID scopes included
    expires_at: float  # time.time()
    user: str | None = None  # who entered the code and consented
    declined: bool = False
    redeemed: bool = False

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


@dataclass(frozen=True)
class RefreshGrant:
    """What a refresh token stands for."""

    user: str  # lower-case email
    client_id: str
    scopes: frozenset[str]  # Graph permissions consented to
    issued_at: float


@dataclass(frozen=True)
class Delegation:
    """What a delegated access token stands for: a person and their consented scopes."""

    user: str
    scopes: frozenset[str]


@dataclass
class Grants:
    """Device codes, refresh tokens and delegated access tokens. Thread-safe."""

    public_client_id: str = PUBLIC_CLIENT_ID
    interval_s: int = 1  # polling interval the device flow asks for (Entra: 5)
    code_lifetime_s: int = 900  # Entra's 15 minutes
    access_lifetime_s: int = 3599
    codes: dict[str, DeviceCode] = field(default_factory=dict)  # by device code
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)  # by refresh token
    delegations: dict[str, Delegation] = field(default_factory=dict)  # by access token
    revoked: dict[str, RefreshGrant] = field(default_factory=dict)  # revoked refresh tokens
    valid_from: dict[str, float] = field(default_factory=dict)  # user -> TokensValidFrom
    lock: threading.RLock = field(default_factory=threading.RLock)

    def start(self, client_id: str, scope: str) -> DeviceCode:
        """A new device code for `client_id` asking for `scope`."""
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        code = DeviceCode(
            device_code="DAQABIQEAAAB" + secrets.token_urlsafe(96),
            user_code=user_code,
            client_id=client_id,
            scope=scope,
            expires_at=time.time() + self.code_lifetime_s,
        )
        with self.lock:
            self.codes[code.device_code] = code
        return code

    def by_user_code(self, user_code: str | None) -> DeviceCode | None:
        """The code a person typed (any case, spaces and dashes ignored); None: the most
        recent code nobody has entered yet."""
        with self.lock:
            waiting = [c for c in self.codes.values() if c.user is None and not c.declined]
            if user_code is None:
                return waiting[-1] if waiting else None
            typed = user_code.replace("-", "").replace(" ", "").upper()
            return next((c for c in self.codes.values() if c.user_code == typed), None)

    def issue_refresh(self, user: str, client_id: str, scopes: frozenset[str]) -> str:
        """A new refresh token for `user`."""
        token = "1.AQ4A" + secrets.token_urlsafe(64)
        with self.lock:
            self.refresh[token] = RefreshGrant(user, client_id, scopes, time.time())
        return token

    def revoke_user(self, user: str) -> list[str]:
        """Revoke `user`'s sessions (their refresh tokens stop working); the access tokens
        issued to them, for the caller to forget too."""
        with self.lock:
            self.valid_from[user] = time.time()
            for token, grant in list(self.refresh.items()):
                if grant.user == user:
                    self.revoked[token] = self.refresh.pop(token)
            return [token for token, d in self.delegations.items() if d.user == user]
