"""How a Google listing ends, alone and inside a batch: the page-token paginator's
guards, token refreshes that fail mid-batch, and Retry-After given as an HTTP date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from google_org import BOSS, MIA, GoogleWorld, roster

from connectors.google.calendar import GoogleCalendarSource
from connectors.model import CalendarBatch
from connectors.sandbox.google_api import google_error
from connectors.sandbox.google_auth import TOKEN_PATH, oauth_error
from connectors.sandbox.server import Fault, Reply
from core.errors import AuthError, FatalSourceError

EVENTS = r"/calendar/v3/calendars/"


def source(world: GoogleWorld, attempts: int = 4) -> GoogleCalendarSource:
    return GoogleCalendarSource(
        world.settings, world.http, roster(), world.window, world.retry(attempts), 250
    )


def calendar_path(email: str) -> str:
    return "/calendars/" + email.replace("@", "%40") + "/"


def round_of(reader: GoogleCalendarSource, *emails: str) -> list[tuple[str, str | None]]:
    return [(email, reader.sync_calendar(email, None).cursor) for email in emails]


def tokens(world: GoogleWorld) -> int:
    return sum(1 for _, path in world.server.requests if path == TOKEN_PATH)


def test_listing_that_ends_without_a_sync_token_is_fatal(world: GoogleWorld) -> None:
    world.server.add_fault(Fault(EVENTS, Reply.json({"items": []})))
    with pytest.raises(FatalSourceError, match="no nextSyncToken") as raised:
        source(world).sync_calendar(BOSS, None)
    assert BOSS in str(raised.value) and world.sleeps == []


def test_batched_listing_without_a_sync_token_fails_only_that_calendar(
    world: GoogleWorld,
) -> None:
    reader = source(world)
    round_ = round_of(reader, BOSS, MIA)
    world.server.add_fault(Fault(calendar_path(MIA), Reply.json({"items": []})))
    boss, mia = reader.sync_many(round_)
    assert isinstance(mia, FatalSourceError) and "no nextSyncToken" in str(mia)
    assert isinstance(boss, CalendarBatch) and world.sleeps == []


def test_repeated_page_token_in_a_batch_fails_only_that_calendar(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = round_of(reader, BOSS, MIA)
    looping = Reply.json({"items": [], "nextPageToken": "again"})
    world.server.add_fault(Fault(calendar_path(MIA), looping, times=5))
    boss, mia = reader.sync_many(round_)
    assert isinstance(mia, FatalSourceError) and "repeated a page token" in str(mia)
    assert isinstance(boss, CalendarBatch) and reader.batch_requests == 2


def test_token_refresh_refused_inside_a_batch_fails_only_that_calendar(
    world: GoogleWorld,
) -> None:
    # Mia's token is revoked (401 twice) and the token endpoint refuses to mint her
    # another one; Boss's cached token is still good.
    reader = source(world)
    round_ = round_of(reader, BOSS, MIA)
    revoked = google_error(401, "authError", "Invalid Credentials")
    world.server.add_fault(Fault(calendar_path(MIA), revoked, times=2))
    refused = oauth_error("invalid_grant", "Invalid email or User ID")
    world.server.add_fault(Fault(TOKEN_PATH, refused))
    before = tokens(world)
    boss, mia = reader.sync_many(round_)
    assert isinstance(mia, AuthError) and MIA in str(mia) and "invalid_grant" in str(mia)
    assert isinstance(boss, CalendarBatch) and boss.calendar_email == BOSS
    assert tokens(world) == before + 1 and world.sleeps == []


def http_date(seconds_from_now: float) -> str:
    """A Retry-After value in the HTTP-date form (RFC 9110), whole seconds."""
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


def test_retry_after_as_an_http_date_is_honoured(world: GoogleWorld) -> None:
    later = google_error(429, "rateLimitExceeded", "slow", **{"Retry-After": http_date(30)})
    world.server.add_fault(Fault(EVENTS, later))
    source(world).sync_calendar(BOSS, None)
    [wait] = world.sleeps
    assert 28.0 <= wait <= 30.0


def test_retry_after_as_a_past_http_date_retries_at_once_in_a_batch(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = round_of(reader, BOSS, MIA)
    past = google_error(503, "backendError", "busy", **{"Retry-After": http_date(-120)})
    world.server.add_fault(Fault(calendar_path(BOSS), past))
    boss, mia = reader.sync_many(round_)
    assert isinstance(boss, CalendarBatch) and isinstance(mia, CalendarBatch)
    assert world.sleeps == [0.0] and boss.requests == 2
