"""CSV roster: valid rows become people; bad rows stop the run naming file and line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.roster import CsvRoster
from core.errors import BadInputError

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


def test_row_with_more_fields_than_the_header_is_refused_naming_the_line(tmp_path: Path) -> None:
    body = "boss@example.com,Boss,,google,\nana@example.com,Ana, Jr.,boss@example.com,google,\n"
    with pytest.raises(BadInputError, match=r"roster\.csv: line 3: more fields than the header"):
        roster(tmp_path, body).people()


def test_roster_that_is_not_utf8_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(
        HEADER.encode() + b"a@example.com,A,,google,\nb@example.com,Jos\xe9,,google,\n"
    )
    with pytest.raises(BadInputError, match=r"roster\.csv: line 3: not UTF-8; expected a UTF-8"):
        CsvRoster(path).people()


def chain(depth: int) -> str:
    """`depth` people, each managed by the one before: p0 at the top."""
    rows = ["p0@example.com,P0,,google,"]
    rows += [f"p{i}@example.com,P{i},p{i - 1}@example.com,google," for i in range(1, depth)]
    return "\n".join(rows) + "\n"


def test_ten_thousand_deep_management_chain_validates(tmp_path: Path) -> None:
    people = roster(tmp_path, chain(10_000)).people()
    assert len(people) == 10_000
    assert people[-1].manager_email == "p9998@example.com"


def test_cycle_at_the_top_of_a_long_chain_names_the_people_in_it(tmp_path: Path) -> None:
    body = chain(10_000).replace("p0@example.com,P0,,", "p0@example.com,P0,p2@example.com,", 1)
    with pytest.raises(BadInputError) as caught:
        roster(tmp_path, body).people()
    message = str(caught.value)
    assert "management cycle" in message
    for person in ("p0@example.com", "p1@example.com", "p2@example.com"):
        assert person in message
    assert "p3@example.com" not in message


def test_long_cycle_is_named_by_its_first_people_and_size(tmp_path: Path) -> None:
    body = chain(500).replace("p0@example.com,P0,,", "p0@example.com,P0,p499@example.com,", 1)
    with pytest.raises(BadInputError, match=r"management cycle: .* → … \(500 people\)"):
        roster(tmp_path, body).people()


def test_title_column_is_optional_and_empty_means_none(tmp_path: Path) -> None:
    body = (
        "boss@example.com,Boss,,google,,Director\nana@example.com,Ana,boss@example.com,google,,\n"
    )
    people = roster(tmp_path, body, HEADER.strip() + ",title\n").people()
    assert [p.title for p in people] == ["Director", None]
    untitled = roster(tmp_path, "ana@example.com,Ana,,google,\n").people()
    assert untitled[0].title is None
