"""Shared state of the sandbox Google APIs: auth, tokens and a per-version org index."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.sandbox.google_auth import Grant, TokenIssuer
from connectors.sandbox.google_cache import RenderCache
from connectors.sandbox.google_consent import Consent, InstalledClient, register
from connectors.sandbox.google_render import changed_at, is_on_calendar
from connectors.sandbox.google_sync import SyncStore
from connectors.sandbox.google_tokens import TokenCodec
from connectors.sandbox.model import Instance, Member, SandboxOrg
from connectors.sandbox.server import Reply, Request

SCOPE_ROOT = "https://www.googleapis.com/auth/"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def google_error(status: int, reason: str, message: str, **headers: str) -> Reply:
    """An error reply in the Google JSON API shape (tests use it to build faults)."""
    error = {"domain": "global", "reason": reason, "message": message}
    body = {"error": {"errors": [error], "code": status, "message": message}}
    return Reply.json(body, status, **headers)


@dataclass(frozen=True)
class OrgIndex:
    """Lookups over one version of the org, rebuilt when `SandboxOrg.version` moves."""

    version: int
    members: dict[str, Member]  # Google members by email
    names: dict[str, str]  # every person's display name
    subjects: frozenset[str]  # active Google members: who a token may impersonate
    admin: str | None  # the Workspace admin (may read the audit log)


def workspace_admin(org: SandboxOrg) -> str | None:
    """The org's one Google Workspace admin: its first active Google member."""
    return next((m.email for m in org.people if m.provider == "google" and m.active), None)


def build_index(org: SandboxOrg) -> OrgIndex:
    """Index the org's people (calendars are read one at a time, `copies`)."""
    members = {m.email: m for m in org.people if m.provider == "google"}
    names = {m.email: m.name for m in org.people}
    subjects = frozenset(email for email, m in members.items() if m.active)
    return OrgIndex(org.version, members, names, subjects, workspace_admin(org))


def copies(org: SandboxOrg, calendar: str) -> list[Instance]:
    """The instances with a copy on the Google `calendar`, in the calendar's order."""
    return [i for i in org.calendar(calendar) if is_on_calendar(i, calendar)]


def watermark(held: list[Instance]) -> datetime:
    """The latest change of a calendar's copies (the listing's `updated`)."""
    return max((changed_at(i) for i in held), default=EPOCH)


class GoogleState:
    """What every Google route shares; one per served org."""

    def __init__(
        self, org: SandboxOrg, public_key_pem: bytes, client: InstalledClient | None = None
    ) -> None:
        self.org = org
        self.codec = TokenCodec()
        self.sync = SyncStore()
        self.renders = RenderCache()
        self.issuer = TokenIssuer(public_key_pem, self._subjects)
        self.consent = Consent(self.issuer, self._subjects, lambda: self.index().admin, client)
        register(org, self.consent)
        self._index: OrgIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> OrgIndex:
        """The index of the org's current version."""
        with self._lock:
            if self._index is None or self._index.version != self.org.version:
                self._index = build_index(self.org)
            return self._index

    def authorise(self, request: Request, scopes: set[str]) -> Grant | Reply:
        """The request's grant when it holds one of `scopes`, else the error reply."""
        grant = self.issuer.grant(request)
        if grant is None:
            return google_error(401, "authError", "Request had invalid authentication credentials.")
        if not grant.scopes & {SCOPE_ROOT + s for s in scopes}:
            return google_error(403, "insufficientPermissions", "Insufficient Permission")
        return grant

    def _subjects(self) -> frozenset[str]:
        return self.index().subjects


def time_arg(request: Request, name: str, invalid: Reply) -> datetime | Reply | None:
    """An RFC 3339 query argument with its offset; None when absent; `invalid` (each
    API words its own 400) when it does not parse or has no offset."""
    raw = request.arg(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return invalid
    return invalid if moment.tzinfo is None else moment


def int_arg(request: Request, name: str, default: int, ceiling: int) -> int | Reply:
    """A positive integer query argument, capped at `ceiling`, or a 400 reply."""
    raw = request.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        return google_error(400, "invalid", f"Invalid value for {name}: {raw}")
    return min(value, ceiling)


def page_of(items: list[Any], offset: int, size: int) -> tuple[list[Any], int | None]:
    """One page of `items` and the offset of the next page (None on the last)."""
    end = offset + size
    return items[offset:end], (end if end < len(items) else None)
