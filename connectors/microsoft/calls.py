"""Microsoft Teams attendance through Graph `communications/callRecords`.

Graph lists call records by `startDateTime` without their relationships; each record's
sessions (who was in the call, from when to when) come from `GET
/communications/callRecords/{id}?$expand=sessions($expand=segments)`, paged as
`sessions@odata.nextLink`. A session's participant endpoints name people by directory
id (`associatedIdentity.id`); ids are turned into addresses through the tenant's user
list, read once per source (`/users?$select=id,mail,userPrincipalName`); a person from
another tenant is known by the `userPrincipalName` the record carries, if any. Only
roster people are kept: guests, phones, devices and the conferencing service are
dropped. Graph keeps records 30 days: older calls are not there to read.

Application permissions: `CallRecords.Read.All` (records) and `User.Read.All` (ids to
addresses), both with admin consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from connectors.limits import Waits
from connectors.microsoft.auth import TokenProvider
from connectors.microsoft.calendar import graph_instant
from connectors.microsoft.client import (
    GraphClient,
    GraphForbiddenError,
    JsonObject,
    Tally,
    make_http_client,
)
from connectors.microsoft.directory import user_email
from connectors.microsoft.normalise import parse_instant
from connectors.microsoft.paging import NextLinkPaginator, relative_url
from connectors.model import CallBatch, CallPresence, Provider, meeting_key
from connectors.portable import Portable
from connectors.retry import RetryPolicy
from connectors.settings import HttpSettings, MicrosoftSettings
from core.errors import AuthError, FatalSourceError

RECORDS_PERMISSION = "CallRecords.Read.All"
USERS_PERMISSION = "User.Read.All"
# Records are listed by start; a call ending in the window started at most this long
# before it (a longer call is no 1:1, and is missed).
LONGEST_CALL = timedelta(days=1)
EXPAND_SESSIONS = "sessions($expand=segments)"
_PARTICIPANT = "#microsoft.graph.callRecords.participantEndpoint"


@dataclass(frozen=True)
class Attendee:
    """Who a participant endpoint names: a directory id, and an address when it has one."""

    user_id: str
    principal: str | None


@dataclass(frozen=True)
class Session:
    """One participant's session: who, from when to when."""

    attendee: Attendee
    joined_at: datetime
    left_at: datetime


def _attendee(endpoint: Any) -> Attendee | None:
    """The person behind a session endpoint; None for a service, bot or empty one."""
    if not isinstance(endpoint, Mapping) or endpoint.get("@odata.type") != _PARTICIPANT:
        return None
    who = endpoint.get("associatedIdentity")
    if not isinstance(who, Mapping) or not who.get("id"):
        return None
    principal = who.get("userPrincipalName")
    return Attendee(str(who["id"]).lower(), str(principal).strip().lower() if principal else None)


def sessions_of(entries: Iterable[Any]) -> list[Session]:
    """Every participant's time in a record's sessions (caller and callee alike: a
    peer-to-peer session has both people in it from its start to its end)."""
    found = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        start = parse_instant(entry.get("startDateTime"))
        end = parse_instant(entry.get("endDateTime"))
        if start is None or end is None:
            continue
        for side in ("caller", "callee"):
            attendee = _attendee(entry.get(side))
            if attendee is not None:
                found.append(Session(attendee, start, end))
    return found


def presences(
    record: Mapping[str, Any],
    sessions: Iterable[Session],
    emails: Mapping[str, str],
    roster: frozenset[str],
) -> list[CallPresence]:
    """One presence per roster person in the record: first join to last leave.

    `emails` maps directory ids to addresses; a session whose id is not there counts by
    its `userPrincipalName`. A person who dropped out and rejoined is one presence: the
    question is whether they were in the call, and the gap is a reconnection, not a
    second meeting.
    """
    link = record.get("joinWebUrl")
    key = meeting_key("microsoft", str(link)) if link else None
    spans: dict[str, tuple[datetime, datetime]] = {}
    for session in sessions:
        email = emails.get(session.attendee.user_id) or session.attendee.principal
        if email is None or email not in roster:
            continue
        first, last = spans.get(email, (session.joined_at, session.left_at))
        spans[email] = (min(first, session.joined_at), max(last, session.left_at))
    call_id = str(record["id"])
    return [
        CallPresence("microsoft", call_id, key, email, joined, left)
        for email, (joined, left) in sorted(spans.items())
    ]


class MicrosoftCallSource(Portable):
    """`CallSource` for Teams calls of the roster's people. One per run."""

    provider: Provider = "microsoft"

    def __init__(
        self,
        settings: MicrosoftSettings,
        http: HttpSettings,
        roster: frozenset[str],
        retry: RetryPolicy | None = None,
        *,
        client: httpx.Client | None = None,
        client_certificate: Mapping[str, str] | None = None,
        page_size: int = 60,
    ) -> None:
        if client is None:  # an injected client stays with its caller: no recipe
            self.remember(
                settings,
                http,
                roster,
                retry,
                client_certificate=client_certificate,
                page_size=page_size,
            )
        self._owns_client = client is None
        self._client = client or make_http_client(http)
        tokens = TokenProvider(settings, self._client, client_certificate)
        self.waits = Waits()
        retry = replace(retry or RetryPolicy(), waits=self.waits)
        self.graph = GraphClient(settings.graph_endpoint, self._client, tokens, retry)
        self._roster = frozenset(email.lower() for email in roster)
        self._workers = max(1, http.max_concurrency)
        self._prefer = {"Prefer": f"odata.maxpagesize={page_size}"}
        self._emails: dict[str, str] | None = None  # directory id -> address, read once

    def read_calls(self, since: datetime, until: datetime) -> CallBatch:
        """Presences of roster people in calls that ended in [since, until)."""
        tally = Tally()
        try:
            listed = self._records(since - LONGEST_CALL, until, tally)
            ended = [r for r in listed if _ended_within(r, since, until)]
            with ThreadPoolExecutor(max_workers=self._workers) as pool:
                read = list(pool.map(self._sessions, ended))
        except GraphForbiddenError as error:
            reason = "read Teams call records"
            raise AuthError(_missing(RECORDS_PERMISSION, reason, error)) from None
        found: list[CallPresence] = []
        if read:
            emails = self._directory(tally)
            for record, (sessions, requests) in zip(ended, read, strict=True):
                tally.requests += requests
                found += presences(record, sessions, emails, self._roster)
        found.sort(key=lambda p: (p.joined_at, p.call_id, p.email))
        return CallBatch("microsoft", found, since, until, tally.requests)

    def _records(self, since: datetime, until: datetime, tally: Tally) -> list[JsonObject]:
        """The records that started in [since, until), every page."""
        start, end = graph_instant(since), graph_instant(until)
        window = f"startDateTime ge {start} and startDateTime lt {end}"
        url = self.graph.url("/communications/callRecords")
        paginator = NextLinkPaginator(
            "the call records", url, {"$filter": window}, endpoint=self.graph.endpoint
        )
        pages = self.graph.pages(paginator, tally, self._prefer)
        return [record for page in pages for record in page.get("value") or ()]

    def _sessions(self, record: Mapping[str, Any]) -> tuple[list[Session], int]:
        """The record's sessions, every page of them, and the requests that took."""
        tally = Tally()
        key = quote(str(record.get("id") or ""))
        subject = f"call record {key}"
        url = self.graph.url(f"/communications/callRecords/{key}")
        params = {"$expand": EXPAND_SESSIONS}
        full = self.graph.get(url, subject, tally, params, self._prefer)
        entries = list(full.get("sessions") or ())
        link = full.get("sessions@odata.nextLink")
        if link:
            if relative_url(str(link), self.graph.endpoint) is None:
                raise FatalSourceError(f"Graph sent a nextLink outside its endpoint for {subject}")
            paginator = NextLinkPaginator(subject, str(link), endpoint=self.graph.endpoint)
            pages = self.graph.pages(paginator, tally, self._prefer)
            entries += [entry for page in pages for entry in page.get("value") or ()]
        return sessions_of(entries), tally.requests

    def _directory(self, tally: Tally) -> dict[str, str]:
        """Directory id → address of every user of the tenant, read once per source."""
        if self._emails is not None:
            return self._emails
        params = {"$select": "id,mail,userPrincipalName", "$top": "999"}
        paginator = NextLinkPaginator(
            "the user list", self.graph.url("/users"), params, endpoint=self.graph.endpoint
        )
        try:
            pages = self.graph.pages(paginator, tally)
            users = [user for page in pages for user in page.get("value") or ()]
        except GraphForbiddenError as error:
            reason = "turn call participants' ids into addresses"
            raise AuthError(_missing(USERS_PERMISSION, reason, error)) from None
        self._emails = {
            str(u["id"]).lower(): email for u in users if u.get("id") and (email := user_email(u))
        }
        return self._emails

    def close(self) -> None:
        """Close the HTTP client if this source created it (an injected one is the caller's)."""
        if self._owns_client:
            self._client.close()


def _ended_within(record: Mapping[str, Any], since: datetime, until: datetime) -> bool:
    end = parse_instant(record.get("endDateTime"))
    return end is not None and since <= end < until


def _missing(permission: str, purpose: str, error: Exception) -> str:
    return (
        f"Microsoft Graph refused to {purpose}: the app registration needs the application "
        f"permission {permission} with admin consent ({error})"
    )
