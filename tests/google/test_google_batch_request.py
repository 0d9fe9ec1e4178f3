"""`BatchRequest` writes each inner request exactly as google-api-python-client would."""

from __future__ import annotations

from typing import Any

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.http import BatchHttpRequest, HttpRequest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.google.batch_request import BatchRequest
from connectors.google.client import bare_service

ENDPOINT = "https://127.0.0.1:8443/"
TOKEN = "ya29." + "a0AfB_byC-long-delegated-token" * 6  # longer than a folded line


def both(request: HttpRequest) -> tuple[str, str]:
    ours = BatchRequest(batch_uri=ENDPOINT + "batch/calendar/v3")
    library = BatchHttpRequest(batch_uri=ENDPOINT + "batch/calendar/v3")
    return ours._serialize_request(request), library._serialize_request(request)


def listing(**params: Any) -> HttpRequest:
    """An events.list request as a sync sends it: its owner's token on its `http`."""
    transport = httplib2.Http()
    events = bare_service("calendar", "v3", ENDPOINT, transport).events()
    request = events.list(calendarId="ann.lee@example.com", **params)
    request.http = google_auth_httplib2.AuthorizedHttp(Credentials(TOKEN), http=transport)
    return request


def test_a_sync_listing_is_written_as_the_library_writes_it() -> None:
    request = listing(syncToken="CPDAlvWDx70CEPDAlvWDx70CGAU=", maxResults=2500)
    ours, library = both(request)
    assert ours == library
    assert f"authorization: Bearer {TOKEN}\n" in ours
    assert ours.startswith("GET /calendars/ann.lee%40example.com/events?syncToken=")


def test_a_first_page_with_fields_and_times_is_written_as_the_library_writes_it() -> None:
    request = listing(
        timeMin="2026-06-01T00:00:00Z",
        singleEvents=True,
        fields="items(id,status,start,end),nextPageToken,nextSyncToken",
        pageToken="EjYKKjA0ZTg",
    )
    ours, library = both(request)
    assert ours == library


# Mostly what a plain header holds (printable ASCII and spaces), sometimes anything.
header_text = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=90),
    st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(
    headers=st.dictionaries(
        st.one_of(st.sampled_from(["content-type", "x-goog-user-project"]), header_text),
        header_text,
        max_size=4,
    ),
    body=st.one_of(st.none(), st.just('{"a": 1}')),
)
def test_any_headers_or_body_are_written_as_the_library_writes_them(
    headers: dict[str, str], body: str | None
) -> None:
    request = listing(maxResults=10)
    request.headers.update(headers)
    request.body = body
    try:
        expected = BatchHttpRequest()._serialize_request(request)
    except Exception as error:  # what the library refuses, ours refuses alike
        kind = type(error)
        try:
            BatchRequest()._serialize_request(request)
        except kind:
            return
        raise AssertionError(f"the library raised {error!r}; ours did not") from error
    assert BatchRequest()._serialize_request(request) == expected
