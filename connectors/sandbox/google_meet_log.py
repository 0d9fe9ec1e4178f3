"""The Meet audit log the sandbox serves: one `call_ended` activity per participant endpoint.

Built from the one call plan (`calls.py`) for the calls Google serves: those of held
online instances organised by a Google member (`instance_call`) and the ad-hoc calls
of Google reporting lines (`adhoc_calls`, from the org's first day of history). Both
carry a meeting code, written as the audit log writes it ("ABCDEFGHIJ"): an instance
its event's Meet code, an ad-hoc call one of its own (so it matches no event); only
scheduled calls carry `calendar_event_id`. `PHONE_SHARE` of calls also have a dial-in
endpoint (`identifier_type` `phone_number`), which a connector must drop, and
`LATE_SHARE` of the people's endpoints are marked late (`is_late`): the route holds
them back on demand. Pure functions of the org.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from connectors.sandbox.calls import PlannedCall, adhoc_calls, instance_call, meet_code
from connectors.sandbox.google_fields import apply_mask, parse_fields
from connectors.sandbox.google_render import event_id, rfc3339_utc
from connectors.sandbox.model import SandboxOrg

CUSTOMER_ID = "C03sandbox"
LATE_SHARE = 0.1  # of participant endpoints: published late
PHONE_SHARE = 0.05  # of calls: someone also dialled in by phone


def _fraction(*parts: str) -> float:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_late(call_id: str, email: str) -> bool:
    """Whether this endpoint's activity is in the share that reaches the API late."""
    return _fraction("late", call_id, email) < LATE_SHARE


@dataclass(frozen=True)
class Activity:
    """One served activity: its sort key, who it is about, and its resource."""

    time: datetime  # id.time: when the endpoint left
    qualifier: int  # id.uniqueQualifier
    identifier: str
    late: bool
    body: dict[str, Any]
    masked: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, int]:
        return rfc3339_utc(self.time), self.qualifier

    def serialised(self, fields: str) -> bytes:
        """The resource as JSON under the `fields` text's items mask (kept per text)."""
        found = self.masked.get(fields)
        if found is None:
            mask = parse_fields(fields).get("items") if fields else None
            found = self.masked[fields] = orjson.dumps(apply_mask(self.body, mask))
        return found


def google_calls(org: SandboxOrg) -> list[tuple[PlannedCall, str | None]]:
    """Every call Google serves, with its calendar event id (None: ad-hoc)."""
    found: list[tuple[PlannedCall, str | None]] = []
    for member in org.people:
        if member.provider != "google":
            continue
        for instance in org.calendar(member.email):
            if instance.organizer != member.email:
                continue
            call = instance_call(instance, "google", org.anchor)
            if call is not None:
                found.append((call, event_id(instance)))
    adhoc = adhoc_calls(org.people, org.history_start, org.anchor)
    found += [(call, None) for call in adhoc if call.provider == "google"]
    return found


def call_meet_code(call: PlannedCall) -> str:
    """The call's Meet code as the audit log writes it ("ABCDEFGHIJ"): its meeting's
    code, or an ad-hoc call's own."""
    code = call.code or hashlib.sha256(f"adhoc-meeting|{call.call_id}".encode()).hexdigest()
    return meet_code(code).replace("-", "").upper()


def _parameters(pairs: list[tuple[str, str | int | bool]]) -> list[dict[str, Any]]:
    """Reports API parameters: strings as `value`, ints as `intValue`, bools as `boolValue`."""
    out: list[dict[str, Any]] = []
    for name, value in pairs:
        if isinstance(value, bool):
            out.append({"name": name, "boolValue": value})
        elif isinstance(value, int):
            out.append({"name": name, "intValue": str(value)})
        else:
            out.append({"name": name, "value": value})
    return out


def _activity(
    call: PlannedCall,
    calendar_event_id: str | None,
    endpoint: tuple[str, str, datetime, datetime],
    names: dict[str, str],
) -> Activity:
    """The `call_ended` activity of one endpoint: (identifier, its type, joined, left)."""
    identifier, kind, joined_at, left_at = endpoint
    salt = f"{call.call_id}|{identifier}|{joined_at.isoformat()}"
    digest = hashlib.sha256(salt.encode()).digest()
    qualifier = int.from_bytes(digest[:8], "big") >> 1
    organizer = call.presences[0].email
    pairs: list[tuple[str, str | int | bool]] = [
        ("identifier", identifier),
        ("identifier_type", kind),
        ("duration_seconds", int((left_at - joined_at).total_seconds())),
        ("meeting_code", call_meet_code(call)),
        ("conference_id", call.call_id),
        ("organizer_email", organizer),
        ("device_type", "web" if kind == "email_address" else "pstn_in"),
        ("display_name", names.get(identifier, identifier)),
        ("endpoint_id", f"meet_{digest[8:16].hex()}"),
        ("is_external", False),
    ]
    if calendar_event_id is not None:
        pairs.insert(5, ("calendar_event_id", calendar_event_id))
    actor: dict[str, Any] = {"callerType": "USER"}
    if kind == "email_address":
        actor["email"] = identifier
    body = {
        "kind": "admin#reports#activity",
        "id": {
            "time": rfc3339_utc(left_at),
            "uniqueQualifier": str(qualifier),
            "applicationName": "meet",
            "customerId": CUSTOMER_ID,
        },
        "etag": f'"{digest[16:24].hex()}"',
        "actor": actor,
        "events": [{"type": "call", "name": "call_ended", "parameters": _parameters(pairs)}],
    }
    late = kind == "email_address" and is_late(call.call_id, identifier)
    return Activity(left_at, qualifier, identifier, late, body)


def _phone_number(call: PlannedCall) -> str:
    digits = int(hashlib.sha256(f"phone|{call.call_id}".encode()).hexdigest()[:4], 16) % 100
    return f"+1 555-01{digits:02d}"


def activities_of(org: SandboxOrg, names: dict[str, str]) -> list[Activity]:
    """Every activity of the org's Google calls, newest first (late ones included)."""
    found: list[Activity] = []
    for call, calendar_event_id in google_calls(org):
        endpoints = [(p.email, "email_address", p.joined_at, p.left_at) for p in call.presences]
        if _fraction("phone", call.call_id) < PHONE_SHARE:
            endpoints.append((_phone_number(call), "phone_number", call.start, call.end))
        found += [_activity(call, calendar_event_id, e, names) for e in endpoints]
    found.sort(key=lambda a: a.key, reverse=True)
    return found
