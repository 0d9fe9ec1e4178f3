"""The sandbox's Google APIs: OAuth token (and a person's own sign-in, `google_consent`),
Calendar v3 events.list and calendars.get (`google_calendars`), Directory users.list,
and the Reports API's Meet activities (`google_meet`).

`events.list` follows the published semantics:

- Full sync: `timeMin`/`timeMax` bound the window (an event is in when it overlaps
  it), `showDeleted=true` adds cancelled events (stubs, and deleted one-offs with
  their data on the organizer's calendar), paging by `nextPageToken`
  (`maxResults` 250 by default, at most 2500), and the last page carries a
  `nextSyncToken`, also when `timeMin`/`timeMax` were given. The window is not
  remembered: a later incremental sync returns changes anywhere on the calendar.
- Incremental sync (`syncToken`): the copies changed since the token was issued,
  cancelled and deleted ones as stubs whatever `showDeleted` says (see
  `google_sync`). `timeMin`, `timeMax`, `updatedMin`, `orderBy`, `q`, `iCalUID` and
  the extended-property filters cannot be combined with it (400), nor
  `showDeleted=false`. An unknown, forged, foreign or expired token is 410
  `fullSyncRequired`.
- Series are always expanded, as with `singleEvents=true` (see `google_render`).

Mutations of the org (tests, demo) should stamp `updated_at` like the real `updated`
and bump `SandboxOrg.version` (rendered copies are cached per version). A calendar is
read from the org when its listing is computed (`SandboxOrg.calendar`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.sandbox.google_auth import TOKEN_PATH, write_service_account_key
from connectors.sandbox.google_batch import BATCH_PATH, batch
from connectors.sandbox.google_cache import Entry, fresh_entry, json_with_items, serialise
from connectors.sandbox.google_calendars import (
    CALENDAR_PATH,
    CALENDAR_SCOPES,
    calendar_id,
    get_calendar,
    not_yours,
)
from connectors.sandbox.google_client import InstalledClient
from connectors.sandbox.google_directory import list_users
from connectors.sandbox.google_fields import FieldsError, Mask, apply_mask, parse_fields, selects
from connectors.sandbox.google_meet import MeetReports
from connectors.sandbox.google_render import is_on_calendar, rfc3339_utc, variant
from connectors.sandbox.google_state import (
    EPOCH,
    GoogleState,
    OrgIndex,
    copies,
    google_error,
    int_arg,
    page_of,
    time_arg,
    watermark,
)
from connectors.sandbox.google_sync import (
    PRISTINE,
    Digests,
    Listing,
    Pristine,
    Snapshot,
    page_payload,
    vanished_stub,
)
from connectors.sandbox.google_tokens import fingerprint
from connectors.sandbox.model import Instance, SandboxOrg
from connectors.sandbox.server import Reply, Request, Route

__all__ = ["TOKEN_PATH", "GoogleApi", "google_error", "google_routes", "write_service_account_key"]

EVENTS_PATH = r"/calendar/v3/calendars/([^/]+)/events"
USERS_PATH = r"/admin/directory/v1/users"
NOT_WITH_SYNC_TOKEN = (
    "timeMin",
    "timeMax",
    "updatedMin",
    "orderBy",
    "q",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)
_NOT_IN_FINGERPRINT = frozenset({"pageToken", "maxResults", "prettyPrint", "alt"})
Fields = tuple[str, Mask | None]  # the fields text and the mask of each item


def google_routes(
    org: SandboxOrg,
    service_account_public_key_pem: bytes,
    installed_client: InstalledClient | None = None,
) -> list[Route]:
    """Routes serving `org`'s Google members; tokens are checked against the key, and
    people may sign in with `installed_client` (`google_consent`)."""
    return GoogleApi(GoogleState(org, service_account_public_key_pem, installed_client)).routes()


class GoogleApi:
    """The route handlers over one `GoogleState`."""

    def __init__(self, state: GoogleState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """Token endpoint, sign-in consent, events.list, calendars.get, the Calendar
        batch endpoint, users.list and the Reports API's Meet activities."""
        return [
            self.state.issuer.route(),
            *self.state.consent.routes(),
            ("GET", EVENTS_PATH, self.events),
            ("GET", CALENDAR_PATH, lambda request: get_calendar(self.state, request)),
            ("POST", BATCH_PATH, batch),
            ("GET", USERS_PATH, lambda request: list_users(self.state, request)),
            *MeetReports(self.state).routes(),
        ]

    def events(self, request: Request) -> Reply:
        """`GET /calendar/v3/calendars/{calendarId}/events`."""
        grant = self.state.authorise(request, CALENDAR_SCOPES)
        if isinstance(grant, Reply):
            return grant
        assert request.match is not None
        index = self.state.index()
        calendar = calendar_id(request.match.group(1), grant.subject)
        if calendar != grant.subject:
            return not_yours(calendar, index, grant)
        size = int_arg(request, "maxResults", 250, 2500)
        if isinstance(size, Reply):
            return size
        query = fingerprint(request.query, _NOT_IN_FINGERPRINT)
        if request.arg("pageToken") is not None:
            return self._next_page(request, calendar, index, query, size)
        listing = self._listing(request, calendar, index, query)
        if isinstance(listing, Reply):
            return listing
        return self._page(self.state.sync.open(listing), listing, index, 0, size)

    def _listing(
        self, request: Request, calendar: str, index: OrgIndex, query: str
    ) -> Listing | Reply:
        mask = _mask(request)
        if isinstance(mask, Reply):
            return mask
        fields: Fields = (request.arg("fields") or "", _items_mask(mask))
        if request.arg("syncToken") is not None:
            return self._changes(request, calendar, index, query, fields, mask)
        bounds = _window(request)
        if isinstance(bounds, Reply):
            return bounds
        held, entries, snapshot = self._read(calendar, index)
        show_deleted = request.arg("showDeleted") == "true"
        cache = self.state.renders
        items = [
            cache.item(entry, instance, calendar, index.names, fields)
            for instance, entry in zip(held, entries, strict=True)
            if _overlaps(instance, *bounds) and (show_deleted or entry.variant == "live")
        ]
        return Listing(calendar, query, items, snapshot, watermark(held), mask)

    def _read(self, calendar: str, index: OrgIndex) -> tuple[list[Instance], list[Entry], Snapshot]:
        """The calendar's copies, their entries, and the snapshot a sync token keeps."""
        org, cache = self.state.org, self.state.renders
        held = copies(org, calendar)
        entries = [cache.entry(index.version, i, calendar, index.names) for i in held]
        # Read after the copies: untouched now means they were as generated.
        pristine = org.untouched(calendar)
        return held, entries, PRISTINE if pristine else {e.event_id: e.digest for e in entries}

    def _changes(
        self,
        request: Request,
        calendar: str,
        index: OrgIndex,
        query: str,
        fields: Fields,
        mask: Mask | None,
    ) -> Listing | Reply:
        """Copies new or changed since the token's snapshot, then stubs of vanished ones."""
        clash = [name for name in NOT_WITH_SYNC_TOKEN if request.arg(name) is not None]
        if clash or request.arg("showDeleted") == "false":
            what = ", ".join(clash) or "showDeleted=false"
            return google_error(400, "invalid", f"Sync token cannot be used with {what}.")
        token = self.state.codec.decode("sync", request.arg("syncToken") or "")
        before = None
        if token is not None and token.get("calendar") == calendar:
            before = self.state.sync.snapshot(calendar, str(token.get("snapshot")))
        if before is None:
            message = "Sync token is no longer valid, a full sync is required."
            return google_error(410, "fullSyncRequired", message)
        if isinstance(before, Pristine) and self.state.org.untouched(calendar):
            # As generated then and now: nothing changed, nothing to read.
            return Listing(calendar, query, [], PRISTINE, EPOCH, mask)
        held, entries, snapshot = self._read(calendar, index)
        digests = self._pristine(calendar, index) if isinstance(before, Pristine) else before
        names, cache = index.names, self.state.renders
        changed = [
            cache.item(entry, instance, calendar, names, fields)
            for instance, entry in zip(held, entries, strict=True)
            if digests.get(entry.event_id) != entry.digest
        ]
        now = {entry.event_id for entry in entries}
        gone = [serialise(vanished_stub(i), fields[1]) for i in digests if i not in now]
        return Listing(calendar, query, changed + gone, snapshot, watermark(held), mask)

    def _pristine(self, calendar: str, index: OrgIndex) -> Digests:
        """The digests of the calendar as generated (rendered afresh: the cache holds the
        current copies, which may differ)."""
        generated = self.state.org.pristine(calendar) or []
        entries = [
            fresh_entry(i, variant(i, calendar), index.names)
            for i in generated
            if is_on_calendar(i, calendar)
        ]
        return {e.event_id: e.digest for e in entries}

    def _next_page(
        self, request: Request, calendar: str, index: OrgIndex, query: str, size: int
    ) -> Reply:
        token = self.state.codec.decode("page", request.arg("pageToken") or "")
        listing = self.state.sync.listing(str(token.get("listing"))) if token else None
        if (
            token is None
            or listing is None
            or (listing.calendar, listing.query)
            != (
                calendar,
                query,
            )
        ):
            return google_error(400, "invalid", "Invalid page token value.")
        return self._page(str(token["listing"]), listing, index, int(token["offset"]), size)

    def _page(
        self, listing_id: str, listing: Listing, index: OrgIndex, offset: int, size: int
    ) -> Reply:
        page, next_offset = page_of(listing.items, offset, size)
        body = _events_body(listing, index)
        if next_offset is not None:
            payload = page_payload(listing_id, next_offset, listing.query)
            body["nextPageToken"] = self.state.codec.encode("page", payload)
        else:
            snapshot = self.state.sync.close(listing_id)
            token = {"calendar": listing.calendar, "snapshot": snapshot}
            body["nextSyncToken"] = self.state.codec.encode("sync", token)
        items = page if selects(listing.mask, "items") else None
        return json_with_items(apply_mask(body, listing.mask), items)


def _window(request: Request) -> tuple[datetime | None, datetime | None] | Reply:
    start, end = _bound(request, "timeMin"), _bound(request, "timeMax")
    if isinstance(start, Reply):
        return start
    if isinstance(end, Reply):
        return end
    return start, end


def _bound(request: Request, name: str) -> datetime | Reply | None:
    invalid = google_error(400, "badRequest", f"Bad Request: {name} must be RFC3339")
    return time_arg(request, name, invalid)


def _overlaps(instance: Instance, start: datetime | None, end: datetime | None) -> bool:
    after_start = start is None or instance.end > start
    return after_start and (end is None or instance.start < end)


def _mask(request: Request) -> Mask | Reply | None:
    """The request's fields mask (None: everything), or the 400 of a malformed one."""
    raw = request.arg("fields")
    if not raw:
        return None
    try:
        return parse_fields(raw)
    except FieldsError:
        return google_error(400, "invalidParameter", f"Invalid field selection {raw}")


def _items_mask(mask: Mask | None) -> Mask | None:
    if mask is None or "*" in mask:
        return None
    return mask.get("items")


def _events_body(listing: Listing, index: OrgIndex) -> dict[str, Any]:
    member = index.members[listing.calendar]
    return {
        "kind": "calendar#events",
        "etag": f'"{int(listing.updated.timestamp() * 1000)}000"',
        "summary": listing.calendar,
        "description": "",
        "updated": rfc3339_utc(listing.updated),
        "timeZone": member.timezone,
        "accessRole": "owner",
        "defaultReminders": [],
    }
