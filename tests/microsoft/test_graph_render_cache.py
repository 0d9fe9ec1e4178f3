"""Copies served from the sandbox's render cache are exactly the copies Graph renders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.microsoft.auth import TokenProvider
from connectors.sandbox.graph_render import mailbox_view

from .graph_org import BOSS, MIA, RAJ, GraphWorld

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
QUERY = {"startDateTime": "2026-02-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}


def served(world: GraphWorld, mailbox: str, zone: str, page: int = 1000) -> list[Any]:
    """Every copy the sandbox serves for `mailbox` over the window, page after page."""
    token = TokenProvider(world.settings, world.client).token()
    prefer = f'outlook.timezone="{zone}", odata.maxpagesize={page}'
    headers = {"Authorization": f"Bearer {token}", "Prefer": prefer}
    url: str | None = f"{world.settings.graph_endpoint}/users/{mailbox}/calendarView/delta"
    params: dict[str, str] | None = QUERY
    events: list[Any] = []
    while url:
        body = world.client.get(url, params=params, headers=headers).json()
        events += body["value"]
        url, params = body.get("@odata.nextLink"), None
    return events


def rendered(world: GraphWorld, mailbox: str, zone: str) -> list[Any]:
    members = {member.email.lower(): member for member in world.org.people}
    return mailbox_view(world.org.instances, mailbox, members, WINDOW, zone)


@pytest.mark.parametrize("zone", ["UTC", "Pacific Standard Time", "Asia/Kolkata"])
def test_every_mailbox_is_served_exactly_its_rendered_copies(world: GraphWorld, zone: str) -> None:
    for mailbox in (BOSS, MIA, RAJ):
        assert served(world, mailbox, zone) == rendered(world, mailbox, zone)


def test_pages_of_two_hold_the_same_copies_as_one_page(world: GraphWorld) -> None:
    assert served(world, MIA, "UTC", page=2) == served(world, MIA, "UTC")


def test_a_mutation_reaches_the_next_round_of_every_mailbox(world: GraphWorld) -> None:
    before = served(world, BOSS, "UTC")
    shared = next(
        i for i in world.org.instances if i.organizer == BOSS and i.attendees and i.series_id
    )
    shared.title = "Renamed 1:1"
    shared.attendees[0].response = "declined"
    shared.attendees[0].responded_at = datetime(2026, 3, 1, tzinfo=UTC)
    shared.updated_at += timedelta(minutes=5)
    world.org.version += 1  # what every mutation does (connectors/sandbox/mutations.py)

    after = served(world, BOSS, "UTC")
    changed = [event for event in after if event["subject"] == "Renamed 1:1"]

    assert after != before and len(changed) == 1
    assert changed[0]["attendees"][0]["status"]["response"] == "declined"
    assert after == rendered(world, BOSS, "UTC")
    assert served(world, MIA, "UTC") == rendered(world, MIA, "UTC")
