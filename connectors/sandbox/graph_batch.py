"""Graph JSON batching: `POST /$batch` with up to 20 inner requests.

`{"requests": [{"id", "method", "url", "headers"}]}` → `{"responses": [{"id", "status",
"headers", "body"}]}`. Inner URLs are relative to the Graph root (`/users/…`); each
inner request is served by the same handlers as a direct one, with the outer request's
bearer token. Faults queued with `add_batch_fault` replace inner replies whose URL
(path and query) matches, so one mailbox of a batch can be throttled or fail alone.
The inner requests count as concurrent requests to their mailboxes, as at Graph
(`GraphState.mailbox_limit`): one past the bound is answered 429 on its own.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.graph_common import (
    GRAPH_PREFIX,
    GraphState,
    encode_json,
    graph_error,
    unauthorised,
)
from connectors.sandbox.server import Fault, Reply, Request, Route
from connectors.sandbox.throttle import mailbox_of

MAX_REQUESTS = 20
BATCH_PATH = GRAPH_PREFIX.replace(".", r"\.") + r"/\$batch"


def _take_fault(faults: list[Fault], url: str) -> Reply | None:
    fault = next((f for f in faults if re.search(f.path_regex, url)), None)
    if fault is None:
        return None
    fault.times -= 1
    if fault.times <= 0:
        faults.remove(fault)
    return fault.reply


def _inner_request(outer: Request, item: dict[str, Any]) -> Request:
    url = urlsplit("/" + str(item.get("url", "")).lstrip("/"))
    headers = {"host": outer.headers.get("host", "127.0.0.1")}
    headers["authorization"] = outer.headers.get("authorization", "")
    headers.update({str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()})
    return Request(
        method=str(item.get("method", "GET")).upper(),
        path=GRAPH_PREFIX + url.path,
        query=parse_qs(url.query, keep_blank_values=True),
        headers=headers,
        body=b"",
    )


def _dispatch(routes: list[tuple[str, re.Pattern[str], Any]], request: Request) -> Reply:
    for method, pattern, handler in routes:
        match = pattern.fullmatch(request.path)
        if match and method == request.method:
            request.match = match
            reply: Reply = handler(request)
            return reply
    return graph_error(400, "BadRequest", f"Resource not found for the segment '{request.path}'.")


def _as_response(item_id: str, reply: Reply) -> dict[str, Any]:
    body = json.loads(reply.body) if reply.body else None
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-length"}
    return {"id": item_id, "status": reply.status, "headers": headers, "body": body}


def batch(
    state: GraphState, routes: list[tuple[str, re.Pattern[str], Any]], request: Request
) -> Reply:
    """POST /$batch: run each inner request and answer them all in one body."""
    if not state.authorised(request):
        return unauthorised()
    try:
        items = request.json().get("requests")
    except (ValueError, AttributeError):
        items = None
    if not isinstance(items, list) or not items:
        return graph_error(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        return graph_error(
            400, "BadRequest", "The number of batch requests exceeds the limit of 20."
        )
    inners = [_inner_request(request, item) for item in items]
    responses = []
    with state.mailbox_limit.held([mailbox_of(inner.path) for inner in inners]) as refusals:
        for item, inner, refusal in zip(items, inners, refusals, strict=True):
            url = inner.path + ("?" + urlsplit(str(item.get("url", ""))).query)
            with state.lock:
                fault = _take_fault(state.batch_faults, url)
            reply = fault or refusal or _dispatch(routes, inner)
            responses.append(_as_response(str(item.get("id")), reply))
    body = encode_json({"responses": responses})
    return Reply(200, body, {"Content-Type": "application/json; charset=utf-8"})


def batch_routes(state: GraphState, inner: list[Route]) -> list[Route]:
    """The $batch route, serving inner requests with the `inner` routes."""
    compiled = [(method, re.compile(path), handler) for method, path, handler in inner]
    return [("POST", BATCH_PATH, lambda request: batch(state, compiled, request))]
