"""CSV roster: valid rows become people; bad rows stop the run naming file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.errors import BadInputError
from connectors.roster import CsvRoster

HEADER = "email,name,manager_email,provider,start_date\n"


def roster(tmp_path: Path, body: str, header: str = HEADER) -> CsvRoster:
    path = tmp_path / "roster.csv"
    path.write_text(header + body)
    return CsvRoster(path)


def test_rows_become_people_with_optional_start_date(tmp_path: Path) -> None:
    people = roster(
        tmp_path,
        "Boss@Example.com,Boss,,google,\nana@example.com,Ana,boss@example.com,microsoft,2026-01-05\n",
    ).people()
    assert people[0].email == "boss@example.com"
    assert people[0].manager_email is None
    assert people[1].manager_email == "boss@example.com"
    assert people[1].start_date == date(2026, 1, 5)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ana@example.com,Ana,,yahoo,\n", r"line 2: provider: expected google or microsoft"),
        ("not-an-email,Ana,,google,\n", r"line 2: email: expected an email address"),
        ("ana@example.com,Ana,,google,05/01/2026\n", r"line 2: start_date: expected YYYY-MM-DD"),
        ("ana@example.com,Ana,bob@example.com,google,\n", r"bob@example.com is not in the roster"),
        ("a@example.com,A,,google,\na@example.com,A,,google,\n", r"appears more than once"),
        ("a@example.com,A,b@example.com,google,\nb@example.com,B,a@example.com,google,\n", "cycle"),
    ],
    ids=["provider", "email", "date", "unknown-manager", "duplicate", "cycle"],
)
def test_bad_rows_name_file_and_problem(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(BadInputError, match=message) as caught:
        roster(tmp_path, body).people()
    assert "roster.csv" in str(caught.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"missing column.*provider"):
        roster(tmp_path, "a@example.com,A,\n", header="email,name,manager_email\n").people()
