"""Incremental rounds through Graph JSON $batch, against the sandbox's /$batch."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.model import CalendarBatch
from connectors.retry import RetryPolicy
from connectors.sandbox.model import Attendee, Member
from connectors.sandbox.server import Fault, Reply
from core.errors import FatalSourceError, SourceError

from .graph_org import BOSS, LA, MIA, ROSTER, WINDOW, GraphWorld, at, meeting


def crowd(world: GraphWorld, size: int) -> list[str]:
    """`size` more Microsoft mailboxes, each with one 1:1 with Mia; their emails."""
    emails = [f"p{n:02d}@corp.test" for n in range(size)]
    for n, email in enumerate(emails):
        world.org.people.append(Member(email, f"P {n}", MIA, "microsoft", LA, MIA_HIRED))
        world.org.instances.append(meeting(f"c-{n}", email, [Attendee(MIA)], at(3, 9) + H * n))
    world.org.version += 1
    return emails


MIA_HIRED = at(1, 0).date()
H = timedelta(hours=1)


def local(email: str) -> str:
    """The part of a mailbox's URL before its (percent-encoded) @."""
    return email.split("@")[0] + "%40"


def source(world: GraphWorld, emails: list[str]) -> MicrosoftCalendarSource:
    retry = RetryPolicy(sleep=world.sleeps.append, jitter=lambda low, high: high)
    roster = ROSTER | frozenset(emails)
    return MicrosoftCalendarSource(
        world.settings, world.http, roster, WINDOW, retry, client=world.client
    )


def first_round(src: MicrosoftCalendarSource, emails: list[str]) -> list[tuple[str, str | None]]:
    return [(email, src.sync_calendar(email, None).cursor) for email in emails]


def batches(world: GraphWorld) -> int:
    return world.count("POST", "/$batch")


def only_batches(results: list[CalendarBatch | SourceError]) -> list[CalendarBatch]:
    assert all(isinstance(r, CalendarBatch) for r in results), results
    return [r for r in results if isinstance(r, CalendarBatch)]


def test_unchanged_mailboxes_take_one_batch_request_per_twenty(world: GraphWorld) -> None:
    emails = crowd(world, 45)
    src = source(world, emails)
    cursors = first_round(src, emails)
    world.server.requests.clear()

    results = only_batches(src.sync_many(cursors))

    assert len(world.server.requests) == batches(world) == math.ceil(45 / 20) == 3
    assert [b.calendar_email for b in results] == emails
    assert all(not b.full and b.observations == [] and b.events_read == 0 for b in results)
    assert all(b.cursor and b.cursor != c for b, (_, c) in zip(results, cursors, strict=True))


def test_changes_arrive_through_the_batch_with_new_cursors(world: GraphWorld) -> None:
    emails = crowd(world, 22)
    src = source(world, emails)
    cursors = first_round(src, [BOSS, MIA, *emails])
    cancelled = world.instance("s1-3")
    cancelled.cancelled, cancelled.cancelled_at = True, at(21, 7)
    world.org.version += 1

    boss, mia, *rest = only_batches(src.sync_many(cursors))

    assert len(boss.removed_ids) == 1 and boss.observations == []
    assert [o.state for o in mia.observations] == ["cancelled"]
    assert all(b.events_read == 0 for b in rest) and batches(world) == 2
    again = only_batches(src.sync_many([(b.calendar_email, b.cursor) for b in [boss, mia]]))
    assert again[0].events_read == again[1].events_read == 0


def test_pages_of_a_delta_round_are_followed_by_further_batches(world: GraphWorld) -> None:
    src = source(world, [])
    cursor = src.sync_calendar(MIA, None).cursor
    for uid in ("s1-0", "s1-1", "cross"):
        world.instance(uid).updated_at += H
    world.org.version += 1
    paged = MicrosoftCalendarSource(
        world.settings, world.http, ROSTER, WINDOW, client=world.client, page_size=2
    )

    [mia] = only_batches(paged.sync_many([(MIA, cursor)]))

    assert mia.events_read == 3 and len(mia.observations) == 3
    assert batches(world) == 2 and paged.batch_requests == 2


def test_inner_throttling_is_retried_after_its_retry_after(world: GraphWorld) -> None:
    emails = crowd(world, 3)
    src = source(world, emails)
    cursors = first_round(src, emails)
    throttled = Reply.json({"error": {"code": "TooManyRequests"}}, 429, **{"Retry-After": "0.4"})
    world.sandbox.add_batch_fault(Fault(f"/users/{local(emails[1])}", throttled))

    results = only_batches(src.sync_many(cursors))

    assert world.sleeps == [0.4] and batches(world) == 2
    assert [b.requests for b in results] == [1, 2, 1]


def test_expired_cursor_in_a_batch_resyncs_only_that_mailbox(world: GraphWorld) -> None:
    emails = crowd(world, 3)
    src = source(world, emails)
    cursors = first_round(src, emails)
    gone = Reply.json({"error": {"code": "syncStateNotFound", "message": "gone"}}, 410)
    world.sandbox.add_batch_fault(Fault(f"/users/{local(emails[2])}", gone))
    world.server.requests.clear()

    results = only_batches(src.sync_many(cursors))

    assert [b.full for b in results] == [False, False, True]
    assert results[2].events_read == 1 and len(results[2].observations) == 1
    assert world.count("GET", "/calendarView/delta") == 1  # the one full resync


def test_mailbox_failing_inside_a_batch_does_not_affect_the_others(world: GraphWorld) -> None:
    emails = crowd(world, 4)
    src = source(world, emails)
    cursors = first_round(src, emails)
    denied = Reply.json({"error": {"code": "ErrorAccessDenied", "message": "denied"}}, 403)
    world.sandbox.add_batch_fault(Fault(f"/users/{local(emails[0])}", denied))
    broken = Reply.json({"error": {"code": "serviceNotAvailable"}}, 503)
    world.sandbox.add_batch_fault(Fault(f"/users/{local(emails[3])}", broken, times=99))

    results = src.sync_many(cursors)

    assert isinstance(results[0], FatalSourceError) and "403" in str(results[0])
    assert isinstance(results[3], SourceError) and "503" in str(results[3])
    assert all(isinstance(r, CalendarBatch) and r.cursor for r in results[1:3])
    assert len(world.sleeps) == RetryPolicy().attempts - 1


def test_mailboxes_without_a_cursor_are_synced_in_full(world: GraphWorld) -> None:
    src = source(world, [])
    boss_cursor = src.sync_calendar(BOSS, None).cursor

    boss, mia = only_batches(src.sync_many([(BOSS, boss_cursor), (MIA, None)]))

    assert not boss.full and mia.full and len(mia.observations) == 6


def test_sandbox_refuses_a_batch_of_more_than_twenty(world: GraphWorld) -> None:
    src = source(world, [])
    token = src.graph._tokens.token()
    requests = [{"id": str(n), "method": "GET", "url": "/users"} for n in range(21)]

    response = world.client.post(
        src.graph.url("/$batch"),
        json={"requests": requests},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400


@pytest.mark.parametrize("size", [1, 20, 21], ids=["one", "twenty", "twenty-one"])
def test_incremental_round_uses_at_most_ceil_n_over_20_requests(
    world: GraphWorld, size: int
) -> None:
    emails = crowd(world, size)
    src = source(world, emails)
    cursors = first_round(src, emails)
    world.server.requests.clear()

    only_batches(src.sync_many(cursors))

    assert len(world.server.requests) <= math.ceil(size / 20)
