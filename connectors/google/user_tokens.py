"""The signed-in person's credentials: silent refreshes, saved back to the store.

`UserCredentials` refreshes over our own transport (which trusts `http.ca_bundle`),
like the service account's `tokens.SubjectCredentials`, and saves every new access
token to the `TokenStore`, so the next run starts from a live one. `UserTokens` hands
them out for the person's own calendar and refuses every other one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import credentials as auth_credentials
from google.auth import exceptions as auth_errors
from google.oauth2 import credentials as oauth2_credentials

from connectors.google.client import make_transport
from connectors.settings import HttpSettings
from connectors.token_store import TokenStore
from core.errors import AuthError

LOGIN = "run `oneonone login google`"


class UserCredentials(auth_credentials.Credentials):
    """A signed-in person's credentials that refresh over our own transport.

    Every refresh is saved to the store, so the next run starts from a live token. A
    refresh token Google refuses (expired, access removed, password changed) is an
    AuthError asking to sign in again; the token itself is never in any message.
    """

    def __init__(
        self,
        inner: oauth2_credentials.Credentials,
        email: str,
        store: TokenStore | None,
        http: HttpSettings,
        transport: Callable[[], httplib2.Http] | None = None,
    ) -> None:
        """`transport`: the caller's thread's transport (None: one per refresh)."""
        super().__init__()
        self.email = email
        self._inner = inner
        self._store = store
        self._http = http
        self._transport = transport
        self._lock = threading.Lock()
        self.token, self.expiry = inner.token, inner.expiry

    def refresh(self, request: Any) -> None:
        """Get a new access token; `request` is ignored in favour of our transport."""
        stale = self.token
        with self._lock:
            if self.token != stale and self.valid:
                return  # another thread refreshed it while this one waited
            transport = self._transport() if self._transport else make_transport(self._http)
            try:
                self._inner.refresh(google_auth_httplib2.Request(transport))
            except auth_errors.RefreshError as error:
                if error.retryable:
                    raise  # classified as retriable where the request was made
                raise AuthError(_refused(self.email, error)) from error
            finally:
                if self._transport is None:
                    transport.close()
            self.token, self.expiry = self._inner.token, self._inner.expiry
            if self._store is not None:
                self._store.save(dump(self._inner, self.email))


class UserTokens:
    """The signed-in person's credentials, for their own calendar only."""

    def __init__(self, credentials: UserCredentials) -> None:
        self._credentials = credentials

    @property
    def email(self) -> str:
        return self._credentials.email

    def credentials(self, subject: str) -> UserCredentials:
        """The person's credentials when `subject` is the person, else an AuthError."""
        if subject.strip().lower() != self.email:
            raise AuthError(
                f"cannot read the calendar of {subject}: signed in to Google as {self.email},"
                " who may read only their own calendar"
            )
        return self._credentials


def dump(credentials: oauth2_credentials.Credentials, email: str) -> str:
    """What the store keeps: google-auth's authorized-user JSON without the client
    secret (read from the client file each time), plus the signed-in email."""
    saved = json.loads(credentials.to_json(strip=["client_secret", "universe_domain", "account"]))
    return json.dumps({**saved, "email": email})


def _refused(email: str, error: auth_errors.RefreshError) -> str:
    who = f" of {email}" if email else ""
    data = error.args[1] if len(error.args) > 1 else None
    code = f" ({data['error']})" if isinstance(data, dict) and data.get("error") else ""
    return (
        f"Google refused the saved sign-in{who}{code}: it expired or access was removed;"
        f" {LOGIN} again"
    )
