"""One Calendar client per source, one transport per thread, reused across calendars.

Building a discovery client costs 10-15 ms (the client library writes every method's
documentation as it builds one), so a source builds its `events` resource once and
every thread builds its requests from it: building a request only reads the resource.
Each request is then sent over the transport of the thread that sends it (httplib2 is
not thread-safe), carrying the credentials of its own calendar's owner through its
`http`; the resource's own transport refuses every request, so a request that was not
given one fails loudly instead of sharing a connection between threads.
"""

from __future__ import annotations

import threading
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import credentials as auth_credentials

from connectors.google.client import bare_service, make_transport
from connectors.settings import HttpSettings


class ThreadClients:
    """One shared `events` resource and a transport per thread; `close` closes every
    thread's connections."""

    def __init__(self, http: HttpSettings, endpoint: str) -> None:
        self._http = http
        self._endpoint = endpoint
        self._local = threading.local()
        self._transports: list[httplib2.Http] = []
        self._lock = threading.Lock()
        self._events: Any = None

    def transport(self) -> httplib2.Http:
        """This thread's transport (token refreshes use it too)."""
        found: httplib2.Http | None = getattr(self._local, "transport", None)
        if found is None:
            found = self._local.transport = make_transport(self._http)
            with self._lock:
                self._transports.append(found)
        return found

    def events(self) -> Any:
        """The source's Calendar `events` resource, shared by every thread (built once).

        Its requests must be given an `http` (this thread's `transport`, or `authorized`)
        before they are sent."""
        with self._lock:
            if self._events is None:
                service = bare_service("calendar", "v3", self._endpoint, _NoTransport())
                self._events = service.events()
            return self._events

    def authorized(self, credentials: auth_credentials.Credentials) -> Any:
        """This thread's transport acting with `credentials` (one refresh on a 401)."""
        return google_auth_httplib2.AuthorizedHttp(
            credentials, http=self.transport(), max_refresh_attempts=1
        )

    def close(self) -> None:
        """Close the pooled connections of every thread (they reconnect if used again)."""
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()


class _NoTransport(httplib2.Http):
    """The shared resource's transport: every request it builds is sent over another."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a shared Calendar resource's request was sent without its own http")
