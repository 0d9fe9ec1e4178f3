"""One manager's team as a roster: the manager and their direct reports.

Used when a manager runs oneonone on their own calendar (a sign-in or a calendar
file): a Google account cannot read who reports to whom without an admin, so the
reports come from the configuration or a CSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from connectors.model import Person, Provider
from connectors.roster import CsvRoster, validate_roster
from core.errors import BadInputError


def team_roster(
    manager: str,
    provider: Provider,
    reports: Sequence[str] = (),
    reports_csv: Path | None = None,
    manager_name: str | None = None,
) -> list[Person]:
    """`manager` and their reports: the listed addresses, then the CSV's people (a roster
    CSV; each row's manager is taken to be `manager`; the manager's own row, if any,
    gives only their name and title)."""
    owner = manager.strip().lower()
    rows = CsvRoster(reports_csv).rows() if reports_csv is not None else []
    me = next((person for person in rows if person.email == owner), None)
    name = manager_name or (me.name if me else owner)
    people = [Person(owner, name, None, provider, title=me.title if me else None)]
    for email in reports:
        people.append(Person(email.strip().lower(), email.strip().lower(), owner, provider))
    if rows:
        for person in rows:
            if person.email != owner:
                people.append(
                    Person(
                        person.email,
                        person.name,
                        owner,
                        provider,
                        person.start_date,
                        person.title,
                    )
                )
    if len(people) == 1:
        raise BadInputError(
            "roster.reports: no direct reports given; expected your reports' addresses"
            " (or a CSV in roster.path)"
        )
    return validate_roster(people, "roster.reports" if reports_csv is None else str(reports_csv))


def with_details(people: Sequence[Person], reports_csv: Path) -> list[Person]:
    """`people` with the start dates and titles a roster CSV gives for them (a directory
    read with a person's own sign-in does not give a report's)."""
    known = {person.email: person for person in CsvRoster(reports_csv).rows()}
    return [
        replace(
            person,
            start_date=found.start_date or person.start_date,
            title=found.title or person.title,
        )
        if (found := known.get(person.email)) is not None
        else person
        for person in people
    ]
