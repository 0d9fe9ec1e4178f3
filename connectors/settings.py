"""What each connector needs to know, resolved from the one configuration object.

The flows build these from `runtime.config.Config`; connectors never read files or the
environment themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

GOOGLE_API_ENDPOINT = "https://www.googleapis.com/"  # root, with trailing slash
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
GRAPH_ENDPOINT = "https://graph.microsoft.com/v1.0"


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
class GoogleSettings:
    service_account_file: Path
    admin_subject: str | None = None  # admin impersonated for the Directory API
    api_endpoint: str = GOOGLE_API_ENDPOINT


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

    @property
    def authority_url(self) -> str:
        return self.authority.replace("{tenant}", self.tenant_id)
