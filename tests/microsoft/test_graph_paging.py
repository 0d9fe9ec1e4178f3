"""How a Graph delta round ends, alone and inside `$batch`: the nextLink paginator's
guards (a repeated link, a link off the Graph endpoint, no deltaLink) and Retry-After
given as an HTTP date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.model import CalendarBatch
from connectors.sandbox.server import Fault, Reply
from core.errors import FatalSourceError

from .graph_org import BOSS, MIA, GraphWorld

DELTA = r"/calendarView/delta$"


def mailbox(email: str) -> str:
    """The start of a mailbox's inner $batch URL (its @ percent-encoded)."""
    return "/users/" + email.replace("@", "%40")


def cursors(src: MicrosoftCalendarSource, *emails: str) -> list[tuple[str, str | None]]:
    return [(email, src.sync_calendar(email, None).cursor) for email in emails]


def looping_page(world: GraphWorld, email: str) -> Reply:
    """A page whose nextLink points back at the same page, every time."""
    link = f"{world.settings.graph_endpoint}{mailbox(email)}/calendarView/delta?$skiptoken=again"
    return Reply.json({"value": [], "@odata.nextLink": link})


def test_graph_repeated_next_link_is_an_error_not_a_loop(world: GraphWorld) -> None:
    world.server.add_fault(Fault(DELTA, looping_page(world, BOSS), times=5))

    with pytest.raises(FatalSourceError, match="repeated a page link") as raised:
        world.source().sync_calendar(BOSS, None)

    assert BOSS in str(raised.value) and world.count("GET", "/calendarView/delta") == 2


def test_graph_repeated_next_link_fails_the_calendar_not_the_run(world: GraphWorld) -> None:
    src = world.source()
    round_ = cursors(src, BOSS, MIA)
    world.sandbox.add_batch_fault(Fault(mailbox(MIA), looping_page(world, MIA), times=5))

    boss, mia = src.sync_many(round_)

    assert isinstance(mia, FatalSourceError) and "repeated a page link" in str(mia)
    assert isinstance(boss, CalendarBatch) and src.batch_requests == 2


def test_graph_next_link_on_a_foreign_host_fails_only_that_mailbox(world: GraphWorld) -> None:
    # A $batch can only carry URLs relative to the Graph endpoint; the link is never
    # followed (and the host is never contacted).
    src = world.source()
    round_ = cursors(src, BOSS, MIA)
    foreign = "https://graph.elsewhere.invalid/v1.0/users/x/calendarView/delta?$skiptoken=1"
    page = Reply.json({"value": [], "@odata.nextLink": foreign})
    world.sandbox.add_batch_fault(Fault(mailbox(BOSS), page))

    boss, mia = src.sync_many(round_)

    assert isinstance(boss, FatalSourceError) and "outside its endpoint" in str(boss)
    assert isinstance(mia, CalendarBatch) and src.batch_requests == 1


def test_graph_next_link_on_another_host_is_never_followed_for_one_mailbox(
    world: GraphWorld,
) -> None:
    # Another host on loopback: were the link followed, the request would show there.
    foreign = "https://127.0.0.2:9/v1.0/users/x/calendarView/delta?$skiptoken=1"
    world.server.add_fault(Fault(DELTA, Reply.json({"value": [], "@odata.nextLink": foreign})))

    with pytest.raises(FatalSourceError, match="outside its endpoint") as raised:
        world.source().sync_calendar(MIA, None)

    assert MIA in str(raised.value) and world.sleeps == []


def test_delta_round_that_ends_without_a_delta_link_is_fatal(world: GraphWorld) -> None:
    world.server.add_fault(Fault(DELTA, Reply.json({"value": []})))

    with pytest.raises(FatalSourceError, match="without a deltaLink") as raised:
        world.source().sync_calendar(MIA, None)

    assert MIA in str(raised.value) and world.sleeps == []


def test_batched_delta_round_without_a_delta_link_fails_only_that_mailbox(
    world: GraphWorld,
) -> None:
    src = world.source()
    round_ = cursors(src, BOSS, MIA)
    world.sandbox.add_batch_fault(Fault(mailbox(BOSS), Reply.json({"value": []})))

    boss, mia = src.sync_many(round_)

    assert isinstance(boss, FatalSourceError) and "without a deltaLink" in str(boss)
    assert isinstance(mia, CalendarBatch) and mia.cursor and world.sleeps == []


def http_date(seconds_from_now: float) -> str:
    """A Retry-After value in the HTTP-date form (RFC 9110), whole seconds."""
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_from_now), usegmt=True)


def test_graph_retry_after_as_an_http_date_is_honoured(world: GraphWorld) -> None:
    later = {"Retry-After": http_date(20)}
    throttled = Reply.json({"error": {"code": "TooManyRequests"}}, 429, **later)
    world.server.add_fault(Fault(DELTA, throttled))

    batch = world.source().sync_calendar(BOSS, None)

    [wait] = world.sleeps
    assert 18.0 <= wait <= 20.0 and batch.cursor


def test_graph_inner_retry_after_as_a_past_http_date_retries_at_once(world: GraphWorld) -> None:
    src = world.source()
    round_ = cursors(src, BOSS, MIA)
    past = {"Retry-After": http_date(-60)}
    throttled = Reply.json({"error": {"code": "TooManyRequests"}}, 429, **past)
    world.sandbox.add_batch_fault(Fault(mailbox(MIA), throttled))

    boss, mia = src.sync_many(round_)

    assert isinstance(boss, CalendarBatch) and isinstance(mia, CalendarBatch)
    assert world.sleeps == [0.0] and mia.requests == 2 and src.batch_requests == 2
