"""A person's own Google sign-in: an installed-app OAuth client, loopback redirect, PKCE.

`google_client.write_installed_client` writes the client JSON of a "Desktop app"; its
`auth_uri` is served here (`AUTH_ROUTE`): the real page asks the person to
choose an account and consent; the sandbox consents at once as the person named by
`login_hint`, else as the "browser user" (`set_browser_user`; by default the
Workspace admin), and redirects to the loopback `redirect_uri` with a `code`, or with
`error=access_denied` when that person is not an active Google member.

The token endpoint (`google_auth.TOKEN_PATH`) then takes `grant_type=authorization_code`
(the client authenticated by HTTP Basic or form fields, the code once only, the same
`redirect_uri`, the `code_verifier` of the S256 challenge) and
`grant_type=refresh_token` (a new access token; Google keeps the refresh token). As
with Google, a refresh token is handed out with `access_type=offline` on the first
consent of a person to a client or when `prompt=consent` asks again.
`revoke_refresh_tokens` is the person removing the app's access (or changing their
password): the refresh token and its access tokens stop working, and refreshing
answers `invalid_grant` "Token has been expired or revoked.".

The controls (`set_browser_user`, `withhold_scopes`, `revoke_refresh_tokens`,
`expire_access_tokens`) take the org, so tests can
call them through `RemoteServer.mutate` as well as directly.
"""

from __future__ import annotations

import base64
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlencode, urlsplit

from connectors.sandbox.google_auth import TOKEN_LIFETIME_S, TokenIssuer, oauth_error
from connectors.sandbox.google_client import InstalledClient, is_loopback, s256
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

AUTH_ROUTE = r"/google/o/oauth2(?:/v2)?/auth"  # both of Google's authorization paths
CODE_LIFETIME_S = 600
SCOPE_ROOT = "https://www.googleapis.com/auth/"
KNOWN_SCOPES = frozenset(
    {SCOPE_ROOT + s for s in ("calendar", "calendar.readonly", "calendar.events")}
    | {SCOPE_ROOT + s for s in ("calendar.events.readonly", "userinfo.email")}
    | {"openid", "email", "profile"}
)
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
EXPIRED_OR_REVOKED = "Token has been expired or revoked."


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    subject: str
    scopes: frozenset[str]
    challenge: str
    offline: bool  # a refresh token comes with the access token
    expires_at: float


@dataclass(frozen=True)
class _Refresh:
    client_id: str
    subject: str
    scopes: frozenset[str]


class Consent:
    """The authorization endpoint and the sign-in grants of one served org."""

    def __init__(
        self,
        issuer: TokenIssuer,
        subjects: Callable[[], frozenset[str]],
        admin: Callable[[], str | None],
        client: InstalledClient | None,
    ) -> None:
        self._issuer = issuer
        self._subjects = subjects
        self._admin = admin
        self._client = client
        self.browser_user: str | None = None  # who consents; None: the Workspace admin
        self.withheld: frozenset[str] = frozenset()  # scopes the person unticks
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._consented: set[tuple[str, str]] = set()  # (client id, person)
        self._lock = threading.Lock()
        issuer.grant_types["authorization_code"] = self.exchange
        issuer.grant_types["refresh_token"] = self.refresh

    def routes(self) -> list[Route]:
        return [("GET", AUTH_ROUTE, self.authorize)]

    def authorize(self, request: Request) -> Reply:
        """The consent page: a redirect to the loopback `redirect_uri` at once."""
        if self._client is None or request.arg("client_id") != self._client.client_id:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect = request.arg("redirect_uri") or ""
        if not is_loopback(redirect):
            return _error_page(400, "redirect_uri_mismatch", "redirect_uri is not loopback")
        state = {"state": request.arg("state") or ""}
        problem = _problem(request)
        if problem is not None:
            return _redirect(
                redirect, {**state, "error": problem[0], "error_description": problem[1]}
            )
        person = self._person(request)
        if person is None:
            return _redirect(redirect, {**state, "error": "access_denied"})
        scopes = frozenset((request.arg("scope") or "").split()) - self.withheld
        code = "4/0sandbox-" + secrets.token_urlsafe(32)
        offline = request.arg("access_type") == "offline" and self._first_or_asked(request, person)
        grant = _Code(
            self._client.client_id,
            redirect,
            person,
            scopes,
            request.arg("code_challenge") or "",
            offline,
            time.time() + CODE_LIFETIME_S,
        )
        with self._lock:
            self._codes[code] = grant
        return _redirect(redirect, {**state, "code": code, "scope": " ".join(sorted(scopes))})

    def exchange(self, form: dict[str, str], request: Request) -> Reply:
        """`grant_type=authorization_code`: the code, once, for tokens."""
        client = self._authenticate(form, request)
        if isinstance(client, Reply):
            return client
        if not form.get("code"):
            return oauth_error("invalid_request", "Missing required parameter: code")
        with self._lock:  # a code is spent by its first use, whatever comes of it
            code = self._codes.pop(form["code"], None)
        if code is None or code.client_id != client or code.expires_at < time.time():
            return oauth_error("invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier")
        if not verifier:
            return oauth_error("invalid_grant", "Missing code verifier.")
        if s256(verifier) != code.challenge:
            return oauth_error("invalid_grant", "Invalid code verifier.")
        if code.subject not in self._subjects():
            return oauth_error("invalid_grant", "Bad Request")
        body = self._tokens(code.subject, code.scopes, client)
        if code.offline:
            token = "1//0sandbox-" + secrets.token_urlsafe(40)
            with self._lock:
                self._refresh[token] = _Refresh(client, code.subject, code.scopes)
            body["refresh_token"] = token
        return Reply.json(body)

    def refresh(self, form: dict[str, str], request: Request) -> Reply:
        """`grant_type=refresh_token`: a new access token (the refresh token stays)."""
        client = self._authenticate(form, request)
        if isinstance(client, Reply):
            return client
        if not form.get("refresh_token"):
            return oauth_error("invalid_request", "Missing required parameter: refresh_token")
        with self._lock:
            held = self._refresh.get(form["refresh_token"])
        if held is None or held.client_id != client:
            return oauth_error("invalid_grant", EXPIRED_OR_REVOKED)
        if held.subject not in self._subjects():  # suspended since: Google revokes
            return oauth_error("invalid_grant", EXPIRED_OR_REVOKED)
        asked = frozenset(form["scope"].split()) if form.get("scope") else held.scopes
        if not asked <= held.scopes:
            return oauth_error("invalid_scope", "Bad Request")
        return Reply.json(self._tokens(held.subject, asked, client))

    def revoke(self, person: str) -> int:
        """Revoke every refresh and access token `person` got by signing in; how many
        refresh tokens there were."""
        person = person.strip().lower()
        with self._lock:
            doomed = [t for t, r in self._refresh.items() if r.subject == person]
            for token in doomed:
                del self._refresh[token]
            self._consented = {(c, p) for c, p in self._consented if p != person}
        self._issuer.revoke_signed_in(person)
        return len(doomed)

    def expire_all(self) -> None:
        """Forget every access token of the server (see `TokenIssuer.expire_all`)."""
        self._issuer.expire_all()

    def _tokens(self, subject: str, scopes: frozenset[str], client: str) -> dict[str, object]:
        return {
            "access_token": self._issuer.mint(subject, scopes, client),
            "expires_in": TOKEN_LIFETIME_S,
            "scope": " ".join(sorted(scopes)),
            "token_type": "Bearer",
        }

    def _person(self, request: Request) -> str | None:
        """Who consents: `login_hint`, else the browser user; None when not a member."""
        chosen = request.arg("login_hint") or self.browser_user or self._admin() or ""
        person = chosen.strip().lower()
        return person if person in self._subjects() else None

    def _first_or_asked(self, request: Request, person: str) -> bool:
        """Whether this consent hands out a refresh token (first consent, or asked)."""
        assert self._client is not None
        key = (self._client.client_id, person)
        with self._lock:
            first = key not in self._consented
            self._consented.add(key)
        return first or "consent" in (request.arg("prompt") or "").split()

    def _authenticate(self, form: dict[str, str], request: Request) -> str | Reply:
        """The client id, authenticated by HTTP Basic or by form fields."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                pair = base64.b64decode(basic[6:]).decode()
            except ValueError:
                return oauth_error("invalid_client", "Unauthorized", 401)
            client_id, _, secret = (unquote(part) for part in pair.partition(":"))
        if self._client is None or client_id != self._client.client_id:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if not secrets.compare_digest(secret or "", self._client.client_secret):
            return oauth_error("invalid_client", "Unauthorized", 401)
        return client_id


def _problem(request: Request) -> tuple[str, str] | None:
    """What is wrong with an authorization request once its client and redirect are
    known good (the error goes back to the app), else None."""
    if request.arg("response_type") != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    scopes = (request.arg("scope") or "").split()
    if not scopes:
        return "invalid_request", "Missing required parameter: scope"
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        return "invalid_scope", f"Some requested scopes were invalid. {{invalid={unknown}}}"
    if not request.arg("code_challenge"):
        return "invalid_request", "Missing required parameter: code_challenge"
    if request.arg("code_challenge_method") != "S256":
        return "invalid_request", "Invalid code_challenge_method: S256 is required."
    if not CHALLENGE.fullmatch(request.arg("code_challenge") or ""):
        return "invalid_request", "Invalid code_challenge."
    return None


def _redirect(uri: str, params: dict[str, str]) -> Reply:
    joiner = "&" if urlsplit(uri).query else "?"
    return Reply(302, b"", {"Location": uri + joiner + urlencode(params)})


def _error_page(status: int, error: str, description: str) -> Reply:
    """The page Google shows instead of redirecting (the redirect cannot be trusted)."""
    body = f"Error {status}: {error}\n\n{description}\n".encode()
    return Reply(status, body, {"Content-Type": "text/plain; charset=utf-8"})


# The Consent objects serving each org, so controls can reach them from the org alone.
# Held weakly: a stopped server's consent goes with it, and the org is not kept alive.
# Keyed by id(org) with a weak reference to check it: an id is reused once its org is
# gone. Reentrant: a garbage collection inside `register` may run `_forget`.
_consents: dict[int, tuple[weakref.ref[SandboxOrg], weakref.WeakSet[Consent]]] = {}
_consents_lock = threading.RLock()


def register(org: SandboxOrg, consent: Consent) -> None:
    """Make `consent` reachable by the controls given `org` (while both live)."""
    key = id(org)
    with _consents_lock:
        found = _consents.get(key)
        if found is None or found[0]() is not org:
            found = _consents[key] = (weakref.ref(org), weakref.WeakSet())
            weakref.finalize(org, _forget, key)
        found[1].add(consent)


def _forget(key: int) -> None:
    with _consents_lock:
        found = _consents.get(key)
        if found is not None and found[0]() is None:
            del _consents[key]


def _served(org: SandboxOrg) -> list[Consent]:
    with _consents_lock:
        found = _consents.get(id(org))
        return list(found[1]) if found is not None and found[0]() is org else []


def set_browser_user(org: SandboxOrg, email: str | None) -> None:
    """Who is signed in to the browser that consents (None: the Workspace admin)."""
    for consent in _served(org):
        consent.browser_user = email.strip().lower() if email else None


def withhold_scopes(org: SandboxOrg, scopes: frozenset[str]) -> None:
    """The person unticks `scopes` on the consent page (Google's granular consent):
    the code grants the other scopes asked for only."""
    for consent in _served(org):
        consent.withheld = frozenset(scopes)


def expire_access_tokens(org: SandboxOrg) -> None:
    """Every access token expires at once (delegated ones too): clients must refresh."""
    for consent in _served(org):
        consent.expire_all()


def revoke_refresh_tokens(org: SandboxOrg, email: str) -> int:
    """`email` removes the app's access (or changes their password): their sign-in
    tokens stop working. How many refresh tokens were revoked."""
    return sum(consent.revoke(email) for consent in _served(org))
