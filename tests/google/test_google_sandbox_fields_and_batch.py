"""The sandbox applies fields masks and answers batches per inner request, like Google."""

from __future__ import annotations

from typing import Any

import pytest
from google_org import BOSS, MIA, GoogleWorld
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.google.client import CALENDAR_SCOPE, build_service, load_credentials
from connectors.sandbox.google_fields import FieldsError, apply_mask, parse_fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", {"a": None}),
        ("a,b/c", {"a": None, "b": {"c": None}}),
        ("items(id,start/dateTime)", {"items": {"id": None, "start": {"dateTime": None}}}),
        ("a/b,a/c", {"a": {"b": None, "c": None}}),
    ],
)
def test_fields_syntax_parses_to_a_mask(text: str, expected: dict[str, Any]) -> None:
    assert parse_fields(text) == expected


@pytest.mark.parametrize("text", ["items(id", "a//b", ",", "a)"])
def test_malformed_fields_are_refused(text: str) -> None:
    with pytest.raises(FieldsError):
        parse_fields(text)


def test_mask_applies_to_each_element_of_an_array() -> None:
    value = {"items": [{"id": 1, "x": 2}, {"id": 3}], "other": 4}
    assert apply_mask(value, parse_fields("items/id")) == {"items": [{"id": 1}, {"id": 3}]}


def service_as(world: GoogleWorld, subject: str) -> Any:
    credentials = load_credentials(world.settings, [CALENDAR_SCOPE]).with_subject(subject)
    endpoint = world.settings.api_endpoint + "calendar/v3/"
    return build_service("calendar", "v3", credentials, endpoint, world.http)


def test_listing_answers_only_the_selected_fields(world: GoogleWorld) -> None:
    with service_as(world, MIA) as service:
        page = service.events().list(calendarId="primary", fields="items(id,organizer/email)")
        body = page.execute()
    assert set(body) == {"items"} and body["items"]
    assert all(set(e) <= {"id", "organizer"} for e in body["items"])
    assert all(set(e.get("organizer", {})) <= {"email"} for e in body["items"])


def test_malformed_fields_parameter_is_a_400(world: GoogleWorld) -> None:
    with service_as(world, MIA) as service, pytest.raises(HttpError) as raised:
        service.events().list(calendarId="primary", fields="items(id").execute()
    assert raised.value.resp.status == 400


def test_batch_checks_each_inner_requests_own_token(world: GoogleWorld) -> None:
    answers: dict[str, Any] = {}
    batch = BatchHttpRequest(
        callback=lambda key, body, error: answers.__setitem__(key, (body, error)),
        batch_uri=world.settings.api_endpoint + "batch/calendar/v3",
    )
    with service_as(world, MIA) as mia, service_as(world, BOSS) as boss:
        for service in (mia, boss):  # mint each token over a transport trusting the CA
            service.events().list(calendarId="primary", maxResults=1).execute()
        batch.add(mia.events().list(calendarId=MIA, fields="items/id"), request_id="mine")
        batch.add(mia.events().list(calendarId=BOSS), request_id="not-mine")
        batch.add(boss.events().list(calendarId=BOSS, fields="items/id"), request_id="boss")
        batch.execute(http=mia._http)
    assert answers["mine"][1] is None and answers["mine"][0]["items"]
    assert answers["boss"][1] is None and answers["boss"][0]["items"]
    assert isinstance(answers["not-mine"][1], HttpError)
    assert answers["not-mine"][1].resp.status == 403
    assert [p for _, p in world.server.requests if "batch" in p] == ["/batch/calendar/v3"]
    assert len(world.server.inner_requests) == 3
