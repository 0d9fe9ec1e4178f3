"""The Microsoft roster from Graph users, managers and direct reports."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.microsoft.directory import MicrosoftDirectoryRoster
from connectors.model import Person
from connectors.retry import RetryPolicy

from .graph_org import BOSS, MIA, RAJ, GraphWorld


def roster(world: GraphWorld, **kw: object) -> MicrosoftDirectoryRoster:
    retry = RetryPolicy(sleep=world.sleeps.append)
    return MicrosoftDirectoryRoster(world.settings, world.http, retry, client=world.client, **kw)  # type: ignore[arg-type]


EXPECTED = [
    Person(BOSS, "Bea Boss", None, "microsoft", date(2020, 1, 6)),
    Person(MIA, "Mia Lead", BOSS, "microsoft", date(2022, 3, 1), "Engineering Manager"),
    Person(RAJ, "Raj Dev", MIA, "microsoft", date(2026, 1, 12)),
]


@pytest.mark.parametrize("expand", [True, False], ids=["expand-manager", "manager-per-user"])
def test_roster_lists_enabled_users_with_manager_and_hire_date(
    world: GraphWorld, expand: bool
) -> None:
    assert roster(world, expand_manager=expand, page_size=2).people() == EXPECTED


def test_user_list_is_paged(world: GraphWorld) -> None:
    source = roster(world, page_size=2)
    source.people()

    assert world.count("GET", "/users") == 2 == source.tally.requests  # 4 users, 2 a page


def test_manager_404_means_no_manager(world: GraphWorld) -> None:
    source = roster(world, expand_manager=False)

    assert source.manager_of({"id": "", "mail": BOSS}) is None
    assert world.count("GET", "/manager") == 1 and world.sleeps == []


def test_direct_reports_skip_non_user_objects(world: GraphWorld) -> None:
    # Mia's reports: Raj (a user) and Gus, who lives on Google: an orgContact here.
    assert roster(world).direct_reports(MIA) == [RAJ]
