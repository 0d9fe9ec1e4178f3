"""The sandbox's Microsoft identity platform: tenant discovery and the v2.0 token endpoint.

msal with `instance_discovery=False` and authority `https://host/{tenant}` GETs
`{authority}/v2.0/.well-known/openid-configuration`, then POSTs the client credentials
grant (client_id and client_secret in the form body) to its `token_endpoint`. The
configuration is served for the tenant's id and for `organizations` and `common`;
the client credentials grant needs the tenant's id. A public client's grants
(device code, refresh token) are graph_signin.py's.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote_plus

from connectors.sandbox.graph_certs import JWT_BEARER, AssertionRejected, verify_assertion
from connectors.sandbox.graph_common import GraphState
from connectors.sandbox.server import Reply, Request, Route

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
_TENANT = r"/(?P<tenant>[^/]+)"


def aad_error(status: int, error: str, code: int, description: str) -> Reply:
    """An Entra error answer: OAuth's `error`, `AADSTS<code>: <description>` and traces."""
    now = datetime.now(UTC)
    trace, correlation = uuid.uuid4(), uuid.uuid4()
    text = (
        f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
        f"Correlation ID: {correlation}\r\nTimestamp: {now:%Y-%m-%d %H:%M:%SZ}"
    )
    body = {
        "error": error,
        "error_description": text,
        "error_codes": [code],
        "timestamp": f"{now:%Y-%m-%d %H:%M:%SZ}",
        "trace_id": str(trace),
        "correlation_id": str(correlation),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return Reply.json(body, status)


def known_tenant(state: GraphState, tenant: str) -> bool:
    """Whether an authority's tenant segment names this tenant: its id, or the
    multi-tenant aliases `organizations` (work accounts) and `common`."""
    return tenant in (state.tenant_id, "organizations", "common")


def unknown_tenant(tenant: str) -> Reply:
    """Entra's answer for a tenant segment it does not know."""
    return aad_error(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.",
    )


def openid_configuration(state: GraphState, request: Request) -> Reply:
    """The tenant's v2.0 OpenID configuration, pointing back at this server."""
    tenant = request.match.group("tenant") if request.match else ""
    if not known_tenant(state, tenant):
        return unknown_tenant(tenant)
    here = f"https://{request.headers.get('host', '127.0.0.1')}/{tenant}"
    issuer = tenant if tenant == state.tenant_id else "{tenantid}"
    return Reply.json(
        {
            "token_endpoint": f"{here}/oauth2/v2.0/token",
            "authorization_endpoint": f"{here}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{here}/oauth2/v2.0/devicecode",
            # A multi-tenant alias has no one issuer: Entra writes a placeholder.
            "issuer": f"https://login.microsoftonline.com/{issuer}/v2.0",
            "jwks_uri": f"{here}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "EU",
        }
    )


def _credentials(request: Request) -> tuple[str, str, dict[str, str]]:
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        pair = base64.b64decode(auth[6:]).decode()
        client_id, _, secret = (unquote_plus(part) for part in pair.partition(":"))
    return client_id, secret, form


def token(state: GraphState, request: Request) -> Reply:
    """The client credentials grant: a bearer token for the right id and secret."""
    tenant = request.match.group("tenant") if request.match else ""
    if tenant != state.tenant_id:
        return unknown_tenant(tenant)
    client_id, secret, form = _credentials(request)
    if form.get("grant_type") != "client_credentials":
        return aad_error(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )
    if client_id != state.client_id:
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
        )
    refused = _authenticate(state, request, tenant, client_id, secret, form)
    if refused is not None:
        return refused
    if GRAPH_SCOPE not in form.get("scope", "").split():
        return aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {form.get('scope', '')} is not valid.",
        )
    return Reply.json(
        {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": state.issue_token(),
        }
    )


def _authenticate(
    state: GraphState,
    request: Request,
    tenant: str,
    client_id: str,
    secret: str,
    form: dict[str, str],
) -> Reply | None:
    """None when the client proved itself (secret or certificate), else the refusal."""
    if form.get("client_assertion_type") == JWT_BEARER:
        audience = f"https://{request.headers.get('host', '127.0.0.1')}/{tenant}/oauth2/v2.0/token"
        try:
            verify_assertion(
                form.get("client_assertion", ""), state.certificates, client_id, audience
            )
        except AssertionRejected as error:
            return aad_error(401, "invalid_client", _aad_code(str(error)), _reason(str(error)))
        return None
    if hmac.compare_digest(secret.encode(), state.client_secret.encode()):
        return None
    return aad_error(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. "
        "Ensure the secret being sent in the request is the client secret "
        f"value, not the client secret ID, for a secret added to app '{client_id}'.",
    )


def _aad_code(text: str) -> int:
    return int(text.split(":", 1)[0].removeprefix("AADSTS"))


def _reason(text: str) -> str:
    return text.split(": ", 1)[1]


def identity_routes(state: GraphState) -> list[Route]:
    """Routes of the identity endpoints for `state`'s tenant."""
    return [
        (
            "GET",
            _TENANT + r"/v2\.0/\.well-known/openid-configuration",
            lambda request: openid_configuration(state, request),
        ),
        ("POST", _TENANT + r"/oauth2/v2\.0/token", lambda request: token(state, request)),
    ]
