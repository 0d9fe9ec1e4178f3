"""Admin SDK Reports API `activities.list` for Google Meet: who joined which call.

`GET /admin/reports/v1/activity/users/{userKey}/applications/meet` (the path the
client library builds from its static discovery document) serves one `call_ended`
activity per participant endpoint, as the real API does, for the calls of the one
call plan (`calls.py`) that Google serves: those of held online instances organised
by a Google member (`instance_call`) and the ad-hoc calls of Google reporting lines
(`adhoc_calls`, from the org's first day of history). Both carry a meeting code: an
instance its event's Meet code, an ad-hoc call one of its own (so it matches no
event), and only scheduled calls carry `calendar_event_id`. A few calls also have a
dial-in endpoint (`identifier_type` `phone_number`), which a connector must drop.

- Only a token of the Workspace admin (`google_state.workspace_admin`) with the scope
  `admin.reports.audit.readonly` may read it: another scope is 403
  `insufficientPermissions`, another subject 403 `forbidden`.
- `startTime` (inclusive) and `endTime` (exclusive) bound `id.time`, the moment the
  endpoint left; `eventName` filters by event; `userKey` is `all` or one email.
- Newest first; `maxResults` 1000 by default and at most 1000; `nextPageToken`
  resumes after the last activity served (a keyset, so activities published between
  two pages do not shift the pages); `fields` masks the answer.
- Late arrival: Meet's records reach the Reports API hours after the call. While
  `SandboxOrg.late_calls_held` is set (`hold_late_activities`), the `LATE_SHARE` of
  endpoints picked by `is_late` is not published; `release_late_activities`
  publishes them, so a test can show that the next read picks them up.

The activities of one org version are built once and cached.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from connectors.sandbox.calls import PlannedCall, adhoc_calls, instance_call, meet_code
from connectors.sandbox.google_fields import FieldsError, apply_mask, parse_fields
from connectors.sandbox.google_render import event_id, rfc3339_utc
from connectors.sandbox.google_state import GoogleState, OrgIndex, google_error, int_arg
from connectors.sandbox.google_tokens import fingerprint
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

REPORTS_PATH = r"/admin/reports/v1/activity/users/([^/]+)/applications/([^/]+)"
AUDIT_SCOPES = {"admin.reports.audit.readonly"}
CUSTOMER_ID = "C03sandbox"
LATE_SHARE = 0.1  # of participant endpoints: published late
PHONE_SHARE = 0.05  # of calls: someone also dialled in by phone
MAX_RESULTS = 1000
_NOT_IN_FINGERPRINT = frozenset({"pageToken", "maxResults", "prettyPrint", "alt", "fields"})


def hold_late_activities(org: SandboxOrg) -> None:
    """Keep the late share of activities unpublished (usable with `server.mutate`)."""
    org.late_calls_held = True


def release_late_activities(org: SandboxOrg) -> None:
    """Publish the activities held back by `hold_late_activities`."""
    org.late_calls_held = False


def _fraction(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_late(call_id: str, email: str) -> bool:
    """Whether this endpoint's activity is in the share that reaches the API late."""
    return _fraction("late", call_id, email) < LATE_SHARE


@dataclass(frozen=True)
class Activity:
    """One served activity: its sort key, who it is about, and its resource."""

    time: datetime  # id.time: when the endpoint left
    qualifier: int  # id.uniqueQualifier
    identifier: str
    late: bool
    body: dict[str, Any]

    @property
    def key(self) -> tuple[str, int]:
        return rfc3339_utc(self.time), self.qualifier


def google_calls(org: SandboxOrg) -> list[tuple[PlannedCall, str | None]]:
    """Every call Google serves, with its calendar event id (None: ad-hoc)."""
    found: list[tuple[PlannedCall, str | None]] = []
    for member in org.people:
        if member.provider != "google":
            continue
        for instance in org.calendar(member.email):
            if instance.organizer != member.email:
                continue
            call = instance_call(instance, "google", org.anchor)
            if call is not None:
                found.append((call, event_id(instance)))
    adhoc = adhoc_calls(org.people, org.history_start, org.anchor)
    found += [(call, None) for call in adhoc if call.provider == "google"]
    return found


def call_meet_code(call: PlannedCall) -> str:
    """The call's Meet code as the audit log writes it ("ABCDEFGHIJ"): its meeting's
    code, or an ad-hoc call's own."""
    code = call.code or hashlib.sha256(f"adhoc-meeting|{call.call_id}".encode()).hexdigest()
    return meet_code(code).replace("-", "").upper()


def _parameters(pairs: list[tuple[str, str | int | bool]]) -> list[dict[str, Any]]:
    """Reports API parameters: strings as `value`, ints as `intValue`, bools as `boolValue`."""
    out: list[dict[str, Any]] = []
    for name, value in pairs:
        if isinstance(value, bool):
            out.append({"name": name, "boolValue": value})
        elif isinstance(value, int):
            out.append({"name": name, "intValue": str(value)})
        else:
            out.append({"name": name, "value": value})
    return out


def _activity(
    call: PlannedCall,
    calendar_event_id: str | None,
    endpoint: tuple[str, str, datetime, datetime],
    names: dict[str, str],
) -> Activity:
    """The `call_ended` activity of one endpoint: (identifier, its type, joined, left)."""
    identifier, kind, joined_at, left_at = endpoint
    salt = f"{call.call_id}|{identifier}|{joined_at.isoformat()}"
    digest = hashlib.sha256(salt.encode()).digest()
    qualifier = int.from_bytes(digest[:8], "big") >> 1
    organizer = call.presences[0].email
    pairs: list[tuple[str, str | int | bool]] = [
        ("identifier", identifier),
        ("identifier_type", kind),
        ("duration_seconds", int((left_at - joined_at).total_seconds())),
        ("meeting_code", call_meet_code(call)),
        ("conference_id", call.call_id),
        ("organizer_email", organizer),
        ("device_type", "web" if kind == "email_address" else "pstn_in"),
        ("display_name", names.get(identifier, identifier)),
        ("endpoint_id", f"meet_{digest[8:16].hex()}"),
        ("is_external", False),
    ]
    if calendar_event_id is not None:
        pairs.insert(5, ("calendar_event_id", calendar_event_id))
    actor: dict[str, Any] = {"callerType": "USER"}
    if kind == "email_address":
        actor["email"] = identifier
    body = {
        "kind": "admin#reports#activity",
        "id": {
            "time": rfc3339_utc(left_at),
            "uniqueQualifier": str(qualifier),
            "applicationName": "meet",
            "customerId": CUSTOMER_ID,
        },
        "etag": f'"{digest[16:24].hex()}"',
        "actor": actor,
        "events": [{"type": "call", "name": "call_ended", "parameters": _parameters(pairs)}],
    }
    late = kind == "email_address" and is_late(call.call_id, identifier)
    return Activity(left_at, qualifier, identifier, late, body)


def _phone_number(call: PlannedCall) -> str:
    digits = int(hashlib.sha256(f"phone|{call.call_id}".encode()).hexdigest()[:4], 16) % 100
    return f"+1 555-01{digits:02d}"


def activities_of(org: SandboxOrg, names: dict[str, str]) -> list[Activity]:
    """Every activity of the org's Google calls, newest first (late ones included)."""
    found: list[Activity] = []
    for call, calendar_event_id in google_calls(org):
        endpoints = [(p.email, "email_address", p.joined_at, p.left_at) for p in call.presences]
        if _fraction("phone", call.call_id) < PHONE_SHARE:
            endpoints.append((_phone_number(call), "phone_number", call.start, call.end))
        found += [_activity(call, calendar_event_id, e, names) for e in endpoints]
    found.sort(key=lambda a: a.key, reverse=True)
    return found


class MeetReports:
    """The Reports API route over one `GoogleState`; activities cached per org version."""

    def __init__(self, state: GoogleState) -> None:
        self.state = state
        self._cached: tuple[int, list[Activity]] | None = None
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [("GET", REPORTS_PATH, self.list_activities)]

    def activities(self, index: OrgIndex) -> list[Activity]:
        """The activities of the org's current version, newest first (held ones included)."""
        with self._lock:
            if self._cached is None or self._cached[0] != index.version:
                self._cached = (index.version, activities_of(self.state.org, index.names))
            return self._cached[1]

    def list_activities(self, request: Request) -> Reply:
        """`GET /admin/reports/v1/activity/users/{userKey}/applications/{applicationName}`."""
        grant = self.state.authorise(request, AUDIT_SCOPES)
        if isinstance(grant, Reply):
            return grant
        index = self.state.index()
        if grant.subject != index.admin:
            return google_error(403, "forbidden", "Not Authorized to access this resource/api")
        query = _Query.parse(request, self.state)
        if isinstance(query, Reply):
            return query
        held = self.state.org.late_calls_held
        activities = self.activities(index)
        served = [a for a in activities if query.selects(a) and not (held and a.late)]
        page = served[: query.size]
        body: dict[str, Any] = {"kind": "admin#reports#activities", "etag": f'"{index.version}"'}
        if page:
            body["items"] = [a.body for a in page]
        if len(served) > query.size:
            payload = {"after": list(page[-1].key), "query": query.fingerprint}
            body["nextPageToken"] = self.state.codec.encode("activities", payload)
        return Reply.json(apply_mask(body, query.mask))


@dataclass(frozen=True)
class _Query:
    """What one activities.list request asks for."""

    user: str  # "all" or an email
    application: str
    event_name: str | None
    start: datetime | None
    end: datetime | None
    after: tuple[str, int] | None  # the key of the last activity of the previous page
    size: int
    mask: Any
    fingerprint: str

    @classmethod
    def parse(cls, request: Request, state: GoogleState) -> _Query | Reply:
        assert request.match is not None
        size = int_arg(request, "maxResults", MAX_RESULTS, MAX_RESULTS)
        start, end = _instant(request, "startTime"), _instant(request, "endTime")
        for found in (size, start, end):
            if isinstance(found, Reply):
                return found
        assert not isinstance(start, Reply) and not isinstance(end, Reply)
        assert isinstance(size, int)
        if start is not None and end is not None and start >= end:
            return google_error(400, "invalid", "Start time must be before the end time.")
        try:
            mask = parse_fields(request.arg("fields") or "*")
        except FieldsError:
            raw = request.arg("fields")
            return google_error(400, "invalidParameter", f"Invalid field selection {raw}")
        text = request.path + fingerprint(request.query, _NOT_IN_FINGERPRINT)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        after = None
        if (raw := request.arg("pageToken")) is not None:
            token = state.codec.decode("activities", raw)
            if token is None or token.get("query") != digest:
                return google_error(400, "invalid", "Invalid page token value.")
            after = (str(token["after"][0]), int(token["after"][1]))
        user = unquote(request.match.group(1)).strip().lower()
        application = unquote(request.match.group(2)).strip().lower()
        event_name = request.arg("eventName")
        return cls(user, application, event_name, start, end, after, size, mask, digest)

    def selects(self, activity: Activity) -> bool:
        """Whether `activity` answers this query (page position included)."""
        if self.application != "meet":
            return False
        if self.user != "all" and activity.identifier != self.user:
            return False
        if self.event_name not in (None, "call_ended"):
            return False
        if self.start is not None and activity.time < self.start:
            return False
        if self.end is not None and activity.time >= self.end:
            return False
        return self.after is None or activity.key < self.after


def _instant(request: Request, name: str) -> datetime | Reply | None:
    raw = request.arg(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        return google_error(400, "invalid", f"Invalid value '{raw}'. Values must match RFC 3339.")
    return moment
