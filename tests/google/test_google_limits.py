"""Google's per-user rate, kept by the source's limits against a sandbox that answers
429 rateLimitExceeded past it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from google_org import BOSS, WINDOW_END, WINDOW_START, GoogleWorld, build_org

from connectors.google.calendar import GoogleCalendarSource
from connectors.limits import Quota, Rate
from connectors.retry import RetryPolicy
from connectors.sandbox.google_api import (
    EVENTS_PATH,
    TOKEN_PATH,
    google_routes,
    write_service_account_key,
)
from connectors.sandbox.server import serve
from connectors.sandbox.throttle import UserRate
from connectors.settings import GoogleLimits, GoogleSettings, HttpSettings, SyncWindow

# The sandbox lets 12 requests a second through per calendar (Google counts a sliding
# minute; a second keeps the test short); a limit of 5 in any second keeps under it.
SANDBOX_RATE = UserRate(requests=12, per_s=1.0)


@dataclass(frozen=True)
class PerSecondLimits(GoogleLimits):
    """Google's limits counted over a sliding second instead of a minute."""

    @property
    def quota(self) -> Quota:
        minute = super().quota
        assert minute.per_key is not None and minute.per_key.per_s == 60
        return replace(minute, per_key=Rate(minute.per_key.requests // 60, 1.0))


@dataclass
class RatedWorld:
    world: GoogleWorld
    rate: UserRate  # what the sandbox enforces, and what it refused


@pytest.fixture
def rated(tmp_path: Path) -> Iterator[RatedWorld]:
    org = build_org()
    server = serve([], tmp_path)
    key_file = tmp_path / "service-account.json"
    public_key = write_service_account_key(key_file, server.root + TOKEN_PATH.lstrip("/"))
    rate = UserRate(SANDBOX_RATE.requests, SANDBOX_RATE.per_s)
    server.add_routes(rate.guard(google_routes(org, public_key), EVENTS_PATH))
    settings = GoogleSettings(key_file, admin_subject=BOSS, api_endpoint=server.root)
    http = HttpSettings(ca_bundle=server.tls.ca_file, timeout_s=10)
    window = SyncWindow(WINDOW_START, WINDOW_END)
    yield RatedWorld(GoogleWorld(org, server, settings, http, window), rate)
    server.stop()


def source(world: GoogleWorld, per_minute: int, page_size: int) -> GoogleCalendarSource:
    """A source with `per_minute // 60` requests per calendar in any second; its retries
    really wait."""
    limits = PerSecondLimits(requests_per_minute_per_calendar=per_minute)
    settings = replace(world.settings, limits=limits)
    roster = frozenset(m.email for m in world.org.people)
    retry = RetryPolicy(base_delay_s=0.05)
    window = world.window
    return GoogleCalendarSource(settings, world.http, roster, window, retry, page_size=page_size)


def test_a_per_calendar_limit_under_googles_rate_is_never_throttled(rated: RatedWorld) -> None:
    src = source(rated.world, per_minute=300, page_size=2)

    batch = src.sync_calendar(BOSS, None)

    assert batch.requests > 10  # more than its window holds: the limit was exercised
    assert rated.rate.throttled == 0
    assert src.waits.limits_s > 0 and src.waits.retries_s == 0


def test_past_googles_rate_the_source_retries_after_retry_after_and_slows_down(
    rated: RatedWorld,
) -> None:
    src = source(rated.world, per_minute=60_000, page_size=1)
    expected = source(rated.world, per_minute=60_000, page_size=250)

    batch = src.sync_calendar(BOSS, None)

    assert rated.rate.throttled > 0
    assert batch.requests > SANDBOX_RATE.requests
    assert sorted(o.event_id for o in batch.observations) == sorted(
        o.event_id for o in expected.sync_calendar(BOSS, None).observations
    )
    assert src.limits.slowdown < 1 and src.waits.retries_s > 0
