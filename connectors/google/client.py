"""Google API clients: service-account credentials, HTTP transport, error mapping.

One `build_service` call makes a fresh `httplib2.Http` (which is not thread-safe) and
a fresh discovery client, impersonating one subject: callers build one per calendar
or per thread and never share it. Every request goes through `execute`, which maps
failures to the error tree and retries through the shared `RetryPolicy` (never the
client's own `num_retries`, which ignores Retry-After).
"""

from __future__ import annotations

import atexit
import json
import ssl
import tempfile
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from http.client import HTTPException, HTTPSConnection
from pathlib import Path
from typing import Any, TypeVar

import google_auth_httplib2
import httplib2
import orjson
from google.auth import credentials as auth_credentials
from google.auth import exceptions as auth_errors
from google.oauth2 import service_account
from googleapiclient import discovery
from googleapiclient.errors import BatchError, HttpError

from connectors.limits import RequestLimits
from connectors.retry import RetryPolicy, parse_retry_after
from connectors.settings import GoogleSettings, HttpSettings
from core.errors import (
    AuthError,
    BadInputError,
    CursorExpiredError,
    FatalSourceError,
    RetriableError,
    SourceError,
    ThrottledError,
)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
T = TypeVar("T")


def load_credentials(
    settings: GoogleSettings, scopes: Sequence[str]
) -> service_account.Credentials:
    """The service account's credentials; the key file's `token_uri` is honoured."""
    path = settings.service_account_file
    try:
        return service_account.Credentials.from_service_account_file(str(path), scopes=scopes)
    except FileNotFoundError as error:
        raise BadInputError(f"google.service_account_file: {path} does not exist") from error
    except (ValueError, KeyError, TypeError) as error:
        message = f"google.service_account_file: {path} is not a service-account key JSON"
        raise BadInputError(message) from error


# Every thread's first transport starts at once: files and contexts are made once.
_tls_lock = threading.Lock()


def ca_certs_file(extra: Path | None) -> str | None:
    """The system CAs plus `extra` in one file, since httplib2 takes a single path
    (one file per bundle and process, removed when the process exits)."""
    if extra is None:
        return None
    with _tls_lock:
        return _bundle_file(extra)


@lru_cache(maxsize=8)
def _bundle_file(extra: Path) -> str:
    bundle = Path(httplib2.CA_CERTS).read_bytes() + b"\n" + extra.read_bytes()
    with tempfile.NamedTemporaryFile("wb", prefix="oneonone-ca-", suffix=".pem", delete=False) as f:
        f.write(bundle)
    atexit.register(Path(f.name).unlink, missing_ok=True)
    return f.name


def make_transport(http: HttpSettings) -> httplib2.Http:
    """A bare httplib2 transport trusting `http.ca_bundle` too (not thread-safe)."""
    return Transport(ca_certs=ca_certs_file(http.ca_bundle), timeout=http.timeout_s)


class Transport(httplib2.Http):
    """`httplib2.Http` whose HTTPS connections share one TLS context per CA file.

    httplib2 builds a TLS context for every connection and loads its CA file into it:
    about 50 ms of CPU each with OpenSSL 3 and the system CAs. A sync opens one
    connection per thread and host, so a weekly run paid a second or more for it."""

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> Any:
        if connection_type is None and uri.startswith("https:"):
            connection_type = SharedContextConnection
        return super().request(uri, method, body, headers, redirections, connection_type)


class SharedContextConnection(httplib2.HTTPSConnectionWithTimeout):
    """httplib2's HTTPS connection on the process's context for its CA file.

    It sets what httplib2's own `__init__` sets, less the context it would build; with
    a client certificate, pinned TLS versions or verification off (never ours) it
    leaves everything to httplib2."""

    def __init__(
        self,
        host: str,
        port: int | None = None,
        key_file: str | None = None,
        cert_file: str | None = None,
        timeout: float | None = None,
        proxy_info: Any = None,
        ca_certs: str | None = None,
        disable_ssl_certificate_validation: bool = False,
        tls_maximum_version: Any = None,
        tls_minimum_version: Any = None,
        key_password: str | None = None,
    ) -> None:
        own = (key_file, cert_file, tls_maximum_version, tls_minimum_version, key_password)
        if disable_ssl_certificate_validation or any(value is not None for value in own):
            super().__init__(
                host,
                port,
                key_file,
                cert_file,
                timeout,
                proxy_info,
                ca_certs,
                disable_ssl_certificate_validation,
                tls_maximum_version,
                tls_minimum_version,
                key_password,
            )
            return
        self.disable_ssl_certificate_validation = False
        self.ca_certs = ca_certs or httplib2.CA_CERTS
        self.proxy_info = proxy_info
        if proxy_info and not isinstance(proxy_info, httplib2.ProxyInfo):
            self.proxy_info = proxy_info("https")
        context = tls_context(self.ca_certs)
        HTTPSConnection.__init__(self, host, port=port, timeout=timeout, context=context)
        self.key_file = self.cert_file = self.key_password = None


def tls_context(ca_certs: str) -> ssl.SSLContext:
    """One verifying client context per CA file and process (thread-safe to share)."""
    with _tls_lock:
        return _context(ca_certs)


@lru_cache(maxsize=8)
def _context(ca_certs: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_certs)


def bare_service(api: str, version: str, endpoint: str, transport: Any) -> Any:
    """A discovery client over `transport` (offline discovery).

    Over a bare `httplib2.Http` it has no credentials: it builds requests that carry
    their own; over an `AuthorizedHttp` every request carries its credentials.
    """
    return discovery.build(
        api,
        version,
        http=transport,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )


def build_service(
    api: str,
    version: str,
    credentials: auth_credentials.Credentials,
    endpoint: str,
    http: HttpSettings,
) -> Any:
    """A discovery client for `api` over a transport of its own (offline discovery)."""
    transport = make_transport(http)
    # One refresh on a 401, then the 401 stands (AuthError): a token minted a moment
    # ago that is refused again will not be accepted by refreshing once more.
    authorized = google_auth_httplib2.AuthorizedHttp(
        credentials, http=transport, max_refresh_attempts=1
    )
    return bare_service(api, version, endpoint, authorized)


class RequestCounter:
    """Counts HTTP requests made (retries included), for `CalendarBatch.requests`."""

    def __init__(self) -> None:
        self.count = 0


def execute(
    make_request: Callable[[], Any],
    retry: RetryPolicy,
    what: str,
    counter: RequestCounter | None = None,
    limits: tuple[RequestLimits, str] | None = None,
) -> dict[str, Any]:
    """Build and run one API request under the retry policy; errors mapped by type.

    `what` names the call for messages ("events of alice@example.com"). With `limits`
    (the source's limits and the calendar the request reads), each try is admitted by
    them first.
    """

    def attempt() -> dict[str, Any]:
        if counter is not None:
            counter.count += 1
        request = make_request()
        request.postproc = decode_json

        def send() -> dict[str, Any]:
            answer: dict[str, Any] = mapped_errors(
                lambda: request.execute(num_retries=0), what, request.http
            )
            return answer

        if limits is None:
            return send()
        return limits[0].call(limits[1], send)

    return retry.call(attempt)


def mapped_errors(call: Callable[[], T], what: str, transport: Any) -> T:
    """`call()` with its failure raised as the error tree's (see `classify`).

    A failure that is not an HTTP answer may have left a dead connection in
    `transport`'s pool: it is dropped so a retry connects afresh.
    """
    try:
        return call()
    except Exception as error:
        mapped = classify(error, what)
        if mapped is None:
            raise
        if not isinstance(error, HttpError):
            drop_connections(transport)
        raise mapped from error


def drop_connections(transport: Any) -> None:
    """Forget the pooled connections of an httplib2 transport (or AuthorizedHttp).

    After a connection dropped mid-answer httplib2 keeps the dead socket in its pool
    and would fail every retry on it; the next request then connects afresh.
    """
    inner = getattr(transport, "http", transport)
    if isinstance(inner, httplib2.Http):
        inner.close()


class MalformedBodyError(Exception):
    """A 2xx answer whose body is not a JSON object (truncated by a proxy, say)."""


def decode_json(response: Any, content: bytes) -> dict[str, Any]:
    """The `postproc` of our requests: the JSON object of a 2xx body (orjson is faster).

    The client only calls it for 2xx answers; anything but a JSON object is malformed.
    """
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise MalformedBodyError("the body is not valid JSON") from error
    if not isinstance(body, dict):
        raise MalformedBodyError("the body is not a JSON object")
    return body


def classify(error: Exception, what: str) -> SourceError | None:
    """The error-tree equivalent of a client failure, None for a programming error."""
    if isinstance(error, MalformedBodyError):
        return RetriableError(f"Google sent a malformed body for {what}")
    if isinstance(error, BatchError):  # a batch answer that is not multipart/mixed
        return RetriableError(f"Google sent a malformed batch answer for {what}")
    if isinstance(error, HttpError):
        return _from_http_error(error, what)
    if isinstance(error, auth_errors.RefreshError):
        if error.retryable:
            return RetriableError(f"Google token endpoint unavailable for {what}")
        return AuthError(f"Google refused the service-account token for {what}: {error.args[0]}")
    if isinstance(error, ssl.SSLCertVerificationError):
        return FatalSourceError(f"TLS certificate not trusted while reading {what}: {error}")
    dropped = auth_errors.TransportError | httplib2.HttpLib2Error | HTTPException | OSError
    if isinstance(error, dropped):
        return RetriableError(f"connection failed while reading {what}: {type(error).__name__}")
    return None


def _from_http_error(error: HttpError, what: str) -> SourceError:
    status = int(error.resp.status)
    reason = _reason(error)
    message = f"Google API refused {what}: HTTP {status} {reason}".rstrip()
    retry_after = parse_retry_after(error.resp.get("retry-after"))
    rate_limited = status == 403 and reason in RATE_LIMIT_REASONS
    if status == 429 or rate_limited or (status == 503 and retry_after is not None):
        return ThrottledError(message, retry_after)
    if status >= 500:
        return RetriableError(message, retry_after)
    if status == 410:
        return CursorExpiredError(message)
    if status == 401:
        return AuthError(message)
    return FatalSourceError(message)


def _reason(error: HttpError) -> str:
    """The first `errors[].reason` of a Google JSON error body, else ''."""
    try:
        body = json.loads(error.content)
        return str(body["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""
