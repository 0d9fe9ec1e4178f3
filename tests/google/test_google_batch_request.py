"""`BatchRequest` writes each inner request exactly as google-api-python-client would."""

from __future__ import annotations

import re
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


BASE_ID = re.compile(r"<[0-9a-f-]{36} \+(\s)")  # folded or not


class Recorder:
    """An `http` that keeps what a batch sends and answers every part with `answer`."""

    def __init__(self, answer: bytes = b'{"items": [], "nextSyncToken": "next"}') -> None:
        self.answer = answer
        self.content_ids: list[str] = []  # of the requests sent, to answer them by
        self.sent: list[tuple[str, str]] = []

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None) -> Any:
        kind = headers["content-type"]
        boundary = kind.split('boundary="', 1)[1].rstrip('"')
        # Each batch has a random boundary and a random base of its requests' ids.
        text = BASE_ID.sub(r"<BASE +\1", body.replace(boundary, "BOUNDARY"))
        self.sent.append((text, kind.replace(boundary, "BOUNDARY")))
        parts = "".join(
            f"--reply\r\nContent-Type: application/http\r\nContent-ID: <response-{i[1:]}\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{self.answer.decode()}\r\n"
            for i in self.content_ids
        )
        reply = httplib2.Response(
            {"status": "200", "content-type": "multipart/mixed; boundary=reply"}
        )
        return reply, (parts + "--reply--\r\n").encode()


def keeper(answers: list[Any]) -> Any:
    """A batch callback keeping `(request_id, response, error)` in `answers`."""
    return lambda *got: answers.append(got)


def sent_by_both(
    requests: list[HttpRequest], request_ids: list[str] | None = None
) -> tuple[Recorder, Recorder, list[Any], list[Any]]:
    """Each batch class executes the same requests: what each sent and was given back."""
    seen = []
    recorders = []
    for kind in (BatchRequest, BatchHttpRequest):
        answers: list[Any] = []
        batch = kind(batch_uri=ENDPOINT + "batch/calendar/v3")
        for n, request in enumerate(requests):
            request_id = request_ids[n] if request_ids else None
            batch.add(request, callback=keeper(answers), request_id=request_id)
        recorder = Recorder()
        recorder.content_ids = [batch._id_to_header(n) for n in batch._order]
        batch.execute(http=recorder)
        recorders.append(recorder)
        seen.append(answers)
    return recorders[0], recorders[1], seen[0], seen[1]


def test_a_batch_is_sent_and_read_as_the_library_sends_and_reads_it() -> None:
    requests = [listing(syncToken=f"token-{n}", maxResults=2500) for n in range(3)]
    ours, library, our_answers, library_answers = sent_by_both(requests)
    # The same text, but for the random boundary and base of the ids.
    assert ours.sent == library.sent
    ((body, kind),) = ours.sent
    assert kind == 'multipart/mixed; boundary="BOUNDARY"'
    assert body.count("--BOUNDARY\n") == 3 and body.endswith("\n--BOUNDARY--\n")
    assert "Content-ID: <BASE + 3>\n" in body
    # Each request's answer reaches its callback alike.
    assert [(n, body) for n, body, _ in our_answers] == [
        (n, body) for n, body, _ in library_answers
    ]
    assert [error for _, _, error in our_answers] == [None, None, None]


def test_a_batch_with_a_body_or_an_odd_id_is_left_to_the_library() -> None:
    with_body = listing(maxResults=10)
    with_body.body = '{"a": 1}'
    ours, library, _, _ = sent_by_both([with_body, listing(maxResults=10)])
    assert ours.sent == library.sent
    odd_ids = ["é" * 3, "x" * 90]  # not plain ASCII; a Content-ID line the package folds
    for request_id in odd_ids:
        ours, library, _, _ = sent_by_both([listing(maxResults=10)], [request_id])
        assert ours.sent == library.sent
