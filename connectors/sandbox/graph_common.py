"""Shared pieces of the sandbox's Microsoft side: ids, errors, auth, request parsing."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from connectors.sandbox.graph_grants import Delegation, Grants
from connectors.sandbox.graph_views import MailboxIndex
from connectors.sandbox.model import Member, SandboxOrg
from connectors.sandbox.server import Reply, Request
from connectors.sandbox.throttle import MailboxConcurrency

if TYPE_CHECKING:
    from connectors.sandbox.graph_cache import RenderCache

GRAPH_PREFIX = "/graph/v1.0"
_ID_NAMESPACE = uuid.UUID("6f0b4a52-3c52-4f57-9a55-0e3f8f0d1a11")
# The application permissions an app registration of the sandbox holds by default (with
# admin consent): a token carries those granted when it was issued, as Graph's `roles`.
APP_ROLES = frozenset({"Calendars.Read", "User.Read.All", "CallRecords.Read.All"})
_PAGE_SIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)")
_TIMEZONE = re.compile(r'outlook\.timezone\s*=\s*"([^"]+)"')


def user_id(email: str) -> str:
    """The stable directory object id (a GUID) of a member."""
    return str(uuid.uuid5(_ID_NAMESPACE, email.lower()))


def opaque_id(*parts: str, prefix: str = "AAMkAG") -> str:
    """A Graph-looking opaque id, stable for the same parts (ids differ per mailbox)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _stdlib_json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


try:  # orjson (installed with Prefect) encodes pages of 1,000 events ~6 times faster
    from orjson import dumps as _fast_json
except ImportError:  # pragma: no cover - the standard library gives the same bytes, slower
    _fast_json = _stdlib_json  # type: ignore[assignment]


def encode_json(payload: Any) -> bytes:
    """Compact JSON bytes of `payload`."""
    return bytes(_fast_json(payload))


def graph_error(status: int, code: str, message: str) -> Reply:
    """A Graph error body: `{"error": {"code", "message", "innerError"}}`."""
    inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": _uuid()}
    return Reply.json({"error": {"code": code, "message": message, "innerError": inner}}, status)


def _uuid() -> str:
    return str(uuid.uuid4())


def base_url(request: Request) -> str:
    """The Graph root as the client addressed it, e.g. https://127.0.0.1:8443/graph/v1.0."""
    return f"https://{request.headers.get('host', '127.0.0.1')}{GRAPH_PREFIX}"


def prefer_page_size(request: Request, default: int, ceiling: int) -> int:
    """`Prefer: odata.maxpagesize=N`, clamped to [1, ceiling]."""
    found = _PAGE_SIZE.search(request.headers.get("prefer", ""))
    return max(1, min(ceiling, int(found.group(1)))) if found else default


def prefer_timezone(request: Request) -> str:
    """`Prefer: outlook.timezone="..."`; Graph renders in UTC without it."""
    found = _TIMEZONE.search(request.headers.get("prefer", ""))
    return found.group(1) if found else "UTC"


@dataclass
class GraphState:
    """Everything the Microsoft endpoints remember between requests."""

    org: SandboxOrg
    tenant_id: str
    client_id: str
    client_secret: str
    tokens: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=lambda: set(APP_ROLES))  # granted to the app now
    token_roles: dict[str, frozenset[str]] = field(default_factory=dict)  # token -> its roles
    certificates: list[Any] = field(default_factory=list)  # x509 certificates of the app
    batch_faults: list[Any] = field(default_factory=list)  # server.Fault for inner requests
    mailbox_limit: MailboxConcurrency = field(default_factory=MailboxConcurrency)  # 4 at once
    skip: dict[str, Any] = field(default_factory=dict)  # skiptoken -> pending page state
    deltas: dict[str, Any] = field(default_factory=dict)  # deltatoken -> DeltaState
    lock: threading.RLock = field(default_factory=threading.RLock)
    index: MailboxIndex = field(default_factory=MailboxIndex)
    renders: RenderCache = field(default_factory=lambda: _render_cache())
    grants: Grants = field(default_factory=Grants)  # people signed in to the public client
    _members: tuple[tuple[int, int], dict[str, Member]] = field(default=((0, 0), {}), repr=False)
    _by_email: tuple[tuple[int, int], dict[str, Member]] = field(default=((0, 0), {}), repr=False)

    def __post_init__(self) -> None:
        # One lock for both: sign-ins and tokens change together.
        self.grants.lock = self.lock

    def issue_token(self) -> str:
        """A fresh opaque bearer token."""
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.token_roles[token] = frozenset(self.roles)
        return token

    def issue_delegated(self, user: str, scopes: frozenset[str]) -> str:
        """A fresh access token acting for `user` within `scopes` (no app roles)."""
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
            self.token_roles[token] = frozenset()
            self.grants.delegations[token] = Delegation(user, scopes)
        return token

    def delegation(self, request: Request) -> Delegation | None:
        """Who a valid delegated token acts for; None for an app-only or unknown token."""
        with self.lock:
            token = request.bearer or ""
            return self.grants.delegations.get(token) if token in self.tokens else None

    def forget_tokens(self, tokens: list[str] | None = None) -> None:
        """Forget `tokens` (None: every access token): Graph answers 401 to them."""
        with self.lock:
            for token in list(self.tokens) if tokens is None else tokens:
                self.tokens.discard(token)
                self.token_roles.pop(token, None)
                self.grants.delegations.pop(token, None)

    def authorised(self, request: Request) -> bool:
        """Whether the request carries a token this tenant issued."""
        with self.lock:
            return request.bearer in self.tokens

    def has_role(self, request: Request, role: str) -> bool:
        """Whether the request's token was issued with the application permission `role`."""
        with self.lock:
            return role in self.token_roles.get(request.bearer or "", frozenset())

    def new_token(self, state: Any, book: str) -> str:
        """Store `state` under a fresh token in `skip` or `deltas`."""
        token = secrets.token_urlsafe(18)
        with self.lock:
            getattr(self, book)[token] = state
        return token

    def member(self, key: str) -> Member | None:
        """A member by directory id or UPN/mail (case-insensitive)."""
        return self._lookup().get(unquote(key).lower())

    def members(self) -> dict[str, Member]:
        """Members by lower-case email (a shared table: do not modify it)."""
        # Built once per org and head count: rebuilding it per rendered event cost more
        # than the rendering itself.
        with self.lock:
            stamp = (id(self.org), len(self.org.people))
            if self._by_email[0] != stamp:
                self._by_email = (stamp, {m.email.lower(): m for m in self.org.people})
            return self._by_email[1]

    def _lookup(self) -> dict[str, Member]:
        # Directory ids are uuid5 hashes: computing them per request for every member
        # made each request cost O(people) hashes. People are never renamed, so the
        # table only needs rebuilding when the org or its head count changes.
        with self.lock:
            stamp = (id(self.org), len(self.org.people))
            if self._members[0] != stamp:
                table = {m.email.lower(): m for m in self.org.people}
                table.update({user_id(m.email): m for m in self.org.people})
                self._members = (stamp, table)
            return self._members[1]


def _render_cache() -> RenderCache:
    # Imported here: the cache renders with graph_render, which needs this module's ids.
    from connectors.sandbox.graph_cache import RenderCache

    return RenderCache()


def unauthorised() -> Reply:
    """Graph's answer to a missing or unknown bearer token."""
    return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")


# Graph's 403 when a token lacks the permission, per permission (the call records API
# names no permission: its message is empty).
_DENIALS = {
    "Calendars.Read": ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    "User.Read.All": (
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    ),
    "CallRecords.Read.All": ("Forbidden", ""),
}


def refusal(state: GraphState, request: Request, role: str) -> Reply | None:
    """None when the request's token is valid and carries `role`, else Graph's 401 or 403."""
    if not state.authorised(request):
        return unauthorised()
    if state.has_role(request, role):
        return None
    code, message = _DENIALS[role]
    return graph_error(403, code, message)
