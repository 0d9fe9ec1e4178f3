"""One Calendar client per thread, reused across calendars.

Building a discovery client costs milliseconds, and every new TLS connection loads
the CA bundle again (tens of milliseconds with `http.ca_bundle` added to the system
CAs), so each thread keeps one transport (httplib2 is not thread-safe) with its
pooled connection and one client, and every request carries the credentials of its
own calendar's owner through its `http`.
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
    """Per-thread transports and clients; `close` closes every thread's connections."""

    def __init__(self, http: HttpSettings, endpoint: str) -> None:
        self._http = http
        self._endpoint = endpoint
        self._local = threading.local()
        self._transports: list[httplib2.Http] = []
        self._lock = threading.Lock()

    def transport(self) -> httplib2.Http:
        """This thread's transport (token refreshes use it too)."""
        found: httplib2.Http | None = getattr(self._local, "transport", None)
        if found is None:
            found = self._local.transport = make_transport(self._http)
            with self._lock:
                self._transports.append(found)
        return found

    def events(self) -> tuple[Any, httplib2.Http]:
        """This thread's Calendar `events` resource and the transport under it (built
        once: the client library writes every method's documentation as it builds one)."""
        found = getattr(self._local, "client", None)
        if found is None:
            transport = self.transport()
            service = bare_service("calendar", "v3", self._endpoint, transport)
            found = (service.events(), transport)
            self._local.client = found
        return found

    def authorized(self, credentials: auth_credentials.Credentials) -> Any:
        """This thread's transport acting with `credentials` (one refresh on a 401)."""
        transport = self.events()[1]
        return google_auth_httplib2.AuthorizedHttp(
            credentials, http=transport, max_refresh_attempts=1
        )

    def close(self) -> None:
        """Close the pooled connections of every thread (they reconnect if used again)."""
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()
