"""Admin SDK Directory `users.list` over the org's Google members.

Every Google member is listed (suspended ones with `suspended: true`), sorted by
email, 100 per page by default and at most 500. A manager is a `relations` entry of
type `manager`. `customer` (e.g. `my_customer`) or `domain` is required.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from connectors.sandbox.google_render import rfc3339_utc
from connectors.sandbox.google_state import GoogleState, google_error, int_arg, page_of
from connectors.sandbox.model import Member
from connectors.sandbox.server import Reply, Request

DIRECTORY_SCOPES = {"admin.directory.user.readonly", "admin.directory.user"}


def list_users(state: GoogleState, request: Request) -> Reply:
    """`GET /admin/directory/v1/users`."""
    grant = state.authorise(request, DIRECTORY_SCOPES)
    if isinstance(grant, Reply):
        return grant
    if request.arg("customer") is None and request.arg("domain") is None:
        return google_error(400, "badRequest", "Bad Request: customer or domain is required")
    size = int_arg(request, "maxResults", 100, 500)
    if isinstance(size, Reply):
        return size
    offset = 0
    if (raw := request.arg("pageToken")) is not None:
        token = state.codec.decode("users", raw)
        if token is None:
            return google_error(400, "invalid", "Invalid page token value.")
        offset = int(token["offset"])
    members = sorted(state.index().members.values(), key=lambda m: m.email)
    page, next_offset = page_of(members, offset, size)
    body: dict[str, Any] = {
        "kind": "admin#directory#users",
        "etag": f'"{state.org.version}"',
        "users": [directory_user(m) for m in page],
    }
    if next_offset is not None:
        body["nextPageToken"] = state.codec.encode("users", {"offset": next_offset})
    return Reply.json(body)


def directory_user(member: Member) -> dict[str, Any]:
    """A Directory `User` resource for a member."""
    given, _, family = member.name.partition(" ")
    user: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": str(int(hashlib.sha1(member.email.encode()).hexdigest()[:15], 16)),
        "primaryEmail": member.email,
        "name": {"givenName": given, "familyName": family, "fullName": member.name},
        "isAdmin": False,
        "suspended": not member.active,
        "orgUnitPath": "/",
        "creationTime": rfc3339_utc(
            datetime(member.hired_on.year, member.hired_on.month, member.hired_on.day, tzinfo=UTC)
        ),
    }
    if member.title:
        user["organizations"] = [{"title": member.title, "primary": True, "customType": ""}]
    if member.manager_email:
        user["relations"] = [{"value": member.manager_email, "type": "manager"}]
    return user
