"""The installed-app ("Desktop app") OAuth client of the sandbox, and PKCE helpers.

`write_installed_client` writes the client JSON the Google Cloud console downloads for
a Desktop app, with `auth_uri` and `token_uri` on the sandbox (`google_consent` serves
the one, `google_auth` the other).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from connectors.sandbox.google_auth import TOKEN_PATH

AUTH_PATH = "/google/o/oauth2/auth"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class InstalledClient:
    """A "Desktop app" OAuth client (its secret is not confidential, by Google's design)."""

    client_id: str
    client_secret: str


def write_installed_client(path: Path, root: str) -> InstalledClient:
    """Write a fresh installed-app client JSON whose endpoints are on `root` (the
    server's base URL, with its trailing slash); return the client."""
    client = InstalledClient(
        client_id=f"{secrets.randbelow(10**12):012d}-sandbox.apps.googleusercontent.com",
        client_secret="GOCSPX-" + secrets.token_urlsafe(21),
    )
    info = {
        "installed": {
            "client_id": client.client_id,
            "project_id": "oneonone-sandbox",
            "auth_uri": root + AUTH_PATH.lstrip("/"),
            "token_uri": root + TOKEN_PATH.lstrip("/"),
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_secret": client.client_secret,
            "redirect_uris": ["http://localhost"],
        }
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(info, indent=2))
    return client


def s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE `verifier` (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_loopback(uri: str) -> bool:
    """Whether `uri` is an installed app's loopback redirect (http, loopback, a port)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and port is not None
