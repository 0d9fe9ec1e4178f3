"""The sandbox's Reports API answers the real client library as Google documents it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from meet_world import SINCE, UNTIL, MeetWorld

from connectors.google.client import CALENDAR_SCOPE, build_service, load_credentials
from connectors.google.meet import AUDIT_SCOPE, parameters, rfc3339
from connectors.sandbox.google_render import event_id
from connectors.sandbox.google_state import workspace_admin


def reports(meet: MeetWorld, scope: str = AUDIT_SCOPE, subject: str | None = None) -> Any:
    who = subject or str(workspace_admin(meet.org))
    credentials = load_credentials(meet.settings, [scope]).with_subject(who)
    return build_service("admin", "reports_v1", credentials, meet.settings.api_endpoint, meet.http)


def listing(meet: MeetWorld, **params: Any) -> dict[str, Any]:
    window = {"startTime": rfc3339(SINCE), "endTime": rfc3339(UNTIL)}
    base = {"userKey": "all", "applicationName": "meet", "eventName": "call_ended"}
    with reports(meet) as service:
        answer: dict[str, Any] = service.activities().list(**(base | window | params)).execute()
    return answer


def http_error(meet: MeetWorld, scope: str, subject: str | None = None) -> HttpError:
    with reports(meet, scope, subject) as service, pytest.raises(HttpError) as raised:
        service.activities().list(userKey="all", applicationName="meet").execute()
    return raised.value


def reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def test_activities_have_the_documented_shape_newest_first(meet: MeetWorld) -> None:
    items = listing(meet)["items"]
    times = [a["id"]["time"] for a in items]
    assert times == sorted(times, reverse=True) and rfc3339(SINCE) <= times[-1]
    assert times[0] < rfc3339(UNTIL)
    first = items[0]
    assert first["kind"] == "admin#reports#activity" and first["id"]["applicationName"] == "meet"
    (event,) = first["events"]
    assert (event["type"], event["name"]) == ("call", "call_ended")
    shapes = {p["name"]: set(p) - {"name"} for p in event["parameters"]}
    assert shapes["duration_seconds"] == {"intValue"} and shapes["identifier"] == {"value"}
    assert shapes["is_external"] == {"boolValue"}
    codes = {parameters(a)["meeting_code"] for a in items}
    assert all(len(c) == 10 and c.isupper() and c.isalpha() for c in codes)


def test_scheduled_calls_name_their_event_and_phone_endpoints_exist(meet: MeetWorld) -> None:
    items = [parameters(a) for a in listing(meet)["items"]]
    event_ids = {event_id(i) for i in meet.org.instances}
    named = [p["calendar_event_id"] for p in items if "calendar_event_id" in p]
    assert named and set(named) <= event_ids
    assert any("calendar_event_id" not in p for p in items)  # ad-hoc calls
    phones = [p for p in items if p["identifier_type"] == "phone_number"]
    assert phones and all(p["identifier"].startswith("+") for p in phones)


def test_user_key_and_fields_narrow_the_answer(meet: MeetWorld) -> None:
    someone = parameters(listing(meet)["items"][0])["identifier"]
    mine = listing(meet, userKey=someone, fields="items(id/time,events(name,parameters))")
    assert mine["items"] and set(mine) == {"items"}
    assert all(set(a) == {"id", "events"} and set(a["id"]) == {"time"} for a in mine["items"])
    assert {parameters(a)["identifier"] for a in mine["items"]} == {someone}


def test_pages_follow_one_another_without_overlap(meet: MeetWorld) -> None:
    whole = [a["id"]["uniqueQualifier"] for a in listing(meet)["items"]]
    first = listing(meet, maxResults=5)
    second = listing(meet, maxResults=5, pageToken=first["nextPageToken"])
    paged = [a["id"]["uniqueQualifier"] for a in first["items"] + second["items"]]
    assert paged == whole[:10]


def test_a_page_token_of_another_query_is_a_400(meet: MeetWorld) -> None:
    token = listing(meet, maxResults=5)["nextPageToken"]
    with pytest.raises(HttpError) as raised:
        listing(meet, maxResults=5, pageToken=token, eventName="call_joined")
    assert raised.value.resp.status == 400


def test_a_start_after_the_end_is_a_400(meet: MeetWorld) -> None:
    with reports(meet) as service, pytest.raises(HttpError) as raised:
        request = service.activities().list(
            userKey="all", applicationName="meet", startTime=rfc3339(UNTIL), endTime=rfc3339(SINCE)
        )
        request.execute()
    assert raised.value.resp.status == 400


def test_a_token_without_the_audit_scope_is_403_insufficient_permissions(
    meet: MeetWorld,
) -> None:
    error = http_error(meet, CALENDAR_SCOPE)
    assert (error.resp.status, reason(error)) == (403, "insufficientPermissions")


def test_a_subject_who_is_not_the_admin_is_403_forbidden(meet: MeetWorld) -> None:
    admin = workspace_admin(meet.org)
    google = [m.email for m in meet.org.people if m.provider == "google" and m.active]
    error = http_error(meet, AUDIT_SCOPE, next(e for e in google if e != admin))
    assert (error.resp.status, reason(error)) == (403, "forbidden")
