"""The Calendar API's batch endpoint: `POST /batch/calendar/v3`, multipart/mixed.

Each part is an `application/http` request (request line, headers, body) with a
`Content-ID`; each is dispatched like a request of its own, with its own
`Authorization` header (domain-wide delegation: one subject per calendar), and its
answer comes back as the part `Content-ID: <response-…>`. Queued faults apply to
inner requests by their path; one that drops the connection drops the whole batch.
At most `MAX_PARTS` calls per batch, as with the real Calendar API.
"""

from __future__ import annotations

import secrets
from email.message import Message
from email.parser import BytesParser
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.google_state import google_error
from connectors.sandbox.server import Reply, Request

BATCH_PATH = r"/batch/calendar/v3"
MAX_PARTS = 1000  # the Calendar API's documented limit


def batch(request: Request) -> Reply:
    """Answer every part of a multipart/mixed batch in one multipart/mixed reply."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/mixed") or request.inner is None:
        return google_error(400, "badRequest", "Bad Request: a batch is multipart/mixed")
    parts = _parts(content_type, request.body)
    if parts is None:
        return google_error(400, "badRequest", "Bad Request: malformed batch body")
    if len(parts) > MAX_PARTS:
        return google_error(400, "badRequest", f"Too many requests in batch (> {MAX_PARTS})")
    answers: list[tuple[str, Reply]] = []
    for content_id, inner in parts:
        reply = request.inner(inner)
        if reply.drop or reply.cut_after is not None:
            return Reply(drop=True)
        answers.append((content_id, reply))
    boundary = "batch_" + secrets.token_hex(12)
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    return Reply(200, _encode(answers, boundary), headers)


def _parts(content_type: str, body: bytes) -> list[tuple[str, Request]] | None:
    head = b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
    message = BytesParser().parsebytes(head + body)
    if not message.is_multipart():
        return None
    parts: list[tuple[str, Request]] = []
    for part in message.get_payload():
        assert isinstance(part, Message)
        inner = _inner_request(str(part.get_payload()))
        if inner is None:
            return None
        parts.append((str(part.get("Content-ID", "")).strip("<>"), inner))
    return parts


def _inner_request(text: str) -> Request | None:
    """An `application/http` part: request line, headers, blank line, body."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    words = lines[0].split(" ")
    if len(words) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    url = urlsplit(words[1])
    query = parse_qs(url.query, keep_blank_values=True)
    return Request(words[0], url.path, query, headers, body.encode())


def _encode(answers: list[tuple[str, Reply]], boundary: str) -> bytes:
    chunks: list[bytes] = []
    for content_id, reply in answers:
        status = f"{reply.status} {HTTPStatus(reply.status).phrase}"
        headers = {**reply.headers, "Content-Length": str(len(reply.body))}
        lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{content_id}>\r\n\r\n".encode()
            + "\r\n".join(lines).encode()
            + b"\r\n\r\n"
            + reply.body
            + b"\r\n"
        )
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()
