"""Google Meet attendance: the Admin SDK Reports API's `call_ended` activities.

`activities.list(userKey="all", applicationName="meet", eventName="call_ended")` gives
one activity per participant endpoint of a call, once the endpoint left: `id.time` is
when it left, `duration_seconds` how long it stayed, `identifier` who it was (an email
when `identifier_type` is `email_address`; else a phone number or a device id), and
`meeting_code` / `conference_id` which meeting and which call. The source reads them
impersonating the reports admin (`google.reports_admin_subject`, else
`google.admin_subject`) with the scope `admin.reports.audit.readonly`, pages through
them (`maxResults` 1000, `nextPageToken`) and keeps, per roster person's endpoint, a
`CallPresence`: who, from when to when, in which call, and the digest of the meeting
code (`meeting_key`, the same as the calendar event's). Phone numbers, devices,
outsiders, display names, IP addresses and everything else are dropped; a `fields`
mask keeps most of them from being sent at all.

Activities reach the Reports API hours after a call ends: the caller reads again from
an overlap before the last `read_until` (`CallBatch`), and storing is idempotent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError

from connectors.google.client import RequestCounter, build_service, execute, load_credentials
from connectors.google.paging import PageTokenPaginator, pages
from connectors.model import CallBatch, CallPresence, Provider, meeting_key
from connectors.retry import RetryPolicy
from connectors.settings import GoogleSettings, HttpSettings
from core.errors import AuthError, BadInputError, FatalSourceError

AUDIT_SCOPE = "https://www.googleapis.com/auth/admin.reports.audit.readonly"
MAX_PAGE = 1000  # the most activities.list serves per page
FIELDS = "nextPageToken,items(id/time,events(name,parameters(name,value,intValue)))"
Activity = Mapping[str, Any]


class GoogleMeetSource:
    """`CallSource` for Google Meet through the Reports API (domain-wide delegation)."""

    provider: Provider = "google"

    def __init__(
        self,
        settings: GoogleSettings,
        http: HttpSettings,
        roster: frozenset[str],
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE,
    ) -> None:
        subject = settings.reports_subject
        if not subject:
            message = (
                "google.reports_admin_subject (or google.admin_subject) is required to read "
                "Meet attendance: an admin allowed to read the audit log"
            )
            raise BadInputError(message)
        self._settings = settings
        self._http = http
        self._subject = subject.strip().lower()
        self._roster = frozenset(email.strip().lower() for email in roster)
        self._retry = retry or RetryPolicy()
        self._page_size = page_size

    def read_calls(self, since: datetime, until: datetime) -> CallBatch:
        """Presences of roster people in Meet calls that ended in [since, until)."""
        if since.tzinfo is None or until.tzinfo is None:
            raise BadInputError("read_calls needs timezone-aware datetimes")
        counter = RequestCounter()
        activities = self._activities(since, until, counter)
        presences = [p for p in (presence_of(a, self._roster) for a in activities) if p is not None]
        kept = [p for p in presences if since <= p.left_at < until]
        return CallBatch("google", tuple(kept), since, until, counter.count)

    def _activities(
        self, since: datetime, until: datetime, counter: RequestCounter
    ) -> Iterator[Activity]:
        credentials = load_credentials(self._settings, [AUDIT_SCOPE]).with_subject(self._subject)
        endpoint = self._settings.api_endpoint
        what = f"the Meet audit log as {self._subject}"
        params = {
            "userKey": "all",
            "applicationName": "meet",
            "eventName": "call_ended",
            "startTime": rfc3339(since),
            "endTime": rfc3339(until),
            "maxResults": self._page_size,
            "fields": FIELDS,
        }
        paginator = PageTokenPaginator(what)
        with build_service("admin", "reports_v1", credentials, endpoint, self._http) as service:

            def fetch() -> dict[str, Any]:
                request = paginator.update_request(params)
                return execute(
                    lambda: service.activities().list(**request), self._retry, what, counter
                )

            try:
                for page in pages(paginator, fetch):
                    yield from page.get("items", ())
            except FatalSourceError as error:
                # A refused token (AuthError), or the API's 403: not this scope, not an admin.
                if isinstance(error, AuthError) or _status(error) == 403:
                    raise AuthError(self._refusal(error)) from error
                raise

    def _refusal(self, error: Exception) -> str:
        """What to fix when Google refuses the audit log (the token or the API call)."""
        scope = AUDIT_SCOPE.rsplit("/", 1)[1]
        return (
            f"the service account is not allowed {scope} for {self._subject} ({error}). "
            f"In the Admin console, add {AUDIT_SCOPE} to the service account's client id "
            "under domain-wide delegation, and set google.reports_admin_subject to an "
            "active admin allowed to read audit logs (Reports privilege)."
        )


def _status(error: BaseException) -> int | None:
    """The HTTP status behind a mapped error (its cause), if it was an HTTP answer."""
    cause = error.__cause__
    return int(cause.resp.status) if isinstance(cause, HttpError) else None


def rfc3339(moment: datetime) -> str:
    """`2025-03-10T09:00:00.000Z`: the form the Reports API documents."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parameters(activity: Activity) -> dict[str, str]:
    """The `call_ended` event's parameters by name (`value` or `intValue`, as text)."""
    for event in activity.get("events", ()):
        if event.get("name") == "call_ended":
            return {
                str(p.get("name")): str(p.get("value", p.get("intValue", "")))
                for p in event.get("parameters", ())
            }
    return {}


def presence_of(activity: Activity, roster: frozenset[str]) -> CallPresence | None:
    """The presence one `call_ended` activity records, or None when it is not a roster
    person's (a phone number, a device, an outsider) or lacks what a presence needs."""
    found = parameters(activity)
    email = found.get("identifier", "").strip().lower()
    if found.get("identifier_type") != "email_address" or email not in roster:
        return None
    left = (activity.get("id") or {}).get("time")
    call_id = found.get("conference_id")
    try:
        duration = int(found.get("duration_seconds", ""))
        left_at = datetime.fromisoformat(str(left)).astimezone(UTC)
    except (TypeError, ValueError):
        return None
    if not call_id or duration < 0:
        return None
    code = found.get("meeting_code")
    key = meeting_key("google", code) if code else None
    joined_at = left_at - timedelta(seconds=duration)
    return CallPresence("google", call_id, key, email, joined_at, left_at)
