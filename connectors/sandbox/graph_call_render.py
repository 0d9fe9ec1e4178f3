"""The sandbox's planned calls (connectors/sandbox/calls.py) as Graph `callRecord`s.

Rendered as Graph v1.0 shapes them (namespace `microsoft.graph.callRecords`):
- a scheduled online 1:1 is a `groupCall` whose `joinWebUrl` is the event's
  `onlineMeeting.joinUrl`, with one session per participant: the participant's endpoint
  calls the conferencing service, from when they joined to when they left. Some people
  drop out and rejoin a minute later (`RECONNECT_SHARE`): two sessions, the first join
  and the last leave still the plan's;
- an unscheduled call is a `peerToPeer` record without `joinWebUrl`, one session from
  the caller (the manager) to the callee (the report) for the whole call: a Graph
  peer-to-peer session has one start and one end for both sides.
A participant endpoint's `associatedIdentity` names a user of this tenant by directory
id, display name and tenant id only; a person from elsewhere (a Google Workspace
colleague, a guest) carries their own tenant's id and their address as
`userPrincipalName`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from connectors.sandbox.calls import PlannedCall, PlannedPresence, join_url
from connectors.sandbox.graph_common import user_id
from connectors.sandbox.graph_render import instant
from connectors.sandbox.model import Member

RECONNECT_SHARE = 0.1  # of presences in scheduled calls: dropped once, back a minute later
RECONNECT_GAP = timedelta(minutes=1)
EXTERNAL_TENANT = "0e2f6a3c-5b1d-4e8f-9a7b-e5c3d1f0a2b4"  # the tenant of everyone else
_EXTERNAL_IDS = uuid.UUID("2b9e1c7a-4d3f-4a8e-b6c5-1f0e9d8c7b6a")
_TYPES = "#microsoft.graph.callRecords."


def record_id(call_id: str) -> str:
    """The record's GUID for a planned call id (its first 24 hex digits are the call id)."""
    return str(uuid.UUID(hex=call_id[:24].ljust(32, "0")))


def _fraction(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def identity(email: str, members: Mapping[str, Member], tenant_id: str) -> dict[str, Any]:
    """The `associatedIdentity` of `email`'s endpoint."""
    member = members.get(email.lower())
    name = member.name if member else email.split("@")[0]
    if member is not None and member.provider == "microsoft":
        return {"id": user_id(email), "displayName": name, "tenantId": tenant_id}
    return {
        "id": str(uuid.uuid5(_EXTERNAL_IDS, email.lower())),
        "displayName": name,
        "tenantId": EXTERNAL_TENANT,
        "userPrincipalName": email,
    }


def _person(who: dict[str, Any]) -> dict[str, Any]:
    return {
        "@odata.type": _TYPES + "participantEndpoint",
        "userAgent": {
            "@odata.type": _TYPES + "clientUserAgent",
            "headerValue": "Teams/24295.605.3225.8804",
            "platform": "windows",
            "productFamily": "teams",
        },
        "associatedIdentity": who,
    }


_SERVICE = {
    "@odata.type": _TYPES + "serviceEndpoint",
    "userAgent": {"@odata.type": _TYPES + "serviceUserAgent", "role": "conferencing"},
}


def _session(
    key: str, start: datetime, end: datetime, caller: dict[str, Any], callee: dict[str, Any]
) -> dict[str, Any]:
    sid = str(uuid.uuid5(_EXTERNAL_IDS, key))
    times = {"startDateTime": instant(start), "endDateTime": instant(end)}
    segment = {"id": sid, **times, "caller": caller, "callee": callee, "media": []}
    return {
        "id": sid,
        "modalities": ["audio", "video"],
        **times,
        "isTest": False,
        "caller": caller,
        "callee": callee,
        "segments": [segment],
    }


def _spans(call_id: str, presence: PlannedPresence) -> list[tuple[datetime, datetime]]:
    """The presence's session times: one, or two around a reconnection."""
    joined, left = presence.joined_at, presence.left_at
    if _fraction("reconnect", call_id, presence.email) >= RECONNECT_SHARE:
        return [(joined, left)]
    if left - joined <= 4 * RECONNECT_GAP:
        return [(joined, left)]
    drop = joined + (left - joined) / 2
    return [(joined, drop), (drop + RECONNECT_GAP, left)]


def sessions(call: PlannedCall, members: Mapping[str, Member], tenant_id: str) -> list[Any]:
    """Every session of the call, in the order Graph lists them (by start)."""
    if call.code is None:
        caller, callee = (identity(p.email, members, tenant_id) for p in call.presences[:2])
        return [_session(call.call_id, call.start, call.end, _person(caller), _person(callee))]
    found = []
    for presence in call.presences:
        who = _person(identity(presence.email, members, tenant_id))
        for n, (start, end) in enumerate(_spans(call.call_id, presence)):
            key = f"{call.call_id}|{presence.email}|{n}"
            found.append(_session(key, start, end, who, _SERVICE))
    found.sort(key=lambda session: (session["startDateTime"], session["id"]))
    return found


def record(call: PlannedCall, members: Mapping[str, Member], tenant_id: str) -> dict[str, Any]:
    """The call's `callRecord` without its relationships (what the list serves)."""
    organizer = identity(call.presences[0].email, members, tenant_id)
    return {
        "id": record_id(call.call_id),
        "version": 1,
        "type": "peerToPeer" if call.code is None else "groupCall",
        "modalities": ["audio", "video"],
        "lastModifiedDateTime": instant(call.end + timedelta(minutes=7)),
        "startDateTime": instant(call.start),
        "endDateTime": instant(call.end),
        "joinWebUrl": None if call.code is None else join_url(call.code),
        "organizer_v2": {"id": organizer["id"], "identity": {"user": organizer}},
    }
