"""What each connector needs to know, resolved from the one configuration object.

The flows build these from `runtime.config.Config`; connectors never read files or the
environment themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from connectors.limits import Quota, Rate

GOOGLE_API_ENDPOINT = "https://www.googleapis.com/"  # root, with trailing slash
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"
# The providers' documented maxima: calls per Calendar API batch, requests per $batch.
GOOGLE_MAX_BATCH = 1000
GRAPH_MAX_BATCH = 20


class Secret:
    """A secret value that never prints itself (repr, str, f-strings, logs)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class HttpSettings:
    ca_bundle: Path | None = None  # extra CA trusted by every client
    timeout_s: float = 30.0
    max_concurrency: int = 8


@dataclass(frozen=True)
class SyncWindow:
    """Reach of a full sync: [start, end), aware UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class GoogleLimits:
    """Calendar API quotas; a call inside a batch request counts as one request."""

    requests_per_minute: int = 10_000  # the whole project
    requests_per_minute_per_calendar: int = 600  # each user's calendar
    batch_size: int = 50  # calls per batch request, at most GOOGLE_MAX_BATCH

    @property
    def quota(self) -> Quota:
        """What the calendar source's limiter applies."""
        return Quota(
            project=Rate(self.requests_per_minute, 60),
            per_key=Rate(self.requests_per_minute_per_calendar, 60),
        )


@dataclass(frozen=True)
class MicrosoftLimits:
    """Graph's Outlook quotas per app and mailbox; a request inside `$batch` counts."""

    concurrent_per_mailbox: int = 4
    requests_per_10_minutes_per_mailbox: int = 10_000
    batch_size: int = GRAPH_MAX_BATCH  # requests per $batch

    @property
    def quota(self) -> Quota:
        """What the calendar source's limiter applies."""
        return Quota(
            per_key=Rate(self.requests_per_10_minutes_per_mailbox, 600),
            concurrent_per_key=self.concurrent_per_mailbox,
        )


@dataclass(frozen=True)
class GoogleSettings:
    service_account_file: Path
    admin_subject: str | None = None  # admin impersonated for the Directory API
    api_endpoint: str = GOOGLE_API_ENDPOINT
    limits: GoogleLimits = GoogleLimits()
    # Admin impersonated for the Reports API (Meet attendance); None: `admin_subject`.
    reports_admin_subject: str | None = None

    @property
    def reports_subject(self) -> str | None:
        """Who reads the Meet audit log: `reports_admin_subject`, else `admin_subject`."""
        return self.reports_admin_subject or self.admin_subject


@dataclass(frozen=True)
class MicrosoftSettings:
    """The app registration. It signs in with a client secret or a certificate."""

    tenant_id: str
    client_id: str
    client_secret: Secret | None
    authority: str = MICROSOFT_AUTHORITY
    graph_endpoint: str = GRAPH_ENDPOINT
    client_certificate: Secret | None = None  # PEM: private key, then the certificate
    client_certificate_thumbprint: str | None = None  # SHA-1 hex, as Entra shows it
    limits: MicrosoftLimits = MicrosoftLimits()

    @property
    def authority_url(self) -> str:
        return self.authority.replace("{tenant}", self.tenant_id)


@dataclass(frozen=True)
class GoogleSignIn:
    """A person's own Google sign-in (no admin): an installed-app OAuth client.

    `client_file` is the client's JSON as the Google Cloud console downloads it
    ("Desktop app": an `installed` object with client_id, client_secret, auth_uri,
    token_uri); the secret of an installed app is not confidential.
    """

    client_file: Path
    api_endpoint: str = GOOGLE_API_ENDPOINT
    limits: GoogleLimits = GoogleLimits()


@dataclass(frozen=True)
class MicrosoftSignIn:
    """A person's own Microsoft 365 sign-in (no admin consent): a public client app
    registration with "Allow public client flows" on, delegated permissions."""

    client_id: str
    tenant_id: str = "organizations"  # any work account; or the tenant's id or domain
    authority: str = MICROSOFT_AUTHORITY
    graph_endpoint: str = GRAPH_ENDPOINT
    limits: MicrosoftLimits = MicrosoftLimits()

    @property
    def authority_url(self) -> str:
        return self.authority.replace("{tenant}", self.tenant_id)
