"""Access tokens per impersonated subject, cached across calendars and rounds.

Domain-wide delegation needs one token per calendar owner. Minting one costs an RSA
signature and a round trip to the token endpoint, so each subject's credentials are
kept for the life of the source and reused until they expire. Token requests are not
API requests: they are never counted in `CalendarBatch.requests`.

`SubjectCredentials` always refreshes over a transport of ours (which trusts
`http.ca_bundle`): the batch client refreshes a token after an inner 401 over a bare
`httplib2.Http()`, which would not trust a TLS-inspecting proxy or the sandbox.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

import google_auth_httplib2
import httplib2
from google.auth import credentials as auth_credentials
from google.oauth2 import service_account


class Tokens(Protocol):
    """Who reads each calendar: a service account impersonating its owner
    (`SubjectTokens`), or a person signed in to their own (`oauth.UserTokens`)."""

    def credentials(self, subject: str) -> auth_credentials.Credentials:
        """The credentials that read `subject`'s calendar (a SourceError when none may)."""
        ...


class SubjectCredentials(auth_credentials.Credentials):
    """Delegated credentials of one subject that refresh over our own transport."""

    def __init__(
        self, delegated: service_account.Credentials, transport: Callable[[], httplib2.Http]
    ) -> None:
        super().__init__()
        self.subject = str(delegated._subject)
        self._delegated = delegated
        self._transport = transport
        self._lock = threading.Lock()

    def refresh(self, request: Any) -> None:
        """Mint a new token; `request` is ignored in favour of a transport of ours."""
        with self._lock:
            self._delegated.refresh(google_auth_httplib2.Request(self._transport()))
            self.token = self._delegated.token
            self.expiry = self._delegated.expiry


class SubjectTokens:
    """One `SubjectCredentials` per subject, created on first use and then reused.

    Thread-safe when `transport` gives each thread an `httplib2.Http` of its own
    (httplib2 is not thread-safe).
    """

    def __init__(
        self, base: service_account.Credentials, transport: Callable[[], httplib2.Http]
    ) -> None:
        self._base = base
        self._transport = transport
        self._by_subject: dict[str, SubjectCredentials] = {}
        self._lock = threading.Lock()

    def credentials(self, subject: str) -> SubjectCredentials:
        """The cached credentials of `subject` (not refreshed yet when new)."""
        with self._lock:
            found = self._by_subject.get(subject)
            if found is None:
                found = SubjectCredentials(self._base.with_subject(subject), self._transport)
                self._by_subject[subject] = found
            return found


class BatchCredentials(auth_credentials.Credentials):
    """One subject's credentials for one batch request: a failed refresh is kept, not raised.

    The batch client refreshes the token of an inner request answered 401 in the middle
    of `BatchHttpRequest.execute`; a refresh that raised there would fail every
    calendar of the batch. Kept in `failure`, it becomes that calendar's error alone
    (the inner request is re-sent with the old token and refused again).
    """

    def __init__(self, subject: auth_credentials.Credentials) -> None:
        super().__init__()
        self._subject = subject
        self.failure: Exception | None = None
        self.token, self.expiry = subject.token, subject.expiry

    def refresh(self, request: Any) -> None:
        """Refresh the subject's token (shared with later batches); keep any failure."""
        try:
            self._subject.refresh(request)
        except Exception as error:  # classified by the batch with the inner answer
            self.failure = error
        self.token, self.expiry = self._subject.token, self._subject.expiry
