"""How one calendar's sync reacts to each fault the sandbox can serve on demand."""

from __future__ import annotations

import pytest
from google_org import BOSS, GoogleWorld

from connectors.google.calendar import GoogleCalendarSource
from connectors.sandbox.google_api import google_error
from connectors.sandbox.server import Fault, Reply
from connectors.settings import SyncWindow
from core.errors import AuthError, CursorExpiredError, FatalSourceError, RetriableError

EVENTS = r"/calendar/v3/calendars/"
EVENTS_READ = 23  # what a full sync of BOSS's calendar reads


def source(world: GoogleWorld, page_size: int = 250, attempts: int = 4) -> GoogleCalendarSource:
    return GoogleCalendarSource(
        world.settings,
        world.http,
        frozenset({BOSS}),
        world.window,
        world.retry(attempts),
        page_size,
    )


def tokens(world: GoogleWorld) -> int:
    return sum(1 for _, path in world.server.requests if path == "/google/token")


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(google_error(429, "rateLimitExceeded", "slow down"), id="429-no-retry-after"),
        pytest.param(google_error(403, "rateLimitExceeded", "slow down"), id="403-rate-limit"),
        pytest.param(google_error(403, "userRateLimitExceeded", "slow"), id="403-user-rate-limit"),
        pytest.param(google_error(500, "backendError", "oops"), id="500"),
        pytest.param(google_error(503, "backendError", "busy"), id="503"),
        pytest.param(Reply(200, b'{"items": [{"id"', {}), id="malformed-json"),
        pytest.param(Reply(200, b"[1, 2]", {}), id="json-not-an-object"),
        pytest.param(Reply(drop=True), id="connection-dropped"),
        pytest.param(Reply(200, b'{"items": []}' * 100, {}, cut_after=300), id="cut-mid-body"),
    ],
)
def test_transient_fault_is_retried_with_backoff_and_the_sync_completes(
    world: GoogleWorld, reply: Reply
) -> None:
    world.server.add_fault(Fault(EVENTS, reply, times=2))
    batch = source(world, page_size=5).sync_calendar(BOSS, None)
    assert batch.events_read == EVENTS_READ and batch.cursor
    assert 1 <= len(world.sleeps) <= 2
    assert all(0 <= s <= 1.0 for s in world.sleeps)  # jitter under the backoff ceiling


def test_retry_after_is_honoured_fractional_too(world: GoogleWorld) -> None:
    throttle = google_error(429, "rateLimitExceeded", "slow", **{"Retry-After": "0.25"})
    world.server.add_fault(Fault(EVENTS, throttle))
    source(world).sync_calendar(BOSS, None)
    assert world.sleeps == [0.25]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (403, "quotaExceeded"),
        (403, "forbiddenForServiceAccounts"),
        (404, "notFound"),
        (400, "badRequest"),
    ],
)
def test_fault_that_retrying_cannot_fix_is_fatal_at_once(
    world: GoogleWorld, status: int, reason: str
) -> None:
    world.server.add_fault(Fault(EVENTS, google_error(status, reason, reason)))
    with pytest.raises(FatalSourceError, match=reason) as raised:
        source(world).sync_calendar(BOSS, None)
    assert not isinstance(raised.value, RetriableError | CursorExpiredError)
    assert world.sleeps == []


@pytest.mark.parametrize("reason", ["fullSyncRequired", "updatedMinTooLongAgo"])
def test_gone_is_cursor_expired(world: GoogleWorld, reason: str) -> None:
    reader = source(world)
    cursor = reader.sync_calendar(BOSS, None).cursor
    world.server.add_fault(Fault(EVENTS, google_error(410, reason, "gone")))
    with pytest.raises(CursorExpiredError):
        reader.sync_calendar(BOSS, cursor)
    assert world.sleeps == []


def test_401_refreshes_the_token_once_and_carries_on(world: GoogleWorld) -> None:
    world.server.add_fault(Fault(EVENTS, google_error(401, "authError", "Invalid Credentials")))
    batch = source(world).sync_calendar(BOSS, None)
    assert batch.events_read == EVENTS_READ and tokens(world) == 2


def test_401_after_the_refresh_is_an_auth_error(world: GoogleWorld) -> None:
    refused = google_error(401, "authError", "Invalid Credentials")
    world.server.add_fault(Fault(EVENTS, refused, times=3))
    with pytest.raises(AuthError, match=BOSS):
        source(world).sync_calendar(BOSS, None)
    assert tokens(world) == 2 and world.sleeps == []


def test_token_is_reused_across_syncs_of_the_same_calendar(world: GoogleWorld) -> None:
    reader = source(world)
    cursor = reader.sync_calendar(BOSS, None).cursor
    reader.sync_calendar(BOSS, cursor)
    assert tokens(world) == 1


def test_repeated_page_token_is_an_error_not_a_loop(world: GoogleWorld) -> None:
    looping = Reply.json({"items": [], "nextPageToken": "again"})
    world.server.add_fault(Fault(EVENTS, looping, times=5))
    with pytest.raises(FatalSourceError, match="repeated a page token"):
        source(world).sync_calendar(BOSS, None)


def test_short_and_empty_pages_are_read_until_the_last(world: GoogleWorld) -> None:
    # The window holds nothing before February: a page size of 1 gives short pages,
    # and an empty window an empty last page that still carries the sync token.
    empty = SyncWindow(world.window.start.replace(year=2020), world.window.start.replace(year=2021))
    reader = GoogleCalendarSource(world.settings, world.http, frozenset({BOSS}), empty)
    batch = reader.sync_calendar(BOSS, None)
    assert batch.events_read == 0 and batch.cursor and batch.requests == 1
