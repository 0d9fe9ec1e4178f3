"""App-only Graph tokens from msal (client credentials), cached by msal itself.

msal talks to the identity endpoints through the same `httpx.Client` as Graph (msal
accepts any object with requests-like `get`/`post`). One transport means one CA bundle
and one timeout, and `REQUESTS_CA_BUNDLE` in the environment cannot silently replace
the configured CA as it does for msal's default `requests` session.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import msal
import msal.exceptions

from connectors.settings import MicrosoftSettings
from core.errors import AuthError, RetriableError

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class BearerTokens(Protocol):
    """What the Graph client needs of a token source: app-only (`TokenProvider`) or a
    signed-in person's (`connectors.microsoft.delegated.DelegatedTokens`)."""

    def token(self) -> str:
        """A valid access token."""
        ...

    def invalidate(self, rejected: str) -> None:
        """Forget `rejected`, which Graph refused, so `token()` gets another."""
        ...


class HttpxForMsal:
    """The `get`/`post` surface msal's `http_client` parameter expects, over httpx."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def post(
        self,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """POST a form (msal sends dicts) and return the raw response."""
        body: dict[str, Any] = {"content": data}
        if isinstance(data, dict):
            # msal puts a certificate's client assertion in as bytes; requests sends bytes
            # values as they are, httpx would send their repr.
            body = {"data": {k: _text(v) for k, v in data.items()}}
        return self._client.post(url, params=params, headers=headers, **body)

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        """GET and return the raw response."""
        return self._client.get(url, params=params, headers=headers)

    def close(self) -> None:
        """The httpx client belongs to the caller: nothing to close here."""


def certificate_credential(private_key_pem: str, thumbprint: str | None = None) -> dict[str, str]:
    """msal's certificate credential from a PEM text holding the private key.

    With `thumbprint` (the SHA-1 hex shown in the app registration) msal signs its
    client assertion with RS256 and an `x5t` header. Without it, the PEM must also hold
    the certificate: msal then signs with PS256 and an `x5t#S256` header and sends the
    chain (`x5c`), which subject-name/issuer registrations need.
    """
    credential = {"private_key": private_key_pem}
    if thumbprint:
        credential["thumbprint"] = thumbprint.replace(":", "").upper()
    elif "BEGIN CERTIFICATE" in private_key_pem:
        credential["public_certificate"] = private_key_pem
    return credential


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


class TokenProvider:
    """Bearer tokens for Graph. Thread-safe; msal's cache serves repeated calls.

    The app authenticates with `certificate` (see `certificate_credential`) when one is
    given, else with the settings' client secret.
    """

    def __init__(
        self,
        settings: MicrosoftSettings,
        client: httpx.Client,
        certificate: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._client = client
        if certificate is None and settings.client_certificate is not None:
            pem = settings.client_certificate.reveal()
            certificate = certificate_credential(pem, settings.client_certificate_thumbprint)
        self._certificate = dict(certificate) if certificate else None
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        """A valid access token, from msal's cache while it lasts."""
        try:
            result = self._application().acquire_token_for_client(scopes=[GRAPH_SCOPE])
        except (httpx.TransportError, msal.exceptions.MsalServiceError) as error:
            # A dropped connection or a 5xx from the token endpoint: worth another try.
            raise RetriableError(f"token request failed for {self._who()}") from error
        if "access_token" not in result:
            raise self._refusal(result)
        return str(result["access_token"])

    def invalidate(self, rejected: str) -> None:
        """Drop `rejected` from msal's cache so the next `token()` asks for a new one.

        Graph can refuse a token msal still holds as valid (revoked, clock skew): msal
        would serve it again until it expires.
        """
        cache = self._application().token_cache
        for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            if item.get("secret") == rejected:
                cache.remove_at(item)

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._lock:
            if self._app is None:
                self._app = self._build()
            return self._app

    def _build(self) -> msal.ConfidentialClientApplication:
        # msal fetches the tenant's OpenID configuration in the constructor.
        secret = self._settings.client_secret
        credential = self._certificate or (secret.reveal() if secret else None)
        if credential is None:
            raise AuthError(f"no client secret or certificate configured for {self._who()}")
        try:
            return msal.ConfidentialClientApplication(
                self._settings.client_id,
                client_credential=credential,
                authority=self._settings.authority_url,
                instance_discovery=False,
                http_client=HttpxForMsal(self._client),
            )
        except httpx.TransportError as error:
            raise RetriableError(f"identity endpoint unreachable for {self._who()}") from error
        except ValueError as error:
            message = f"Microsoft identity refused {self._who()}: {self._scrub(str(error))}"
            raise AuthError(message) from None

    def _refusal(self, result: dict[str, Any]) -> AuthError:
        reason = str(result.get("error_description") or "").splitlines()
        first = reason[0] if reason else "no description"
        error = result.get("error", "error")
        return AuthError(f"Microsoft identity refused {self._who()}: {error}: {self._scrub(first)}")

    def _who(self) -> str:
        s = self._settings
        return f"tenant {s.tenant_id} client {s.client_id}"

    def _scrub(self, text: str) -> str:
        configured = self._settings.client_secret
        secrets = [configured.reveal() if configured else ""]
        secrets += [(self._certificate or {}).get("private_key", "")]
        for value in filter(None, secrets):
            text = text.replace(value, "**********")
        return text
