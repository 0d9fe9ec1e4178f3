"""GoogleCalendarSource.sync_many: incremental rounds through Calendar batch requests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from google_org import BOSS, MIA, RAJ, GoogleWorld, find, roster

from connectors.google.calendar import GoogleCalendarSource
from connectors.model import CalendarBatch
from connectors.sandbox.app import start_sandbox
from connectors.sandbox.google_api import google_error
from connectors.sandbox.google_render import event_id
from connectors.sandbox.server import Fault, Reply
from connectors.settings import SyncWindow
from core.errors import AuthError, FatalSourceError, RetriableError

BATCH = "/batch/calendar/v3"


def source(world: GoogleWorld, page_size: int = 250, attempts: int = 4) -> GoogleCalendarSource:
    return GoogleCalendarSource(
        world.settings, world.http, roster(), world.window, world.retry(attempts), page_size
    )


def cursors(reader: GoogleCalendarSource, *emails: str) -> list[tuple[str, str | None]]:
    return [(email, reader.sync_calendar(email, None).cursor) for email in emails]


def wire(world: GoogleWorld, suffix: str) -> int:
    return sum(1 for _, path in world.server.requests if path.endswith(suffix))


def calendar_path(email: str) -> str:
    return "/calendars/" + email.replace("@", "%40") + "/"


def batches(results: list[CalendarBatch | Exception]) -> list[CalendarBatch]:
    assert all(isinstance(r, CalendarBatch) for r in results), results
    return [r for r in results if isinstance(r, CalendarBatch)]


def test_round_over_several_calendars_is_one_batch_request(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA, RAJ)
    cancelled = find(world.org, "w6")
    cancelled.cancelled, cancelled.cancelled_at = True, datetime.now(UTC)
    world.org.version += 1
    before = len(world.server.requests)
    boss, mia, raj = batches(reader.sync_many(round_))
    assert world.server.requests[before:] == [("POST", BATCH)]
    assert reader.batch_requests == 1
    for batch in (boss, mia):
        [stub] = batch.observations
        assert stub.event_id == event_id(cancelled) and stub.state == "cancelled"
        assert not batch.full and batch.requests == 1 and batch.cursor
    assert raj.calendar_email == RAJ and raj.observations == () and raj.events_read == 0


def test_inner_requests_carry_each_calendar_owners_token(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    tokens = wire(world, "/google/token")
    results = batches(reader.sync_many(round_ * 2))
    assert [b.calendar_email for b in results] == [BOSS, MIA, BOSS, MIA]
    assert wire(world, "/google/token") == tokens  # cached per subject across rounds


def test_inner_next_page_tokens_are_followed_by_further_batches(world: GoogleWorld) -> None:
    reader = source(world, page_size=1)
    round_ = cursors(reader, BOSS, MIA)
    for uid in ("w6", "w7"):
        changed = find(world.org, uid)
        changed.cancelled, changed.cancelled_at = True, datetime.now(UTC)
    world.org.version += 1
    boss, mia = batches(reader.sync_many(round_))
    assert boss.requests == mia.requests == 2 and reader.batch_requests == 2
    assert len(boss.observations) == len(mia.observations) == 2


def test_calendar_without_a_cursor_is_synced_in_full_on_its_own(world: GoogleWorld) -> None:
    reader = source(world)
    [(boss, cursor)] = cursors(reader, BOSS)
    first, second = batches(reader.sync_many([(boss, cursor), (MIA, None)]))
    assert not first.full and second.full and second.calendar_email == MIA
    assert second.observations and reader.batch_requests == 1


@pytest.mark.parametrize("reason", ["fullSyncRequired", "updatedMinTooLongAgo"])
def test_expired_token_resyncs_only_that_calendar_in_full(world: GoogleWorld, reason: str) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    gone = google_error(410, reason, "Sync token is no longer valid.")
    world.server.add_fault(Fault(calendar_path(MIA), gone))
    boss, mia = batches(reader.sync_many(round_))
    assert not boss.full and mia.full and len(mia.observations) > 0
    assert world.sleeps == []


def test_throttled_inner_request_is_resent_alone_after_retry_after(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    throttle = google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", **{"Retry-After": "2"})
    world.server.add_fault(Fault(calendar_path(BOSS), throttle))
    boss, mia = batches(reader.sync_many(round_))
    assert world.sleeps == [2.0] and reader.batch_requests == 2
    assert boss.requests == 2 and mia.requests == 1
    assert world.server.inner_requests[-1][1].startswith("/calendar/v3" + calendar_path(BOSS))


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "notFound"), (403, "forbiddenForServiceAccounts"), (403, "quotaExceeded")],
)
def test_calendar_that_fails_for_good_does_not_affect_the_others(
    world: GoogleWorld, status: int, reason: str
) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA, RAJ)
    world.server.add_fault(Fault(calendar_path(MIA), google_error(status, reason, reason)))
    boss, mia, raj = reader.sync_many(round_)
    assert isinstance(mia, FatalSourceError) and not isinstance(mia, RetriableError)
    assert MIA in str(mia) and reason in str(mia)
    assert isinstance(boss, CalendarBatch) and isinstance(raj, CalendarBatch)
    assert world.sleeps == [] and reader.batch_requests == 1


def test_inner_server_errors_past_the_budget_fail_only_that_calendar(world: GoogleWorld) -> None:
    reader = source(world, attempts=3)
    round_ = cursors(reader, BOSS, MIA)
    world.server.add_fault(Fault(calendar_path(BOSS), google_error(500, "backendError", "x"), 9))
    boss, mia = reader.sync_many(round_)
    assert isinstance(boss, RetriableError) and isinstance(mia, CalendarBatch)
    assert len(world.sleeps) == 2 and reader.batch_requests == 3


def test_malformed_inner_body_is_retried(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    broken = Reply(200, b'{"items": [', {"Content-Type": "application/json"})
    world.server.add_fault(Fault(calendar_path(MIA), broken))
    boss, mia = batches(reader.sync_many(round_))
    assert mia.requests == 2 and boss.requests == 1 and len(world.sleeps) == 1


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(drop=True), id="dropped"),
        pytest.param(Reply(200, b"--x\r\n" * 100, {}, cut_after=50), id="cut-mid-body"),
    ],
)
def test_batch_connection_lost_mid_answer_is_retried(world: GoogleWorld, reply: Reply) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    world.server.add_fault(Fault(BATCH, reply, times=3))
    results = batches(reader.sync_many(round_))
    assert [b.calendar_email for b in results] == [BOSS, MIA]
    assert len(world.sleeps) >= 1


def test_inner_401_refreshes_that_token_once(world: GoogleWorld) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    refused = google_error(401, "authError", "Invalid Credentials")
    world.server.add_fault(Fault(calendar_path(MIA), refused))
    tokens = wire(world, "/google/token")
    batches(reader.sync_many(round_))
    assert wire(world, "/google/token") == tokens + 1


def test_inner_401_after_the_refresh_is_an_auth_error_for_that_calendar(
    world: GoogleWorld,
) -> None:
    reader = source(world)
    round_ = cursors(reader, BOSS, MIA)
    refused = google_error(401, "authError", "Invalid Credentials")
    world.server.add_fault(Fault(calendar_path(MIA), refused, times=2))
    boss, mia = reader.sync_many(round_)
    assert isinstance(mia, AuthError) and isinstance(boss, CalendarBatch)
    assert world.sleeps == []


def test_round_puts_fifty_calendars_in_each_batch_request(tmp_path: Path) -> None:
    with start_sandbox(tmp_path, size=120, background="none") as box:
        people = [p.email for p in box.org.people if p.active and p.provider == "google"]
        start = datetime.combine(box.org.history_start, time(), tzinfo=UTC)
        window = SyncWindow(start, start + timedelta(days=240))
        reader = GoogleCalendarSource(box.google, box.http, frozenset(people), window)
        round_ = [(email, reader.sync_calendar(email, None).cursor) for email in people]
        before = len(box.server.requests)
        results = reader.sync_many(round_)
        assert len(people) > 50 and all(isinstance(r, CalendarBatch) for r in results)
        expected = -(-len(people) // 50)
        assert len(box.server.requests) - before == reader.batch_requests == expected
