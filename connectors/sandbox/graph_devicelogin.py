"""The sandbox's device-code sign-in page, and the controls tests use in its place.

`GET /devicelogin` is the page the device flow's message points at; `POST /devicelogin`
with `otc` (the code shown), `login` (the person's address) and `action` (`approve`,
or `decline`) does what a person does there: sign in as that member of the tenant
and consent to the scopes the app asked for, or cancel. Signing in needs no password:
the sandbox trusts whoever types an address.

Each control takes the organisation first, as `server.mutate(change, *args)` calls it
when the sandbox runs in a child process (connectors/sandbox/app.py), and acts on
the Graph sandbox serving that organisation. A control that finds nothing to act on
returns None rather than raising (a raise would end a child sandbox's command loop).
"""

from __future__ import annotations

import html
import threading
import weakref
from urllib.parse import parse_qs

from connectors.sandbox.graph_common import GraphState
from connectors.sandbox.graph_grants import DeviceCode
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

APP_NAME = "oneonone"
_served: list[weakref.ref[GraphState]] = []
_served_lock = threading.Lock()


class SignInRefused(Exception):
    """What the sign-in page answers instead of signing someone in (AADSTS text)."""


def register(state: GraphState) -> None:
    """Make `state` reachable from its organisation, for the controls below."""
    with _served_lock:
        _served[:] = [ref for ref in _served if ref() is not None]
        _served.append(weakref.ref(state))


def states_of(org: SandboxOrg) -> list[GraphState]:
    """The Graph sandboxes of this process serving `org` (tests swap a state's org)."""
    with _served_lock:
        states = [ref() for ref in _served]
    return [state for state in states if state is not None and state.org is org]


def enter_code(state: GraphState, user_code: str | None, email: str | None) -> DeviceCode:
    """Sign `email` in on the device code `user_code` (None: the latest one waiting);
    `email` None declines it. Raises SignInRefused as the page would answer."""
    grants = state.grants
    with grants.lock:
        code = grants.by_user_code(user_code)
        if code is None or code.expired or code.redeemed or code.declined:
            raise SignInRefused(
                "AADSTS70018: Invalid verification code. That code didn't work. "
                "Check the code and try again."
            )
        if email is None:
            code.declined = True
            return code
        member = state.member(email.strip())
        if member is None or member.provider != "microsoft":
            raise SignInRefused(
                f"AADSTS50034: The user account {email} does not exist in the "
                f"{state.tenant_id} directory. To sign into this application, the account "
                "must be added to the directory."
            )
        if not member.active:
            raise SignInRefused("AADSTS50057: The user account is disabled.")
        code.user = member.email.lower()
        return code


def _page(title: str, body: str, status: int = 200) -> Reply:
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Reply(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})


def code_form(request: Request) -> Reply:
    """GET /devicelogin: the form a person fills in."""
    return _page(
        "Enter code",
        "<p>Enter the code displayed on your app or device.</p>"
        "<form method='post' action='/devicelogin'>"
        "<label>Code <input name='otc' autocomplete='off'></label>"
        "<label>Work account <input name='login' type='email'></label>"
        "<button name='action' value='approve'>Sign in and accept</button>"
        "<button name='action' value='decline'>Cancel</button></form>",
    )


def submit_code(state: GraphState, request: Request) -> Reply:
    """POST /devicelogin: sign in and consent (or decline) for the code entered."""
    form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
    declining = form.get("action") == "decline"
    email = None if declining else form.get("login", "")
    try:
        enter_code(state, form.get("otc", ""), email)
    except SignInRefused as refused:
        return _page("Sign in", f"<p>{html.escape(str(refused))}</p>", 400)
    if declining:
        return _page("Sign in", "<p>You declined to sign in. You may now close this window.</p>")
    return _page(
        APP_NAME,
        f"<p>You have signed in to the {APP_NAME} application on your device. "
        "You may now close this window.</p>",
    )


def devicelogin_routes(state: GraphState) -> list[Route]:
    """Routes of the sign-in page."""
    return [
        ("GET", r"/devicelogin", code_form),
        ("POST", r"/devicelogin", lambda request: submit_code(state, request)),
    ]


def _each(org: SandboxOrg, user_code: str | None, email: str | None) -> str | None:
    for state in states_of(org):
        try:
            return enter_code(state, user_code, email).user_code
        except SignInRefused:
            continue
    return None


def approve_sign_in(org: SandboxOrg, email: str, user_code: str | None = None) -> str | None:
    """`email` enters `user_code` (None: the latest code waiting) and consents; the code
    approved, or None when there is none to approve."""
    return _each(org, user_code, email)


def decline_sign_in(org: SandboxOrg, user_code: str | None = None) -> str | None:
    """The person cancels on the sign-in page; the code declined, or None."""
    return _each(org, user_code, None)


def expire_sign_in_code(org: SandboxOrg, user_code: str | None = None) -> str | None:
    """Let a device code run out (its 15 minutes pass); the code expired, or None."""
    for state in states_of(org):
        with state.grants.lock:
            code = state.grants.by_user_code(user_code)
            if code is not None:
                code.expires_at = 0.0
                return code.user_code
    return None


def revoke_sign_ins(org: SandboxOrg, email: str) -> int:
    """An admin revokes `email`'s sessions: their refresh tokens stop working and their
    access tokens are refused. The number of refresh tokens revoked."""
    revoked = 0
    for state in states_of(org):
        with state.grants.lock:
            before = len(state.grants.revoked)
            state.forget_tokens(state.grants.revoke_user(email.lower()))
            revoked += len(state.grants.revoked) - before
    return revoked


def expire_access_tokens(org: SandboxOrg) -> int:
    """Every delegated access token expires: Graph answers 401 until the client redeems
    its refresh token. The number of tokens expired."""
    expired = 0
    for state in states_of(org):
        with state.lock:
            tokens = list(state.grants.delegations)
            state.forget_tokens(tokens)
            expired += len(tokens)
    return expired
