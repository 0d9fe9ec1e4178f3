"""Google's OAuth token endpoint for a service account with domain-wide delegation.

The connector's `google.oauth2.service_account.Credentials` signs a JWT (RS256) with
the key that `write_service_account_key` wrote and posts it to the key's `token_uri`
(`TOKEN_PATH` here). The endpoint checks the signature and that the impersonated
subject (`sub`) is an active Google member, then issues an opaque access token bound
to that subject and the requested scopes. `TokenIssuer.delegated` is what the Admin
console's domain-wide delegation allows the service account's client id (None: every
scope); asking for anything else is refused as Google refuses it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.sandbox.server import Reply, Request, Route

TOKEN_PATH = "/google/token"
SERVICE_ACCOUNT_EMAIL = "oneonone-sandbox@oneonone-sandbox.iam.gserviceaccount.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth always addresses the assertion to Google's endpoint, whatever token_uri is.
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
TOKEN_LIFETIME_S = 3600
UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)


def write_service_account_key(path: Path, token_uri: str) -> bytes:
    """Write a service-account key JSON with a fresh RSA key; return its public key PEM.

    The file is created readable by the owner only, like a downloaded key should be.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    info = {
        "type": "service_account",
        "project_id": "oneonone-sandbox",
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem.decode(),
        "client_email": SERVICE_ACCOUNT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "universe_domain": "googleapis.com",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(info, indent=2))
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class Grant:
    """What an access token allows: acting as `subject` within `scopes`.

    `client_id` is None for a service account's delegated token, else the id of the
    OAuth client the person signed in to (a token of their own, not an admin's).
    """

    subject: str
    scopes: frozenset[str]
    expires_at: float
    client_id: str | None = None

    @property
    def signed_in(self) -> bool:
        """True for a person's own token (it sees their own calendar only)."""
        return self.client_id is not None


GrantHandler = Callable[[dict[str, str], Request], Reply]


def oauth_error(error: str, description: str, status: int = 400) -> Reply:
    """An error in the OAuth token endpoint's shape."""
    return Reply.json({"error": error, "error_description": description}, status)


class TokenIssuer:
    """Issues and checks access tokens. `subjects()` lists who may be impersonated."""

    def __init__(self, public_key_pem: bytes, subjects: Callable[[], AbstractSet[str]]) -> None:
        self._public_key = serialization.load_pem_public_key(public_key_pem)
        self._subjects = subjects
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.delegated: frozenset[str] | None = None  # scope URLs allowed; None: any
        # Further grant types by `grant_type` (a person's sign-in: `google_consent`).
        self.grant_types: dict[str, GrantHandler] = {}

    def route(self) -> Route:
        return ("POST", TOKEN_PATH, self.token)

    def token(self, request: Request) -> Reply:
        """Exchange a signed JWT assertion for an access token (RFC 7523), or another
        grant type registered in `grant_types`."""
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        handler = self.grant_types.get(form.get("grant_type", ""))
        if handler is not None:
            return handler(form, request)
        if form.get("grant_type") != JWT_BEARER:
            return oauth_error("unsupported_grant_type", "Invalid grant_type.")
        try:
            claims = self._verify(form.get("assertion", ""))
        except jwt.InvalidTokenError:
            return oauth_error("invalid_grant", "Invalid JWT Signature.")
        subject = str(claims.get("sub") or "").lower()
        if subject not in self._subjects():
            return oauth_error("invalid_grant", "Invalid email or User ID")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            return oauth_error("invalid_scope", "Empty or missing scope not allowed.")
        if self.delegated is not None and not scopes <= self.delegated:
            return oauth_error("unauthorized_client", UNAUTHORIZED_CLIENT, status=401)
        body = {"access_token": self.mint(subject, scopes), "expires_in": TOKEN_LIFETIME_S}
        return Reply.json({**body, "token_type": "Bearer"})

    def mint(self, subject: str, scopes: frozenset[str], client_id: str | None = None) -> str:
        """A new access token for `subject` within `scopes`, valid `TOKEN_LIFETIME_S`."""
        access_token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        grant = Grant(subject, scopes, time.time() + TOKEN_LIFETIME_S, client_id)
        with self._lock:
            self._grants[access_token] = grant
        return access_token

    def grant(self, request: Request) -> Grant | None:
        """The live grant behind the request's bearer token, if any."""
        with self._lock:
            found = self._grants.get(request.bearer or "")
        return found if found is not None and found.expires_at > time.time() else None

    def expire_all(self) -> None:
        """Forget every access token, so clients must refresh (tests of 401)."""
        with self._lock:
            self._grants.clear()

    def revoke_signed_in(self, subject: str) -> None:
        """Forget the access tokens `subject` got by signing in (their app access was
        removed); delegated tokens are the admin's and stay."""
        with self._lock:
            doomed = [t for t, g in self._grants.items() if g.signed_in and g.subject == subject]
            for token in doomed:
                del self._grants[token]

    def _verify(self, assertion: str) -> dict[str, object]:
        claims: dict[str, object] = jwt.decode(
            assertion,
            self._public_key,  # type: ignore[arg-type]
            algorithms=["RS256"],
            options={"verify_aud": False, "require": ["iss", "iat", "exp"]},
        )
        if claims.get("aud") not in (GOOGLE_AUDIENCE, None) and not str(claims.get("aud")).endswith(
            TOKEN_PATH
        ):
            raise jwt.InvalidAudienceError("unexpected audience")
        return claims
