"""Graph directory endpoints over the sandbox org: users, manager, directReports.

Only the org's Microsoft members are users of this tenant. `accountEnabled` and
`employeeHireDate` come back only when `$select`ed, as in Graph. A Microsoft manager's
reports who live on Google Workspace appear in `directReports` as mail contacts
(`#microsoft.graph.orgContact`), the kind of non-user entry real tenants hold.
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import urlencode

from connectors.sandbox.graph_common import (
    GRAPH_PREFIX,
    GraphState,
    base_url,
    graph_error,
    opaque_id,
    refusal,
    user_id,
)
from connectors.sandbox.model import Member
from connectors.sandbox.server import Reply, Request, Route

DEFAULT_FIELDS = ("displayName", "mail", "userPrincipalName", "givenName", "surname", "jobTitle")
_USERS = GRAPH_PREFIX.replace(".", r"\.") + r"/users"
_EXPAND = re.compile(r"^manager(?:\(\$select=(?P<fields>[^)]*)\))?$")
_USER_TYPE = "#microsoft.graph.user"


def user_resource(member: Member) -> dict[str, Any]:
    """Every property of a member's user object the sandbox serves."""
    first, _, last = member.name.partition(" ")
    return {
        "@odata.type": _USER_TYPE,
        "id": user_id(member.email),
        "displayName": member.name,
        "givenName": first,
        "surname": last,
        "jobTitle": member.title,
        "mail": member.email,
        "userPrincipalName": member.email,
        "accountEnabled": member.active,
        "employeeHireDate": f"{member.hired_on.isoformat()}T00:00:00Z",
    }


def project(resource: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """`resource` cut to `fields` (None: Graph's default properties), type and id kept."""
    wanted = {"@odata.type", "id", *(fields or DEFAULT_FIELDS)}
    return {key: value for key, value in resource.items() if key in wanted}


def select_fields(value: str | None) -> list[str] | None:
    """The properties a `$select` names; None without one."""
    return [f.strip() for f in value.split(",") if f.strip()] if value else None


def tenant_users(state: GraphState) -> list[Member]:
    """The org's Microsoft members, ordered by email."""
    with state.lock:
        people = [m for m in state.org.people if m.provider == "microsoft"]
    return sorted(people, key=lambda member: member.email)


def manager_in_tenant(state: GraphState, member: Member) -> Member | None:
    """The member's manager when the manager is a user of this tenant."""
    manager = state.members().get((member.manager_email or "").lower())
    return manager if manager is not None and manager.provider == "microsoft" else None


def _offset(token: str | None) -> int:
    return int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def list_users(state: GraphState, request: Request) -> Reply:
    """GET /users with $select, $top, $expand=manager($select=…) and paging."""
    refused = refusal(state, request, "User.Read.All")
    if refused is not None:
        return refused
    expand = _EXPAND.match(request.arg("$expand", "") or "") if request.arg("$expand") else None
    if request.arg("$expand") and expand is None:
        return graph_error(400, "Request_BadRequest", "Only $expand=manager is supported.")
    users, start = tenant_users(state), _offset(request.arg("$skiptoken"))
    size = max(1, min(999, int(request.arg("$top", "100") or 100)))
    fields = select_fields(request.arg("$select"))
    value = [_user_with_manager(state, m, fields, expand) for m in users[start : start + size]]
    context = f"{base_url(request)}/$metadata#users"
    body: dict[str, Any] = {"@odata.context": context, "value": value}
    if start + size < len(users):
        query = {k: v[0] for k, v in request.query.items() if k != "$skiptoken"}
        query["$skiptoken"] = _skiptoken(start + size)
        body["@odata.nextLink"] = f"{base_url(request)}/users?{urlencode(query, safe='$(),=')}"
    return Reply.json(body)


def _user_with_manager(
    state: GraphState, member: Member, fields: list[str] | None, expand: re.Match[str] | None
) -> dict[str, Any]:
    user = project(user_resource(member), fields)
    manager = manager_in_tenant(state, member) if expand else None
    if expand and manager is not None:
        user["manager"] = project(user_resource(manager), select_fields(expand.group("fields")))
    return user


def _target(state: GraphState, request: Request) -> Member | Reply:
    refused = refusal(state, request, "User.Read.All")
    if refused is not None:
        return refused
    key = request.match.group("user") if request.match else ""
    member = state.member(key)
    if member is None or member.provider != "microsoft":
        return graph_error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{key}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    return member


def get_manager(state: GraphState, request: Request) -> Reply:
    """GET /users/{id}/manager: the manager, or 404 Request_ResourceNotFound."""
    member = _target(state, request)
    if isinstance(member, Reply):
        return member
    manager = manager_in_tenant(state, member)
    if manager is None:
        return graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource 'manager' does not exist or one of its queried reference-property "
            "objects are not present.",
        )
    return Reply.json(project(user_resource(manager), select_fields(request.arg("$select"))))


def contact_resource(member: Member) -> dict[str, Any]:
    """A member of another provider as the mail contact a Graph tenant holds."""
    return {
        "@odata.type": "#microsoft.graph.orgContact",
        "id": opaque_id("contact", member.email, prefix=""),
        "displayName": member.name,
        "mail": member.email,
    }


def reports_of(state: GraphState, member: Member) -> list[Member]:
    """The members whose manager is `member` (disabled ones too, as Graph), by email."""
    with state.lock:
        boss = member.email.lower()
        reports = [m for m in state.org.people if (m.manager_email or "").lower() == boss]
    return sorted(reports, key=lambda r: r.email)


def direct_reports(state: GraphState, request: Request) -> Reply:
    """GET /users/{id}/directReports: users, plus mail contacts for reports elsewhere."""
    member = _target(state, request)
    if isinstance(member, Reply):
        return member
    value = [
        project(user_resource(r), None) if r.provider == "microsoft" else contact_resource(r)
        for r in reports_of(state, member)
    ]
    context = f"{base_url(request)}/$metadata#directoryObjects"
    return Reply.json({"@odata.context": context, "value": value})


def directory_routes(state: GraphState) -> list[Route]:
    """Routes of the directory endpoints for `state`'s org."""
    user = _USERS + r"/(?P<user>[^/]+)"
    return [
        ("GET", _USERS, lambda request: list_users(state, request)),
        ("GET", user + "/manager", lambda request: get_manager(state, request)),
        ("GET", user + "/directReports", lambda request: direct_reports(state, request)),
    ]
