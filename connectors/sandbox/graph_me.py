"""Graph for a signed-in person: `/me`, `/me/directReports`, and what a delegated token
may read.

A delegated token (graph_signin.py) acts for one person within the scopes they
consented to: `/me` needs `User.Read`; `/me/directReports` lists the reports with
their basic profile (`User.ReadBasic.All`: id, displayName, givenName, surname, mail,
userPrincipalName; no job title, no hire date, no `accountEnabled`), or only their ids
with `User.Read` alone; a calendar needs `Calendars.Read` and must be the person's own
(`/me/calendarView…`, or `/users/{their id or address}/calendarView…`): anyone else's
answers 403 ErrorAccessDenied. `/me` with an app-only token answers 400, as Graph.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.graph_common import (
    GRAPH_PREFIX,
    GraphState,
    base_url,
    graph_error,
    unauthorised,
)
from connectors.sandbox.graph_directory import (
    contact_resource,
    project,
    reports_of,
    select_fields,
    user_resource,
)
from connectors.sandbox.graph_grants import Delegation
from connectors.sandbox.model import Member
from connectors.sandbox.server import Reply, Request, Route

ME = GRAPH_PREFIX.replace(".", r"\.") + r"/me"
BASIC_PROFILE = ("displayName", "givenName", "id", "mail", "surname", "userPrincipalName")
_READ_OTHERS = frozenset({"User.ReadBasic.All", "User.Read.All", "Directory.Read.All"})
_READ_CALENDAR = frozenset({"Calendars.Read", "Calendars.ReadWrite"})
_READ_ME = frozenset({"User.Read", "User.ReadWrite", *_READ_OTHERS})


def me_only() -> Reply:
    """Graph's answer to `/me` without a signed-in user."""
    return graph_error(
        400, "BadRequest", "/me request is only valid with delegated authentication flow."
    )


def _denied() -> Reply:
    return graph_error(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def _insufficient() -> Reply:
    return graph_error(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def delegated_mailbox(state: GraphState, delegation: Delegation, key: str | None) -> str | Reply:
    """The mailbox a delegated calendar request reads (`key` None: `/me`), or the refusal."""
    if not delegation.scopes & _READ_CALENDAR:
        return _denied()
    if key is not None:
        member = state.member(key)
        if member is None:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
        if member.email.lower() != delegation.user:
            return _denied()
    return delegation.user


def _signed_in(state: GraphState, request: Request) -> tuple[Delegation, Member] | Reply:
    if not state.authorised(request):
        return unauthorised()
    delegation = state.delegation(request)
    if delegation is None:
        return me_only()
    if not delegation.scopes & _READ_ME:
        return _insufficient()
    member = state.member(delegation.user)
    if member is None:  # removed from the org since signing in
        return unauthorised()
    return delegation, member


def get_me(state: GraphState, request: Request) -> Reply:
    """GET /me: the signed-in person's own profile, `$select` honoured."""
    found = _signed_in(state, request)
    if isinstance(found, Reply):
        return found
    user = project(user_resource(found[1]), select_fields(request.arg("$select")))
    return Reply.json({"@odata.context": f"{base_url(request)}/$metadata#users/$entity", **user})


def _report(member: Member, basic: bool) -> dict[str, Any]:
    entry = contact_resource(member) if member.provider != "microsoft" else user_resource(member)
    if basic:
        return project(entry, [f for f in BASIC_PROFILE if f in entry])
    return {"@odata.type": entry["@odata.type"], "id": entry["id"]}


def my_direct_reports(state: GraphState, request: Request) -> Reply:
    """GET /me/directReports: users and mail contacts, with their basic profile."""
    found = _signed_in(state, request)
    if isinstance(found, Reply):
        return found
    delegation, member = found
    basic = bool(delegation.scopes & _READ_OTHERS)
    value = [_report(report, basic) for report in reports_of(state, member)]
    context = f"{base_url(request)}/$metadata#directoryObjects"
    return Reply.json({"@odata.context": context, "value": value})


def me_routes(state: GraphState) -> list[Route]:
    """Routes of the signed-in person's profile and reports (calendars: graph_calendar)."""
    return [
        ("GET", ME, lambda request: get_me(state, request)),
        ("GET", ME + "/directReports", lambda request: my_direct_reports(state, request)),
    ]
