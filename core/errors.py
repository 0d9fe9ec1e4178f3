"""Errors grouped by what the caller does about them.

Branch on these types, never on message text. Messages never contain secrets.
"""

from __future__ import annotations


class OneOnOneError(Exception):
    """Base of every error this project raises on purpose."""


class BadInputError(OneOnOneError):
    """Configuration or roster is wrong: stop before anything is written."""


class SourceError(OneOnOneError):
    """A provider call failed."""


class RetriableError(SourceError):
    """Worth retrying (429, 5xx, rate-limit 403, dropped connection).

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ThrottledError(RetriableError):
    """The provider asked us to slow down (429, rate-limit 403, 503 with Retry-After):
    retried like any retriable error, and it slows the provider's limiter down."""


class FatalSourceError(SourceError):
    """Retrying will not help (400, 401/403 after refresh, 404, no mailbox, quota)."""


class CursorExpiredError(SourceError):
    """The sync cursor is no longer valid (410): resync this calendar in full."""


class AuthError(FatalSourceError):
    """Credentials were refused. The message names tenant/client, never the secret."""


class WarehouseBusyError(OneOnOneError):
    """Another run is writing the same warehouse: nothing was changed, try again later."""


class OutputError(OneOnOneError):
    """A report file could not be written; the files already there are left whole."""
