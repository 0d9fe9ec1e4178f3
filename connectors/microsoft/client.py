"""The Graph HTTP client: bearer auth, error mapping, the retry policy, paging.

Errors are mapped by what the caller does about them (core/errors.py): 429 and
5xx and dropped connections are retried with the server's Retry-After (429, and 503
with Retry-After, are throttling: they also slow the source's limits down); 410 means
the delta cursor expired; anything else 4xx is fatal for that mailbox.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from connectors.limits import RequestLimits
from connectors.microsoft.auth import BearerTokens
from connectors.microsoft.paging import NextLinkPaginator
from connectors.retry import RetryPolicy, parse_retry_after
from connectors.settings import HttpSettings
from core.errors import (
    AuthError,
    CursorExpiredError,
    FatalSourceError,
    RetriableError,
    SourceError,
    ThrottledError,
)

JsonObject = dict[str, Any]
# Graph's codes for a delta token it no longer knows (410 usually, but not always).
_CURSOR_GONE = frozenset({"syncStateNotFound", "syncStateInvalid", "resyncRequired"})


def make_http_client(http: HttpSettings) -> httpx.Client:
    """An httpx client trusting the configured CA bundle, with the configured timeout."""
    verify: ssl.SSLContext | bool = True
    if http.ca_bundle:
        # The system store plus the extra CA (a TLS-inspecting proxy's, the sandbox's).
        verify = ssl.create_default_context()
        verify.load_verify_locations(cafile=str(http.ca_bundle))
    limits = httpx.Limits(max_connections=max(1, http.max_concurrency))
    return httpx.Client(verify=verify, timeout=http.timeout_s, limits=limits)


@dataclass
class Tally:
    """HTTP requests made for one unit of work (retries included, tokens aside)."""

    requests: int = 0


class GraphNotFoundError(FatalSourceError):
    """Graph answered 404: no such user, mailbox, manager or item.

    `code` is Graph's error code (e.g. `Request_ResourceNotFound`,
    `MailboxNotEnabledForRESTAPI`) for callers for whom "none" is an answer.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class GraphForbiddenError(FatalSourceError):
    """Graph answered 403: the app lacks a permission the resource needs (callers that
    know which one say so)."""


class TokenRejectedError(AuthError):
    """Graph answered 401 to a token msal handed out (revoked, expired early)."""


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    try:
        error = orjson.loads(response.content).get("error") or {}
    except (ValueError, AttributeError):  # not JSON, or JSON but not an object
        return "", ""
    if not isinstance(error, dict):
        return str(error), ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def graph_error_for(
    status: int, error: Mapping[str, Any], retry_after: str | None, subject: str
) -> SourceError:
    """The project error for a Graph error status and body (`{"code", "message"}`)."""
    code, message = str(error.get("code") or ""), str(error.get("message") or "")
    text = f"Graph answered {status} {code} for {subject}: {message}".rstrip(": ")
    seconds = parse_retry_after(retry_after)
    if status == 429 or (status == 503 and seconds is not None):
        return ThrottledError(text, seconds)
    if status >= 500:
        return RetriableError(text, seconds)
    if status == 410 or code in _CURSOR_GONE:
        return CursorExpiredError(text)
    if status == 401:
        return TokenRejectedError(text)
    if status == 404:
        return GraphNotFoundError(text, code)
    if status == 403:
        return GraphForbiddenError(text)
    return FatalSourceError(text)


def raise_for_graph(response: httpx.Response, subject: str) -> None:
    """Raise the project error for a failed Graph response about `subject`."""
    if response.status_code < 400:
        return
    code, message = _error_detail(response)
    error = {"code": code, "message": message}
    retry_after = response.headers.get("Retry-After")
    raise graph_error_for(response.status_code, error, retry_after, subject)


class GraphClient:
    """GET JSON from Graph with a token, retried by the shared policy. Thread-safe.

    With `limits`, a GET about a mailbox is admitted by them first (each try).
    """

    def __init__(
        self,
        endpoint: str,
        client: httpx.Client,
        tokens: BearerTokens,
        retry: RetryPolicy | None = None,
        limits: RequestLimits | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._client = client
        self._tokens = tokens
        self._retry = retry or RetryPolicy()
        self._limits = limits

    def url(self, path: str) -> str:
        """Absolute URL of a Graph path such as `/users`."""
        return f"{self.endpoint}/{path.lstrip('/')}"

    def get(
        self,
        url: str,
        subject: str,
        tally: Tally,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        mailbox: str | None = None,
    ) -> JsonObject:
        """One GET (with retries). `url` is absolute (a nextLink is used verbatim);
        `mailbox` is the one it reads, for the limits."""

        def once() -> JsonObject:
            return self.send_once("GET", url, subject, tally, params=params, headers=headers)

        if self._limits is None or mailbox is None:
            return self._retry.call(once)
        limits = self._limits
        return self._retry.call(lambda: limits.call(mailbox, once))

    def send_once(
        self,
        method: str,
        url: str,
        subject: str,
        tally: Tally,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: JsonObject | None = None,
    ) -> JsonObject:
        """One request without retries, but with one fresh token after a 401.

        A second 401 is a TokenRejectedError (an AuthError: fatal). Callers wrap this in
        the retry policy (`get` does).
        """
        token = self._tokens.token()
        tally.requests += 1
        try:
            return self._send(method, url, subject, token, params, headers, body)
        except TokenRejectedError:
            self._tokens.invalidate(token)
        tally.requests += 1
        return self._send(method, url, subject, self._tokens.token(), params, headers, body)

    def _send(
        self,
        method: str,
        url: str,
        subject: str,
        token: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        body: JsonObject | None,
    ) -> JsonObject:
        sent = {**(headers or {}), "Authorization": f"Bearer {token}"}
        try:
            response = self._client.request(method, url, params=params, headers=sent, json=body)
        except httpx.TransportError as error:
            reason = type(error).__name__
            raise RetriableError(f"Graph unreachable for {subject}: {reason}") from error
        raise_for_graph(response, subject)
        return _json_object(response, subject)

    def pages(
        self,
        paginator: NextLinkPaginator,
        tally: Tally,
        headers: Mapping[str, str] | None = None,
        mailbox: str | None = None,
    ) -> Iterator[JsonObject]:
        """Every page of a collection, from `paginator`'s URL on (nextLinks verbatim).

        Raises FatalSourceError when the server repeats a link (a paging loop).
        """
        while paginator.has_next_page:
            url, params = paginator.url, paginator.params
            page = self.get(url, paginator.subject, tally, params, headers, mailbox)
            paginator.update_state(page)
            yield page


def _json_object(response: httpx.Response, subject: str) -> JsonObject:
    try:
        # orjson decodes a page of 1,000 events several times faster than `json`.
        payload = orjson.loads(response.content)
    except ValueError as error:  # orjson.JSONDecodeError is a ValueError
        raise RetriableError(f"Graph sent a malformed body for {subject}") from error
    if not isinstance(payload, dict):
        raise RetriableError(f"Graph sent a malformed body for {subject}")
    return payload
