"""Opaque page and sync tokens for the sandbox Google APIs.

A token is base64url JSON plus an HMAC, so a client cannot forge or edit one: a
tampered or foreign token is simply invalid (a 410 for a sync token, a 400 for a page
token), as with the real API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any


class TokenCodec:
    """Signs and checks tokens with a key that lives as long as the server."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def encode(self, kind: str, payload: dict[str, Any]) -> str:
        """A token of `kind` ("page", "sync", "users") carrying `payload`."""
        body = json.dumps({"k": kind, **payload}, separators=(",", ":"), sort_keys=True)
        data = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{data}.{self._mac(data)}"

    def decode(self, kind: str, token: str) -> dict[str, Any] | None:
        """The payload of a genuine token of `kind`, else None."""
        data, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._mac(data)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.pop("k", None) != kind:
            return None
        return payload

    def _mac(self, data: str) -> str:
        digest = hmac.new(self._key, data.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()


def fingerprint(query: dict[str, list[str]], ignore: frozenset[str]) -> str:
    """A short digest of a request's query, so a page token only fits its own query."""
    kept = sorted((k, v) for k, v in query.items() if k not in ignore)
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:16]
