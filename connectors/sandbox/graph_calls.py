"""Graph `communications/callRecords` over the sandbox org's call plan.

Served as v1.0 does (application permission `CallRecords.Read.All`; without it, 403
`Forbidden` with an empty message, as Graph answers):
- `GET /communications/callRecords` with `$filter` on `startDateTime` (`ge`, `gt`, `lt`,
  `le`, joined by `and`): the records without their relationships, by start, paged by
  `@odata.nextLink` (`Prefer: odata.maxpagesize`, `DEFAULT_PAGE` without it);
- `GET /communications/callRecords/{id}` with `$expand=sessions($expand=segments)` (or
  `$expand=sessions`): one record with its sessions, a page of `SESSION_PAGE` at most
  (`Prefer: odata.maxpagesize`) and the rest behind `sessions@odata.nextLink`, which is
- `GET /communications/callRecords/{id}/sessions?$expand=segments&$skiptoken=…`.

What is served is the plan of connectors/sandbox/calls.py: the call of every instance a
Microsoft member organised (`instance_call`) and the unscheduled calls of Microsoft
reporting lines (`adhoc_calls`), rendered by graph_call_render.py. Graph keeps a record
30 days: the sandbox's "now" is the anchor's midnight (UTC), the end of the org's past
(the plan holds only calls over by then), so a record that started more than
`RETENTION` before it is neither listed nor served (404).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.sandbox.builder import utc_midnight
from connectors.sandbox.calls import PlannedCall, adhoc_calls, instance_call
from connectors.sandbox.graph_call_render import record, record_id, sessions
from connectors.sandbox.graph_common import (
    GRAPH_PREFIX,
    GraphState,
    base_url,
    graph_error,
    prefer_page_size,
    refusal,
)
from connectors.sandbox.graph_views import OrgStamp
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

PERMISSION = "CallRecords.Read.All"
RETENTION = timedelta(days=30)
DEFAULT_PAGE = 60
MAX_PAGE = 1000
SESSION_PAGE = 60  # Graph's largest page of sessions (`Prefer: odata.maxpagesize` lowers it)
_RECORDS = GRAPH_PREFIX.replace(".", r"\.") + r"/communications/callRecords"
_CLAUSE = re.compile(r"^startDateTime\s+(ge|gt|le|lt)\s+(\S+)$")
_EXPANDS = {"sessions($expand=segments)", "sessions"}


@dataclass
class CallBook:
    """The org's records by id and in start order, for one state of the org."""

    stamp: OrgStamp | None = None
    by_id: dict[str, PlannedCall] | None = None
    ordered: list[PlannedCall] | None = None

    def calls(self, org: SandboxOrg) -> list[PlannedCall]:
        """Every planned Microsoft call, by start (the caller holds the state's lock)."""
        stamp = OrgStamp.of(org)
        if self.ordered is None or stamp != self.stamp:
            planned = microsoft_calls(org)
            planned.sort(key=lambda call: (call.start, call.call_id))
            self.stamp, self.ordered = stamp, planned
            self.by_id = {record_id(call.call_id): call for call in planned}
        return self.ordered


def microsoft_calls(org: SandboxOrg) -> list[PlannedCall]:
    """The calls the tenant records: instances its users organised, their ad-hoc calls."""
    tenant = {m.email.lower() for m in org.people if m.provider == "microsoft"}
    found = [
        call
        for instance in org.instances
        if instance.organizer.lower() in tenant
        and (call := instance_call(instance, "microsoft", org.anchor)) is not None
    ]
    unscheduled = adhoc_calls(org.people, org.history_start, org.anchor)
    return found + [call for call in unscheduled if call.provider == "microsoft"]


def sandbox_now(org: SandboxOrg) -> datetime:
    """The sandbox's present for call records: the anchor's midnight, UTC."""
    return utc_midnight(org.anchor)


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def parse_filter(text: str | None) -> list[tuple[str, datetime]] | None:
    """`startDateTime op instant` clauses joined by `and`; None when not of that form."""
    if not text:
        return []
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        found = _CLAUSE.match(part.strip())
        moment = _instant(found.group(2)) if found else None
        if found is None or moment is None:
            return None
        clauses.append((found.group(1), moment))
    return clauses


def _passes(start: datetime, clauses: list[tuple[str, datetime]]) -> bool:
    tests = {
        "ge": lambda t: start >= t,
        "gt": lambda t: start > t,
        "le": lambda t: start <= t,
        "lt": lambda t: start < t,
    }
    return all(tests[op](moment) for op, moment in clauses)


def _offset(token: str | None) -> int | None:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError:
        return None


def _next_link(request: Request, path: str, offset: int) -> str:
    query = {k: v[0] for k, v in request.query.items() if k != "$skiptoken"}
    query["$skiptoken"] = base64.urlsafe_b64encode(str(offset).encode()).decode()
    return f"{base_url(request)}{path}?{urlencode(query, safe='$(),=:')}"


def list_records(state: GraphState, book: CallBook, request: Request) -> Reply:
    """GET /communications/callRecords: the retained records passing `$filter`, paged."""
    refused = refusal(state, request, PERMISSION)
    if refused is not None:
        return refused
    clauses = parse_filter(request.arg("$filter"))
    if clauses is None:
        return graph_error(
            400,
            "BadRequest",
            "Invalid filter clause: only startDateTime with ge, gt, le or lt is supported.",
        )
    start = _offset(request.arg("$skiptoken"))
    if start is None:
        return graph_error(400, "BadRequest", "Invalid $skiptoken.")
    size = prefer_page_size(request, DEFAULT_PAGE, MAX_PAGE)
    with state.lock:
        oldest = sandbox_now(state.org) - RETENTION
        kept = (c for c in book.calls(state.org) if c.start >= oldest)
        shown = [call for call in kept if _passes(call.start, clauses)]
        members, tenant = state.members(), state.tenant_id
        value = [record(call, members, tenant) for call in shown[start : start + size]]
    body: dict[str, Any] = {
        "@odata.context": f"{base_url(request)}/$metadata#communications/callRecords",
        "value": value,
    }
    if start + size < len(shown):
        body["@odata.nextLink"] = _next_link(request, "/communications/callRecords", start + size)
    reply = Reply.json(body)
    reply.headers["Preference-Applied"] = f"odata.maxpagesize={size}"
    return reply


def _retained(state: GraphState, book: CallBook, request: Request) -> PlannedCall | Reply:
    """The record the path names, or the reply refusing it (404 past retention)."""
    refused = refusal(state, request, PERMISSION)
    if refused is not None:
        return refused
    key = request.match.group("record") if request.match else ""
    with state.lock:
        book.calls(state.org)
        call = (book.by_id or {}).get(key.lower())
        oldest = sandbox_now(state.org) - RETENTION
    if call is None or call.start < oldest:
        return graph_error(404, "NotFound", f"Call record '{key}' was not found.")
    return call


def _session_page(
    state: GraphState, call: PlannedCall, request: Request, start: int
) -> tuple[list[Any], str | None]:
    with state.lock:
        every = sessions(call, state.members(), state.tenant_id)
    rest = start + prefer_page_size(request, SESSION_PAGE, SESSION_PAGE)
    path = f"/communications/callRecords/{record_id(call.call_id)}/sessions"
    link = _next_link(request, path, rest) if rest < len(every) else None
    return every[start:rest], link


def get_record(state: GraphState, book: CallBook, request: Request) -> Reply:
    """GET /communications/callRecords/{id}, sessions expanded when asked."""
    call = _retained(state, book, request)
    if isinstance(call, Reply):
        return call
    expand = request.arg("$expand")
    if expand is not None and expand.replace(" ", "") not in _EXPANDS:
        return graph_error(
            400, "BadRequest", "The sandbox expands only sessions($expand=segments)."
        )
    with state.lock:
        body = record(call, state.members(), state.tenant_id)
    body["@odata.context"] = f"{base_url(request)}/$metadata#communications/callRecords/$entity"
    if expand is not None:
        page, link = _session_page(state, call, _sessions_query(request), 0)
        body["sessions"] = page
        if link is not None:
            body["sessions@odata.nextLink"] = link
    return Reply.json(body)


def _sessions_query(request: Request) -> Request:
    """The request as its sessions' nextLink carries it: `$expand=segments` only."""
    return Request(request.method, request.path, {"$expand": ["segments"]}, request.headers, b"")


def list_sessions(state: GraphState, book: CallBook, request: Request) -> Reply:
    """GET /communications/callRecords/{id}/sessions: the next page of a record's sessions."""
    call = _retained(state, book, request)
    if isinstance(call, Reply):
        return call
    start = _offset(request.arg("$skiptoken"))
    if start is None:
        return graph_error(400, "BadRequest", "Invalid $skiptoken.")
    page, link = _session_page(state, call, request, start)
    context = f"{base_url(request)}/$metadata#communications/callRecords('{call.call_id}')/sessions"
    body: dict[str, Any] = {"@odata.context": context, "value": page}
    if link is not None:
        body["@odata.nextLink"] = link
    return Reply.json(body)


def call_record_routes(state: GraphState) -> list[Route]:
    """Routes of the call records API for `state`'s org."""
    book = CallBook()
    one = _RECORDS + r"/(?P<record>[0-9a-fA-F-]{36})"
    return [
        ("GET", _RECORDS, lambda request: list_records(state, book, request)),
        ("GET", one, lambda request: get_record(state, book, request)),
        ("GET", one + "/sessions", lambda request: list_sessions(state, book, request)),
    ]
