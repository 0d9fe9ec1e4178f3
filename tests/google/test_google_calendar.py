"""GoogleCalendarSource through google-api-python-client against the sandbox server."""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google_org import (
    BOSS,
    GONE_AT,
    MAX,
    MIA,
    RAJ,
    WEEKLY_START,
    Counts,
    GoogleWorld,
    find,
    roster,
)

from connectors.google.calendar import GoogleCalendarSource
from connectors.model import CalendarBatch, Observation
from connectors.sandbox.google_api import google_error, write_service_account_key
from connectors.sandbox.google_render import event_id
from connectors.sandbox.server import Fault
from connectors.settings import GoogleSettings
from core.errors import (
    AuthError,
    BadInputError,
    CursorExpiredError,
    FatalSourceError,
    RetriableError,
)

EVENTS = r"/calendar/v3/calendars/"


def source(world: GoogleWorld, page_size: int = 250, attempts: int = 4) -> GoogleCalendarSource:
    retry = world.retry(attempts)
    return GoogleCalendarSource(
        world.settings, world.http, roster(), world.window, retry, page_size=page_size
    )


def by_id(batch: CalendarBatch) -> dict[str, Observation]:
    return {o.event_id: o for o in batch.observations}


def events_requests(world: GoogleWorld) -> int:
    return sum(1 for _, path in world.server.requests if path.startswith(EVENTS))


def now() -> datetime:
    return datetime.now(UTC)


def test_full_sync_reads_every_page_and_ends_with_a_sync_token(world: GoogleWorld) -> None:
    batch = source(world, page_size=3).sync_calendar(BOSS, None)
    assert batch.full and batch.provider == "google" and batch.calendar_email == BOSS
    assert batch.events_read == 23
    assert batch.requests == math.ceil(23 / 3) == events_requests(world)
    assert batch.cursor
    assert len(batch.observations) == sum(
        (
            Counts.weekly_live,
            Counts.weekly_stubs,
            Counts.split,
            Counts.one_offs_kept,
            Counts.one_offs_deleted,
        )
    )


def test_full_sync_keeps_only_one_on_ones_between_roster_members(world: GoogleWorld) -> None:
    kept = by_id(source(world).sync_calendar(BOSS, None))
    dropped = ("three", "allday", "ooo", "focus", "group", "outsider")
    for uid in dropped:
        assert event_id(find(world.org, uid)) not in kept, uid
    assert event_id(find(world.org, "late")) not in kept  # outside the sync window
    room = kept[event_id(find(world.org, "roomy"))]
    assert room.participants == (BOSS, MIA)
    assert kept[event_id(find(world.org, "cross"))].participants == (BOSS, MAX)


def test_moved_declined_cancelled_and_agenda_instances_are_told_apart(world: GoogleWorld) -> None:
    kept = by_id(source(world).sync_calendar(BOSS, None))
    week = [kept[event_id(find(world.org, f"w{n}"))] for n in range(8)]
    assert week[2].start == WEEKLY_START + timedelta(weeks=2, days=1)
    assert week[2].original_start == WEEKLY_START + timedelta(weeks=2)
    assert week[3].state == "cancelled" and week[3].participants == ()
    assert week[4].declined_by == (MIA,)
    assert week[5].state == "live"  # MIA removed her copy; the organizer's stands
    assert [w.has_agenda for w in week] == [False, True, False, False, False, False, False, False]
    assert kept[event_id(find(world.org, "agenda-doc"))].has_agenda
    assert {w.series_key for w in week} == {week[0].series_key}


def test_attendee_who_removed_an_instance_sees_it_cancelled(world: GoogleWorld) -> None:
    kept = by_id(source(world).sync_calendar(MIA, None))
    removed = kept[event_id(find(world.org, "w5"))]
    assert removed.state == "cancelled" and removed.calendar_email == MIA
    assert kept[event_id(find(world.org, "w0"))].state == "live"


def test_split_series_halves_share_one_series_key(world: GoogleWorld) -> None:
    kept = by_id(source(world).sync_calendar(RAJ, None))
    halves = [kept[event_id(find(world.org, uid))] for uid in ("s0", "s1", "t2", "t3")]
    assert len({h.series_key for h in halves}) == 1
    assert "_R" in event_id(find(world.org, "t2"))


def test_no_title_description_or_location_is_kept(world: GoogleWorld) -> None:
    batch = source(world).sync_calendar(BOSS, None)
    stored = repr(batch.observations)
    for secret in ("Secret title", "private notes", "Corner office", "docs.example.com"):
        assert secret not in stored


def test_two_full_syncs_give_the_same_batch(world: GoogleWorld) -> None:
    first = source(world, page_size=4).sync_calendar(BOSS, None)
    second = source(world, page_size=7).sync_calendar(BOSS, None)
    assert sorted(map(repr, first.observations)) == sorted(map(repr, second.observations))


def test_incremental_sync_returns_only_the_change(world: GoogleWorld) -> None:
    reader = source(world)
    full = reader.sync_calendar(BOSS, None)
    cancelled = find(world.org, "w6")
    cancelled.cancelled, cancelled.cancelled_at = True, now()
    world.org.version += 1
    change = reader.sync_calendar(BOSS, full.cursor)
    assert not change.full and change.events_read == 1 and change.removed_ids == ()
    [stub] = change.observations
    assert stub.event_id == event_id(cancelled) and stub.state == "cancelled"
    assert change.cursor and change.cursor != full.cursor
    quiet = reader.sync_calendar(BOSS, change.cursor)
    assert quiet.observations == () and quiet.events_read == 0


def test_meeting_that_gains_a_third_person_is_reported_removed(world: GoogleWorld) -> None:
    reader = source(world)
    full = reader.sync_calendar(MIA, None)
    grown = find(world.org, "w7")
    grown.attendees.append(type(grown.attendees[0])(RAJ))
    grown.updated_at = now()
    world.org.version += 1
    change = reader.sync_calendar(MIA, full.cursor)
    assert change.removed_ids == (event_id(grown),) and change.observations == ()


def test_incremental_sync_sees_a_new_meeting_outside_the_first_window(world: GoogleWorld) -> None:
    reader = source(world)
    full = reader.sync_calendar(RAJ, None)
    late = find(world.org, "late")
    late.attendees = [type(late.attendees[0])(RAJ)]
    late.updated_at = now()
    world.org.version += 1
    change = reader.sync_calendar(RAJ, full.cursor)
    assert [o.event_id for o in change.observations] == [event_id(late)]


def test_series_instance_dropped_from_the_org_comes_back_as_a_stub(world: GoogleWorld) -> None:
    reader = source(world)
    full = reader.sync_calendar(BOSS, None)
    dropped = find(world.org, "w7")
    world.org.instances.remove(dropped)
    world.org.version += 1
    [stub] = reader.sync_calendar(BOSS, full.cursor).observations
    assert (stub.event_id, stub.state) == (event_id(dropped), "cancelled")
    assert stub.original_start == dropped.original_start


def test_deleted_one_off_keeps_its_data_on_the_organizers_calendar_in_a_full_sync(
    world: GoogleWorld,
) -> None:
    kept = by_id(source(world).sync_calendar(BOSS, None))
    gone = find(world.org, "gone")
    copy = kept[event_id(gone)]
    assert (copy.state, copy.participants, copy.organizer_email) == ("cancelled", (BOSS, MIA), BOSS)
    assert (copy.start, copy.end) == (gone.start, gone.end)
    assert copy.updated_at == GONE_AT and not copy.recurring
    assert kept[event_id(find(world.org, "called-off"))].state == "cancelled"


def test_deleted_one_off_is_a_bare_stub_on_the_attendees_calendar_and_ignored(
    world: GoogleWorld,
) -> None:
    batch = source(world).sync_calendar(MIA, None)
    assert event_id(find(world.org, "gone")) not in by_id(batch)
    assert batch.removed_ids == ()


def test_one_off_deleted_after_a_sync_is_cancelled_for_its_organizer_removed_for_attendees(
    world: GoogleWorld,
) -> None:
    reader = source(world)
    organizer, attendee = reader.sync_calendar(BOSS, None), reader.sync_calendar(RAJ, None)
    deleted = find(world.org, "agenda-doc")
    deleted.deleted, deleted.updated_at = True, now()
    deleted.cancelled_at = deleted.updated_at
    world.org.version += 1
    [copy] = reader.sync_calendar(BOSS, organizer.cursor).observations
    assert (copy.event_id, copy.state, copy.updated_at) == (
        event_id(deleted),
        "cancelled",
        deleted.cancelled_at.replace(microsecond=deleted.cancelled_at.microsecond // 1000 * 1000),
    )
    change = reader.sync_calendar(RAJ, attendee.cursor)
    assert change.removed_ids == (event_id(deleted),) and change.observations == ()


def test_change_stamped_with_an_older_time_is_still_seen(world: GoogleWorld) -> None:
    reader = source(world)
    full = reader.sync_calendar(BOSS, None)
    declined = find(world.org, "w6")
    declined.attendees[0].response = "declined"  # updated_at left in the past
    world.org.version += 1
    [seen] = reader.sync_calendar(BOSS, full.cursor).observations
    assert seen.event_id == event_id(declined) and seen.declined_by == (MIA,)


def test_superseded_sync_token_eventually_expires(world: GoogleWorld) -> None:
    reader = source(world)
    first = reader.sync_calendar(BOSS, None).cursor
    second = reader.sync_calendar(BOSS, first).cursor
    reader.sync_calendar(BOSS, second)
    with pytest.raises(CursorExpiredError):
        reader.sync_calendar(BOSS, first)


@pytest.mark.parametrize("cursor", ["not-a-token", "eyJhIjoxfQ.forged"], ids=["garbage", "forged"])
def test_invalid_sync_token_raises_cursor_expired(world: GoogleWorld, cursor: str) -> None:
    with pytest.raises(CursorExpiredError):
        source(world).sync_calendar(BOSS, cursor)


def test_sync_token_of_another_calendar_raises_cursor_expired(world: GoogleWorld) -> None:
    reader = source(world)
    cursor = reader.sync_calendar(MIA, None).cursor
    with pytest.raises(CursorExpiredError):
        reader.sync_calendar(BOSS, cursor)


def test_throttled_request_is_retried_after_retry_after(world: GoogleWorld) -> None:
    retry_after = {"Retry-After": "1.5"}
    throttle = google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", **retry_after)
    world.server.add_fault(Fault(EVENTS, throttle, times=2))
    batch = source(world).sync_calendar(BOSS, None)
    assert world.sleeps == [1.5, 1.5]
    assert batch.requests == 3 and batch.events_read == 23


def test_rate_limit_403_is_retried(world: GoogleWorld) -> None:
    limited = google_error(403, "userRateLimitExceeded", "User Rate Limit Exceeded")
    world.server.add_fault(Fault(EVENTS, limited))
    batch = source(world).sync_calendar(BOSS, None)
    assert len(world.sleeps) == 1 and batch.requests == 2


def test_server_errors_past_the_attempt_budget_stay_retriable(world: GoogleWorld) -> None:
    world.server.add_fault(Fault(EVENTS, google_error(503, "backendError", "Backend Error"), 9))
    with pytest.raises(RetriableError):
        source(world, attempts=3).sync_calendar(BOSS, None)
    assert len(world.sleeps) == 2


def test_forbidden_calendar_is_fatal_names_it_and_is_not_retried(world: GoogleWorld) -> None:
    world.server.add_fault(Fault(EVENTS, google_error(403, "forbidden", "Forbidden")))
    with pytest.raises(FatalSourceError, match=re.escape(BOSS)) as raised:
        source(world).sync_calendar(BOSS, None)
    assert not isinstance(raised.value, RetriableError) and world.sleeps == []


def test_user_without_a_google_account_is_refused_at_the_token(world: GoogleWorld) -> None:
    with pytest.raises(AuthError, match=re.escape(MAX)):
        source(world).sync_calendar(MAX, None)


def test_key_the_server_does_not_know_is_refused_without_leaking_it(
    world: GoogleWorld, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger.json"
    write_service_account_key(stranger, world.server.root + "google/token")
    settings = GoogleSettings(stranger, api_endpoint=world.settings.api_endpoint)
    reader = GoogleCalendarSource(settings, world.http, roster(), world.window, world.retry())
    with pytest.raises(AuthError) as raised:
        reader.sync_calendar(BOSS, None)
    assert "PRIVATE KEY" not in str(raised.value)


def test_missing_key_file_is_bad_input(world: GoogleWorld, tmp_path: Path) -> None:
    settings = GoogleSettings(tmp_path / "nope.json")
    with pytest.raises(BadInputError, match=r"nope\.json"):
        GoogleCalendarSource(settings, world.http, roster(), world.window)


def test_calendars_sync_concurrently_from_several_threads(world: GoogleWorld) -> None:
    reader = source(world, page_size=5)
    emails = [BOSS, MIA, RAJ, BOSS, MIA, RAJ]
    expected = {email: reader.sync_calendar(email, None).observations for email in emails[:3]}
    with ThreadPoolExecutor(max_workers=6) as pool:
        batches = list(pool.map(lambda email: reader.sync_calendar(email, None), emails))
    for email, batch in zip(emails, batches, strict=True):
        assert batch.calendar_email == email and batch.observations == expected[email]
