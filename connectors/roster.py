"""Rosters: the CSV file, merging directories, and the checks every roster passes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from connectors.model import Person
from core.errors import BadInputError

CSV_COLUMNS = ("email", "name", "manager_email", "provider")
PROVIDERS = ("google", "microsoft")


class CsvRoster:
    """`email,name,manager_email,provider[,start_date][,title]`, one person per line.

    `start_date` (YYYY-MM-DD, optional) is the day the person started reporting to
    `manager_email`: a hire date or the date of a change of manager. `title`
    (optional; empty: none) is the job title.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def people(self) -> list[Person]:
        return validate_roster(self.rows(), str(self.path))

    def rows(self) -> list[Person]:
        """Each line's person, checked alone (not yet as a roster)."""
        reader = csv.DictReader(io.StringIO(self._text(), newline=""))
        self._check_header(reader.fieldnames)
        return [self._person(row, reader.line_num) for row in reader]

    def _text(self) -> str:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise BadInputError(f"{self.path}: roster file not found") from None
        except OSError as error:
            raise BadInputError(f"{self.path}: cannot read the roster ({error.strerror})") from None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise BadInputError(
                f"{self.path}: line {line}: not UTF-8; expected a UTF-8 CSV file"
                " (save it from your spreadsheet as 'CSV UTF-8')"
            ) from None

    def _check_header(self, header: Iterable[str] | None) -> None:
        missing = [c for c in CSV_COLUMNS if c not in (header or [])]
        if missing:
            raise BadInputError(
                f"{self.path}: line 1: missing column(s) {', '.join(missing)};"
                f" expected header {','.join(CSV_COLUMNS)}[,start_date][,title]"
            )

    def _person(self, row: dict[str | None, str], line: int) -> Person:
        where = f"{self.path}: line {line}"
        if None in row:  # DictReader files the fields beyond the header under None
            raise BadInputError(
                f"{where}: more fields than the header's {len(row) - 1} columns;"
                " expected one value per column (quote a value that holds a comma)"
            )
        email = _email(row.get("email"), where, "email")
        if email is None:
            raise BadInputError(f"{where}: email: expected an address like ana@example.com")
        provider = (row.get("provider") or "").strip().lower()
        if provider not in PROVIDERS:
            raise BadInputError(
                f"{where}: provider: expected google or microsoft, got {provider!r}"
            )
        return Person(
            email=email,
            name=(row.get("name") or "").strip() or email,
            manager_email=_email(row.get("manager_email"), where, "manager_email"),
            provider=provider,  # type: ignore[arg-type]
            start_date=_start_date(row.get("start_date"), where),
            title=(row.get("title") or "").strip() or None,
        )


def _email(value: str | None, where: str, column: str) -> str | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text:
        raise BadInputError(f"{where}: {column}: expected an email address, got {text!r}")
    return text


def _start_date(value: str | None, where: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"{where}: start_date: expected YYYY-MM-DD, got {text!r}") from None


def validate_roster(people: list[Person], source: str) -> list[Person]:
    """Reject duplicates, unknown managers and management cycles, naming the people."""
    seen: set[str] = set()
    for person in people:
        if person.email in seen:
            raise BadInputError(f"{source}: {person.email} appears more than once")
        seen.add(person.email)
    for person in people:
        if person.manager_email is not None and person.manager_email not in seen:
            raise BadInputError(
                f"{source}: {person.email}: manager_email {person.manager_email}"
                " is not in the roster"
            )
    _reject_cycles(people, source)
    if not people:
        raise BadInputError(f"{source}: the roster is empty")
    return people


def _reject_cycles(people: list[Person], source: str) -> None:
    """Walk up from each person once: every chain ends at someone already cleared, at
    the top, or back on itself (a cycle) — linear in the size of the roster."""
    manager = {p.email: p.manager_email for p in people}
    cleared: set[str] = set()
    for start in manager:
        path: dict[str, int] = {}  # the chain walked from `start`, in order
        current: str | None = start
        while current is not None and current not in cleared:
            if current in path:
                cycle = list(path)[path[current] :]
                raise BadInputError(f"{source}: management cycle: {_cycle_text(cycle)}")
            path[current] = len(path)
            current = manager[current]
        cleared.update(path)


def _cycle_text(cycle: list[str], shown: int = 10) -> str:
    """`a → b → a`; a long cycle by its first people and its size."""
    if len(cycle) <= shown:
        return " → ".join([*cycle, cycle[0]])
    return " → ".join(cycle[:shown]) + f" → … ({len(cycle)} people)"
