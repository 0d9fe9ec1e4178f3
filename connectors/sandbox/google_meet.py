"""Admin SDK Reports API `activities.list` for Google Meet: who joined which call.

`GET /admin/reports/v1/activity/users/{userKey}/applications/meet` (the path the
client library builds from its static discovery document) serves the Meet audit log
of `google_meet_log`: one `call_ended` activity per participant endpoint, as the real
API does.

- Only a token of the Workspace admin (`google_state.workspace_admin`) with the scope
  `admin.reports.audit.readonly` may read it: another scope is 403
  `insufficientPermissions`, another subject 403 `forbidden`.
- `startTime` (inclusive) and `endTime` (exclusive) bound `id.time`, the moment the
  endpoint left; `eventName` filters by event; `userKey` is `all` or one email.
- Newest first; `maxResults` 1000 by default and at most 1000; `nextPageToken`
  resumes after the last activity served (a keyset, so activities published between
  two pages do not shift the pages); `fields` masks the answer.
- Late arrival: Meet's records reach the Reports API hours after the call. While
  `SandboxOrg.late_calls_held` is set (`hold_late_activities`), the endpoints that
  `google_meet_log.is_late` picks are not published; `release_late_activities`
  publishes them, so a test can show that the next read picks them up.

The activities of one org version are built once, and each one's JSON once per `fields`.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from connectors.sandbox.google_cache import json_with_items
from connectors.sandbox.google_fields import (
    FieldsError,
    Mask,
    apply_mask,
    parse_fields,
    selects,
)
from connectors.sandbox.google_meet_log import Activity, activities_of
from connectors.sandbox.google_render import rfc3339_utc
from connectors.sandbox.google_state import (
    GoogleState,
    OrgIndex,
    google_error,
    int_arg,
    time_arg,
)
from connectors.sandbox.google_tokens import fingerprint
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

REPORTS_PATH = r"/admin/reports/v1/activity/users/([^/]+)/applications/([^/]+)"
AUDIT_SCOPES = {"admin.reports.audit.readonly"}
MAX_RESULTS = 1000
_NOT_IN_FINGERPRINT = frozenset({"pageToken", "maxResults", "prettyPrint", "alt", "fields"})


def hold_late_activities(org: SandboxOrg) -> None:
    """Keep the late share of activities unpublished (usable with `server.mutate`)."""
    org.late_calls_held = True


def release_late_activities(org: SandboxOrg) -> None:
    """Publish the activities held back by `hold_late_activities`."""
    org.late_calls_held = False


@dataclass(frozen=True)
class _Log:
    """The activities of one org version: newest first, and their keys oldest first."""

    version: int
    activities: list[Activity]
    ascending: list[tuple[str, int]]


class MeetReports:
    """The Reports API route over one `GoogleState`; activities cached per org version."""

    def __init__(self, state: GoogleState) -> None:
        self.state = state
        self._log: _Log | None = None
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [("GET", REPORTS_PATH, self.list_activities)]

    def log(self, index: OrgIndex) -> _Log:
        """The activities of the org's current version (held ones included)."""
        with self._lock:
            if self._log is None or self._log.version != index.version:
                found = activities_of(self.state.org, index.names)
                keys = [a.key for a in reversed(found)]
                self._log = _Log(index.version, found, keys)
            return self._log

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
        page, more = _page(self.log(index), query, self.state.org.late_calls_held)
        body: dict[str, Any] = {"kind": "admin#reports#activities", "etag": f'"{index.version}"'}
        if more:
            payload = {"after": list(page[-1].key), "query": query.fingerprint}
            body["nextPageToken"] = self.state.codec.encode("activities", payload)
        items = [a.serialised(query.fields) for a in page]
        kept = items if items and selects(query.mask, "items") else None
        return json_with_items(apply_mask(body, query.mask), kept)


def _page(log: _Log, query: _Query, held: bool) -> tuple[list[Activity], bool]:
    """The activities of the query's page, and whether more follow."""
    if query.application != "meet" or query.event_name not in (None, "call_ended"):
        return [], False
    bound = query.upper_key()
    first = 0 if bound is None else len(log.ascending) - bisect_left(log.ascending, bound)
    page: list[Activity] = []
    for activity in itertools.islice(log.activities, first, None):
        if query.start is not None and activity.time < query.start:
            break
        if (held and activity.late) or query.user not in ("all", activity.identifier):
            continue
        if len(page) == query.size:
            return page, True
        page.append(activity)
    return page, False


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
    mask: Mask
    fields: str  # the fields parameter's text ("" for none)
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
        fields = request.arg("fields") or ""
        return cls(user, application, event_name, start, end, after, size, mask, fields, digest)

    def upper_key(self) -> tuple[str, int] | None:
        """Every activity of the page sorts below this key (`endTime`, the page token)."""
        bounds = [] if self.after is None else [self.after]
        if self.end is not None:
            bounds.append((rfc3339_utc(self.end), -1))  # an activity at endTime is out
        return min(bounds, default=None)


def _instant(request: Request, name: str) -> datetime | Reply | None:
    raw = request.arg(name)
    invalid = google_error(400, "invalid", f"Invalid value '{raw}'. Values must match RFC 3339.")
    return time_arg(request, name, invalid)
