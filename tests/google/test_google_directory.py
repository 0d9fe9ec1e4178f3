"""GoogleDirectoryRoster through the real Admin SDK client against the sandbox."""

from __future__ import annotations

from datetime import date

import pytest
from google_org import ANN, BOSS, MIA, RAJ, SUE, GoogleWorld

from connectors.google.directory import GoogleDirectoryRoster, RosterIssue, people_from_users
from connectors.settings import GoogleSettings
from core.errors import BadInputError


def test_roster_lists_active_users_with_managers_resolved(world: GoogleWorld) -> None:
    people = GoogleDirectoryRoster(world.settings, world.http, world.retry()).people()
    by_email = {p.email: p for p in people}
    assert sorted(by_email) == [ANN, BOSS, MIA, RAJ]  # SUE is suspended
    assert by_email[MIA].manager_email == BOSS and by_email[BOSS].manager_email is None
    assert by_email[RAJ].name == "Raj Iyer" and by_email[RAJ].start_date == date(2024, 11, 4)
    assert (by_email[RAJ].title, by_email[MIA].title) == ("Data Engineer", None)
    assert {p.provider for p in people} == {"google"}
    assert SUE not in by_email


def test_manager_outside_the_roster_is_dropped_and_reported(world: GoogleWorld) -> None:
    roster = GoogleDirectoryRoster(world.settings, world.http, world.retry())
    people, issues = roster.people_with_issues()
    assert next(p for p in people if p.email == ANN).manager_email is None
    assert issues == [RosterIssue(ANN, "manager ghost@example.com is not an active user")]


def test_roster_reads_every_page(world: GoogleWorld) -> None:
    roster = GoogleDirectoryRoster(world.settings, world.http, world.retry(), page_size=2)
    assert len(roster.people()) == 4
    pages = [p for _, p in world.server.requests if p == "/admin/directory/v1/users"]
    assert len(pages) == 3  # five users, two per page


def test_roster_needs_an_admin_subject(world: GoogleWorld) -> None:
    settings = GoogleSettings(world.settings.service_account_file)
    with pytest.raises(BadInputError, match="admin_subject"):
        GoogleDirectoryRoster(settings, world.http)


def test_manager_relation_is_normalised_before_it_is_resolved() -> None:
    users = [
        {"primaryEmail": "Boss@Example.com", "name": {"fullName": "Bo"}},
        {
            "primaryEmail": "mia@example.com",
            "name": {"fullName": "Mia"},
            "relations": [
                {"type": "dotted_line", "value": "x@example.com"},
                {"type": "manager", "value": " BOSS@example.com "},
            ],
            "creationTime": "2024-02-03T04:05:06.000Z",
        },
    ]
    people, issues = people_from_users(users)
    assert [(p.email, p.manager_email) for p in people] == [
        ("boss@example.com", None),
        ("mia@example.com", "boss@example.com"),
    ]
    assert people[1].start_date == date(2024, 2, 3) and issues == []


def test_title_is_the_primary_organizations_else_the_first_with_one() -> None:
    def user(email: str, *organizations: dict[str, object]) -> dict[str, object]:
        return {"primaryEmail": email, "organizations": list(organizations)}

    users = [
        user("a@x.org", {"title": "Analyst"}, {"title": " Lead ", "primary": True}),
        user("b@x.org", {"primary": True, "name": "Acme"}, {"title": "Designer"}),
        user("c@x.org", {"primary": True}),
        {"primaryEmail": "d@x.org"},
    ]
    people, _ = people_from_users(users)
    assert [p.title for p in people] == ["Lead", "Designer", None, None]
