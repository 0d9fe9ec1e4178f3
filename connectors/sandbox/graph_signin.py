"""The sandbox's identity platform for a public client: the device-code flow, refresh
tokens and ID tokens, as msal's `PublicClientApplication` uses them.

`POST /{tenant}/oauth2/v2.0/devicecode` starts a sign-in (the person then enters the
code on the sign-in page, graph_devicelogin.py); the token endpoint redeems the
device code (`authorization_pending` until then) and refresh tokens. Tokens come
back as Entra sends them: an access token, a refresh token (with `offline_access`),
an ID token signed with RS256 (with `openid`; its keys at `discovery/v2.0/keys`) and
`client_info` (with `client_info=1`), from which msal keys the account it caches.
The tenant segment may be the tenant's id, `organizations` or `common`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.sandbox.graph_common import GraphState, user_id
from connectors.sandbox.graph_grants import OIDC_SCOPES, graph_scopes
from connectors.sandbox.graph_identity import aad_error, known_tenant, token, unknown_tenant
from connectors.sandbox.server import Reply, Request, Route

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_TENANT = r"/(?P<tenant>[^/]+)"
_KEY_ID = "sandbox-signing-key"
_keys: dict[int, rsa.RSAPrivateKey] = {}  # one ID-token signing key per process
_keys_lock = threading.Lock()


def _form(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def _tenant(request: Request) -> str:
    return request.match.group("tenant") if request.match else ""


def _unknown_client(client_id: str, tenant: str) -> Reply:
    return aad_error(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{tenant}'. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You may "
        "have sent your authentication request to the wrong tenant.",
    )


def _not_public(state: GraphState, client_id: str, tenant: str) -> Reply | None:
    """None for the public client; Entra's refusal for any other client id."""
    if client_id == state.grants.public_client_id:
        return None
    if client_id == state.client_id:  # a confidential app: public client flows are off
        return aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' "
            "or 'client_secret'.",
        )
    return _unknown_client(client_id, tenant)


def device_code(state: GraphState, request: Request) -> Reply:
    """POST /{tenant}/oauth2/v2.0/devicecode: a device code and the code to enter."""
    tenant, form = _tenant(request), _form(request)
    if not known_tenant(state, tenant):
        return unknown_tenant(tenant)
    client_id = form.get("client_id", "")
    if client_id not in (state.grants.public_client_id, state.client_id):
        return _unknown_client(client_id, tenant)
    code = state.grants.start(client_id, form.get("scope", ""))
    page = f"https://{request.headers.get('host', '127.0.0.1')}/devicelogin"
    return Reply.json(
        {
            "user_code": code.user_code,
            "device_code": code.device_code,
            "verification_uri": page,
            "expires_in": state.grants.code_lifetime_s,
            "interval": state.grants.interval_s,
            "message": f"To sign in, use a web browser to open the page {page} and enter "
            f"the code {code.user_code} to authenticate.",
        }
    )


def public_token(state: GraphState, request: Request) -> Reply:
    """The token endpoint: device-code and refresh-token grants here, the client
    credentials grant in graph_identity.py."""
    form = _form(request)
    grant = form.get("grant_type")
    if grant not in (DEVICE_CODE_GRANT, "refresh_token"):
        return token(state, request)
    tenant = _tenant(request)
    if not known_tenant(state, tenant):
        return unknown_tenant(tenant)
    refused = _not_public(state, form.get("client_id", ""), tenant)
    if refused is not None:
        return refused
    if grant == DEVICE_CODE_GRANT:
        return _redeem_code(state, request, form)
    return _redeem_refresh(state, request, form)


def _redeem_code(state: GraphState, request: Request, form: dict[str, str]) -> Reply:
    grants = state.grants
    with grants.lock:
        code = grants.codes.get(form.get("device_code", ""))
        if code is None or code.client_id != form.get("client_id"):
            return aad_error(
                400,
                "invalid_grant",
                70000,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        if code.redeemed:
            return aad_error(
                400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed."
            )
        if code.declined:
            return aad_error(
                400, "authorization_declined", 65004, "User declined to consent to access the app."
            )
        if code.expired:
            return aad_error(
                400,
                "expired_token",
                70019,
                "Verification code expired. Have the user retry the sign-in.",
            )
        if code.user is None:
            return aad_error(
                400,
                "authorization_pending",
                70016,
                "The provided request has not yet been authorized by the user. "
                "The user must input their code.",
            )
        code.redeemed = True
        user, scope = code.user, code.scope
    return _tokens(state, request, user, scope, graph_scopes(scope), form)


def _redeem_refresh(state: GraphState, request: Request, form: dict[str, str]) -> Reply:
    grants, presented = state.grants, form.get("refresh_token", "")
    with grants.lock:
        grant, revoked = grants.refresh.get(presented), grants.revoked.get(presented)
        valid_from = grants.valid_from.get(revoked.user, 0.0) if revoked else 0.0
    if revoked is not None:
        return aad_error(
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password. The grant was "
            f"issued on '{_stamp(revoked.issued_at)}' and the TokensValidFrom date (before "
            f"which tokens are not valid) for this user is '{_stamp(valid_from)}'.",
        )
    if grant is None or grant.client_id != form.get("client_id"):
        return aad_error(
            400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    member = state.member(grant.user)
    if member is None or not member.active:
        return aad_error(400, "invalid_grant", 50057, "The user account is disabled.")
    asked = graph_scopes(form.get("scope", ""))
    if asked - grant.scopes:
        return aad_error(
            400,
            "invalid_grant",
            65001,
            "The user or administrator has not consented to use the application with ID "
            f"'{grant.client_id}'. Send an interactive authorization request for this user "
            "and resource.",
        )
    scope = form.get("scope", "") or " ".join(grant.scopes)
    return _tokens(state, request, grant.user, scope, asked or grant.scopes, form)


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%m/%d/%Y %H:%M:%S")


def _tokens(
    state: GraphState,
    request: Request,
    user: str,
    scope: str,
    scopes: frozenset[str],
    form: dict[str, str],
) -> Reply:
    """Entra's token response for `user` within `scopes` (`scope` as requested)."""
    asked = set(scope.split())
    lifetime = state.grants.access_lifetime_s
    shown = sorted(scopes) + sorted(asked & (OIDC_SCOPES - {"offline_access"}))
    body: dict[str, object] = {
        "token_type": "Bearer",
        "scope": " ".join(shown),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": state.issue_delegated(user, scopes),
    }
    client_id = form.get("client_id", "")
    if "offline_access" in asked:
        body["refresh_token"] = state.grants.issue_refresh(user, client_id, scopes)
    if "openid" in asked:
        body["id_token"] = id_token(state, user, client_id)
    if form.get("client_info") == "1":
        info = {"uid": user_id(user), "utid": state.tenant_id}
        body["client_info"] = _b64(json.dumps(info).encode())
    return Reply.json(body)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _signing_key() -> rsa.RSAPrivateKey:
    # Generated once per process (a 2048-bit key takes tens of milliseconds).
    with _keys_lock:
        if 0 not in _keys:
            _keys[0] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _keys[0]


def id_token(state: GraphState, user: str, client_id: str) -> str:
    """A v2.0 ID token for `user` signed in to `client_id` (RS256, key in `keys`)."""
    member = state.member(user)
    now = int(time.time())
    claims = {
        "aud": client_id,
        "iss": f"https://login.microsoftonline.com/{state.tenant_id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": member.name if member else user,
        "oid": user_id(user),
        "preferred_username": user,
        # `sub` is pairwise: the same person has another one in another app.
        "sub": _b64(uuid.uuid5(uuid.UUID(user_id(user)), client_id).bytes),
        "tid": state.tenant_id,
        "ver": "2.0",
    }
    return jwt.encode(claims, _signing_key(), algorithm="RS256", headers={"kid": _KEY_ID})


def signing_keys(state: GraphState, request: Request) -> Reply:
    """GET /{tenant}/discovery/v2.0/keys: the public key ID tokens are signed with."""
    if not known_tenant(state, _tenant(request)):
        return unknown_tenant(_tenant(request))
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_signing_key().public_key(), as_dict=True)
    return Reply.json({"keys": [{**jwk, "kid": _KEY_ID, "use": "sig"}]})


def signin_routes(state: GraphState) -> list[Route]:
    """Routes of the public client's sign-in; the token route also serves the client
    credentials grant, so these go before graph_identity's."""
    return [
        (
            "POST",
            _TENANT + r"/oauth2/v2\.0/devicecode",
            lambda request: device_code(state, request),
        ),
        ("POST", _TENANT + r"/oauth2/v2\.0/token", lambda request: public_token(state, request)),
        ("GET", _TENANT + r"/discovery/v2\.0/keys", lambda request: signing_keys(state, request)),
    ]
