"""Graph's 4 concurrent requests per mailbox, kept by the source's limits against a
sandbox that throttles past them, directly and inside `$batch`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.model import CalendarBatch
from connectors.retry import RetryPolicy
from connectors.settings import MicrosoftLimits
from core.errors import SourceError

from .graph_org import BOSS, ROSTER, WINDOW, GraphWorld

MANY = 8  # requests to one mailbox at once: twice Graph's bound


def source(world: GraphWorld, concurrent_per_mailbox: int = 4) -> MicrosoftCalendarSource:
    """A source with the configured bound; its retries record instead of sleeping."""
    limits = MicrosoftLimits(concurrent_per_mailbox=concurrent_per_mailbox)
    settings = replace(world.settings, limits=limits)
    retry = RetryPolicy(sleep=world.sleeps.append, jitter=lambda low, high: high)
    return MicrosoftCalendarSource(settings, world.http, ROSTER, WINDOW, retry, client=world.client)


def all_synced(results: list[CalendarBatch | SourceError]) -> bool:
    return len(results) == MANY and all(isinstance(r, CalendarBatch) for r in results)


def same_mailbox_at_once(src: MicrosoftCalendarSource) -> list[CalendarBatch | SourceError]:
    """MANY full syncs of BOSS's mailbox from MANY threads at once."""

    def one(_: int) -> CalendarBatch | SourceError:
        try:
            return src.sync_calendar(BOSS, None)
        except SourceError as error:
            return error

    with ThreadPoolExecutor(max_workers=MANY) as pool:
        return list(pool.map(one, range(MANY)))


def test_default_limits_keep_to_four_requests_per_mailbox(world: GraphWorld) -> None:
    sandbox_limit = world.sandbox.state.mailbox_limit
    sandbox_limit.reset(hold_s=0.1)  # each request stays in flight: they overlap
    src = source(world)

    results = same_mailbox_at_once(src)

    assert all_synced(results)
    assert sandbox_limit.throttled == 0
    assert sandbox_limit.peak[BOSS] == 4  # they did overlap, up to the bound, no further
    assert src.waits.limits_s > 0 and src.waits.retries_s == 0


def test_past_the_bound_graph_throttles_and_the_source_retries_and_slows_down(
    world: GraphWorld,
) -> None:
    sandbox_limit = world.sandbox.state.mailbox_limit
    sandbox_limit.reset(hold_s=0.1, retry_after="0.01")
    src = source(world, concurrent_per_mailbox=MANY)

    results = same_mailbox_at_once(src)

    assert all_synced(results)
    assert sandbox_limit.throttled > 0
    assert 0.01 in world.sleeps  # each throttled request retried after its Retry-After
    assert src.limits.slowdown == 0.5 and src.limits.concurrent_per_key() == 4
    assert src.waits.retries_s > 0


def batch_of_one_mailbox(src: MicrosoftCalendarSource) -> list[CalendarBatch | SourceError]:
    """MANY delta replays of BOSS's mailbox through `sync_many` (its `$batch` rounds)."""
    cursor = src.sync_calendar(BOSS, None).cursor
    return src.sync_many([(BOSS, cursor)] * MANY)


def test_a_batch_keeps_to_four_requests_per_mailbox(world: GraphWorld) -> None:
    src = source(world)
    world.server.requests.clear()

    results = batch_of_one_mailbox(src)

    assert all_synced(results)
    assert world.sandbox.state.mailbox_limit.throttled == 0
    assert world.sandbox.state.mailbox_limit.peak[BOSS] == 4
    assert world.count("POST", "/$batch") == 2  # 4 and 4, where 20 would fit


def test_inside_a_batch_graph_throttles_each_request_past_the_bound(world: GraphWorld) -> None:
    world.sandbox.state.mailbox_limit.reset(retry_after="0.01")
    src = source(world, concurrent_per_mailbox=MANY)
    world.server.requests.clear()

    results = batch_of_one_mailbox(src)

    assert all_synced(results)
    assert world.sandbox.state.mailbox_limit.throttled == MANY - 4
    assert world.count("POST", "/$batch") == 2  # all 8, then the 4 throttled again
    assert world.sleeps == [0.01]
    assert src.limits.concurrent_per_key() == 4
    assert src.waits.retries_s == 0.01
