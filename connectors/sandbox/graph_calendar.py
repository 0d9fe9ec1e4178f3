"""Graph `calendarView` and `calendarView/delta` over the sandbox org.

Pages are cut when a request arrives and held server-side under a `$skiptoken`. A
delta round ends with a `$deltatoken` that remembers what the mailbox looked like;
replaying it diffs the org as it is now against that snapshot: new or changed copies
in full, vanished ones as `@removed`. An unknown token answers 410 `syncStateNotFound`.
A mailbox still exactly as generated is remembered without fingerprints and, if
touched since, regenerated as it was to diff against. `/me/calendarView…` serves a
delegated token's own mailbox exactly as `/users/{id}/calendarView…` (graph_me.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.sandbox.graph_cache import Piece, piece_of
from connectors.sandbox.graph_common import (
    GRAPH_PREFIX,
    GraphState,
    base_url,
    encode_json,
    graph_error,
    opaque_id,
    prefer_page_size,
    prefer_timezone,
    refusal,
    unauthorised,
)
from connectors.sandbox.graph_me import ME, delegated_mailbox, me_only
from connectors.sandbox.graph_render import visible_copies, zone_known
from connectors.sandbox.graph_views import OrgStamp, fingerprint
from connectors.sandbox.model import Instance
from connectors.sandbox.server import Reply, Request, Route

DEFAULT_PAGE = 10  # Graph's default for calendarView when no maxpagesize is preferred
MAX_PAGE = 1000
_USER = GRAPH_PREFIX.replace(".", r"\.") + r"/users/(?P<user>[^/]+)"


@dataclass
class Pending:
    """The rest of a round being paged: entries not sent yet, and how to end it."""

    entries: list[Piece]  # each a serialised event (or `@removed` entry)
    link: str  # URL the next/delta links are built on
    delta: DeltaState | None  # the snapshot the round's deltaLink will carry


@dataclass
class DeltaState:
    """What a deltaLink remembers: the mailbox's copies (by instance uid) when issued."""

    mailbox: str
    window: tuple[datetime, datetime]
    stamp: OrgStamp
    snapshot: dict[str, tuple[Any, ...]] | None  # uid -> fingerprint; None: as generated


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _window(request: Request) -> tuple[datetime, datetime] | None:
    start, end = _instant(request.arg("startDateTime")), _instant(request.arg("endDateTime"))
    return (start, end) if start and end and start < end else None


def _mailbox(state: GraphState, key: str) -> str | Reply:
    member = state.member(key)
    if member is None:
        return graph_error(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
    if member.provider != "microsoft":
        return graph_error(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    return member.email.lower()


def _shown(state: GraphState, mailbox: str, window: tuple[datetime, datetime]) -> list[Instance]:
    """The mailbox's copies in `window` (the caller holds the state's lock)."""
    return visible_copies(state.index.candidates(state.org, mailbox), mailbox, window)


def _page(state: GraphState, request: Request, pending: Pending) -> Reply:
    size = prefer_page_size(request, DEFAULT_PAGE, MAX_PAGE)
    sent, rest = pending.entries[:size], pending.entries[size:]
    links: dict[str, str] = {}
    if rest:
        token = state.new_token(Pending(rest, pending.link, pending.delta), "skip")
        links["@odata.nextLink"] = f"{pending.link}?$skiptoken={token}"
    elif pending.delta is not None:
        token = state.new_token(pending.delta, "deltas")
        links["@odata.deltaLink"] = f"{pending.link}?$deltatoken={token}"
    context = {"@odata.context": f"{base_url(request)}/$metadata#events"}
    return Reply(
        200,
        _page_body(context, sent, links),
        {
            "Content-Type": "application/json; charset=utf-8",
            "Preference-Applied": f"odata.maxpagesize={size}",
        },
    )


def _page_body(context: dict[str, str], events: list[Piece], links: dict[str, str]) -> bytes:
    """`{context…, "value": [events…], links…}` from events already serialised."""
    # Joining serialised pieces once saves re-encoding (or copying) each event per page.
    parts = [encode_json(context)[:-1] + b',"value":[']
    for head, rest in events:
        parts += (head, rest, b",")
    if events:
        parts.pop()
    parts.append(b"]" + (b"," + encode_json(links)[1:] if links else b"}"))
    return b"".join(parts)


def _sync_state_gone() -> Reply:
    return graph_error(410, "syncStateNotFound", "The sync state could not be found.")


def _continue(state: GraphState, request: Request) -> Reply | None:
    """The next page of a round in progress, when the request carries a $skiptoken."""
    token = request.arg("$skiptoken")
    if token is None:
        return None
    with state.lock:
        pending = state.skip.pop(token, None)
    return _sync_state_gone() if pending is None else _page(state, request, pending)


def _guard(state: GraphState, request: Request) -> str | Reply:
    """The mailbox the request is about, or the error reply that ends it."""
    found = request.match.groupdict() if request.match else {}
    key = found.get("user")  # None: /me
    if not state.authorised(request):
        return unauthorised()
    delegation = state.delegation(request)
    if delegation is not None:
        return delegated_mailbox(state, delegation, key)
    if key is None:
        return me_only()
    return refusal(state, request, "Calendars.Read") or _mailbox(state, key)


def calendar_view(state: GraphState, request: Request) -> Reply:
    """GET /users/{id}/calendarView: the mailbox's copies overlapping the window."""
    mailbox = _guard(state, request)
    if isinstance(mailbox, Reply):
        return mailbox
    return _continue(state, request) or _first_page(state, request, mailbox, delta=False)


def calendar_delta(state: GraphState, request: Request) -> Reply:
    """GET /users/{id}/calendarView/delta: a new round, its next page, or a replay."""
    mailbox = _guard(state, request)
    if isinstance(mailbox, Reply):
        return mailbox
    token = request.arg("$deltatoken")
    if token is not None:
        return _replay(state, request, mailbox, token)
    return _continue(state, request) or _first_page(state, request, mailbox, delta=True)


def _link(request: Request) -> str:
    return base_url(request) + request.path.removeprefix(GRAPH_PREFIX)


def _first_page(state: GraphState, request: Request, mailbox: str, delta: bool) -> Reply:
    window = _window(request)
    if window is None:
        return graph_error(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    zone = prefer_timezone(request)
    if not zone_known(zone):
        return graph_error(400, "ErrorTimeZoneNotSupported", f"Time zone '{zone}' not found.")
    with state.lock:  # one consistent reading of the org for the page and the snapshot
        shown = _shown(state, mailbox, window)
        stamp = OrgStamp.of(state.org)
        events = _rendered(state, stamp, shown, mailbox, zone)
        prints = _snapshot(state, stamp, shown, mailbox) if delta else None
    snapshot = DeltaState(mailbox, window, stamp, prints) if delta else None
    return _page(state, request, Pending(events, _link(request), snapshot))


def _rendered(
    state: GraphState, stamp: OrgStamp, shown: list[Instance], mailbox: str, zone: str
) -> list[Piece]:
    """`mailbox`'s copies of `shown`, serialised (the caller holds the state's lock)."""
    members, copy = state.members(), state.renders.copy
    return [copy(stamp, instance, mailbox, members, zone) for instance in shown]


def _fingerprints(
    state: GraphState, stamp: OrgStamp, shown: list[Instance]
) -> dict[str, tuple[Any, ...]]:
    """Fingerprints of a mailbox's copies by instance uid (the caller holds the lock)."""
    return {instance.uid: state.renders.fingerprint(stamp, instance) for instance in shown}


def _snapshot(
    state: GraphState, stamp: OrgStamp, shown: list[Instance], mailbox: str
) -> dict[str, tuple[Any, ...]] | None:
    """What a deltaLink keeps of the copies just read: None when still as generated."""
    # Asked after reading: untouched now means the copies read were as generated.
    return None if state.org.untouched(mailbox) else _fingerprints(state, stamp, shown)


def _replay(state: GraphState, request: Request, mailbox: str, token: str) -> Reply:
    with state.lock:
        previous = state.deltas.get(token)
        if previous is None or previous.mailbox != mailbox:
            return _sync_state_gone()
        stamp = OrgStamp.of(state.org)
        if previous.stamp == stamp or (previous.snapshot is None and state.org.untouched(mailbox)):
            # Nothing changed on this mailbox since the token was issued.
            following = DeltaState(mailbox, previous.window, stamp, previous.snapshot)
            return _page(state, request, Pending([], _link(request), following))
        entries, following = _changes(state, previous, prefer_timezone(request))
    return _page(state, request, Pending(entries, _link(request), following))


def _changes(state: GraphState, previous: DeltaState, zone: str) -> tuple[list[Piece], DeltaState]:
    """Changed copies rendered in full and vanished ones as `@removed`, and the new state."""
    mailbox, stamp = previous.mailbox, OrgStamp.of(state.org)
    before = previous.snapshot
    if before is None:  # as generated then: regenerate it as it was
        generated = visible_copies(state.org.pristine(mailbox) or [], mailbox, previous.window)
        before = {instance.uid: fingerprint(instance) for instance in generated}
    shown = _shown(state, mailbox, previous.window)
    now = _fingerprints(state, stamp, shown)
    moved = [i for i in shown if before.get(i.uid) != now[i.uid]]
    changed = _rendered(state, stamp, moved, mailbox, zone)
    removed = [_removed(opaque_id(mailbox, uid)) for uid in before if uid not in now]
    return changed + removed, DeltaState(mailbox, previous.window, stamp, now)


def _removed(event_id: str) -> Piece:
    entry = {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }
    return piece_of(entry)


def calendar_routes(state: GraphState) -> list[Route]:
    """Routes of calendarView and its delta for `state`'s org."""
    return [
        (method, owner + path, handler)
        for owner in (_USER, ME)  # /me: the signed-in person's own, same rendering
        for method, path, handler in (
            ("GET", "/calendarView", lambda request: calendar_view(state, request)),
            ("GET", "/calendarView/delta", lambda request: calendar_delta(state, request)),
        )
    ]


def expire_deltas(state: GraphState) -> None:
    """Forget every delta and skip token: the next replay answers 410 (tests, demo)."""
    with state.lock:
        state.deltas.clear()
        state.skip.clear()
