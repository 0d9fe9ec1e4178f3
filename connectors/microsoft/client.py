"""The Graph HTTP client: bearer auth, error mapping, the retry policy, paging.

Errors are mapped by what the caller does about them (connectors/errors.py): 429 and
5xx and dropped connections are retried with the server's Retry-After; 410 means the
delta cursor expired; anything else 4xx is fatal for that mailbox.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.errors import (
    AuthError,
    CursorExpiredError,
    FatalSourceError,
    RetriableError,
)
from connectors.microsoft.auth import TokenProvider
from connectors.retry import RetryPolicy, parse_retry_after
from connectors.settings import HttpSettings

JsonObject = dict[str, Any]


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


def _error_detail(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return "", ""
    if not isinstance(error, dict):
        return str(error), ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def raise_for_graph(response: httpx.Response, subject: str) -> None:
    """Raise the project error for a failed Graph response about `subject`."""
    status = response.status_code
    if status < 400:
        return
    code, message = _error_detail(response)
    text = f"Graph answered {status} {code} for {subject}: {message}".rstrip(": ")
    if status == 429 or status >= 500:
        raise RetriableError(text, parse_retry_after(response.headers.get("Retry-After")))
    if status == 410:
        raise CursorExpiredError(text)
    if status == 401:
        raise AuthError(text)
    if status == 404:
        raise GraphNotFoundError(text, code)
    raise FatalSourceError(text)


class GraphClient:
    """GET JSON from Graph with a token, retried by the shared policy. Thread-safe."""

    def __init__(
        self,
        endpoint: str,
        client: httpx.Client,
        tokens: TokenProvider,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._client = client
        self._tokens = tokens
        self._retry = retry or RetryPolicy()

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
    ) -> JsonObject:
        """One GET (with retries). `url` is absolute (a nextLink is used verbatim)."""

        def attempt() -> JsonObject:
            tally.requests += 1
            return self._get_once(url, subject, params, headers)

        return self._retry.call(attempt)

    def _get_once(
        self,
        url: str,
        subject: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> JsonObject:
        sent = {**(headers or {}), "Authorization": f"Bearer {self._tokens.token()}"}
        try:
            response = self._client.get(url, params=params, headers=sent)
        except httpx.TransportError as error:
            reason = type(error).__name__
            raise RetriableError(f"Graph unreachable for {subject}: {reason}") from error
        raise_for_graph(response, subject)
        try:
            payload = response.json()
        except ValueError as error:
            raise RetriableError(f"Graph sent a malformed body for {subject}") from error
        if not isinstance(payload, dict):
            raise RetriableError(f"Graph sent a malformed body for {subject}")
        return payload

    def pages(
        self,
        url: str,
        subject: str,
        tally: Tally,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[JsonObject]:
        """Every page of a collection, following `@odata.nextLink` verbatim.

        Raises FatalSourceError when the server repeats a link (a paging loop).
        """
        seen: set[str] = set()
        page = self.get(url, subject, tally, params, headers)
        while True:
            yield page
            link = page.get("@odata.nextLink")
            if not link:
                return
            if link in seen:
                raise FatalSourceError(f"Graph repeated a page link for {subject}")
            seen.add(link)
            page = self.get(str(link), subject, tally, headers=headers)
