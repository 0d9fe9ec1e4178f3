"""The content lines of an .ics file with their line numbers, and its component structure.

icalendar reports what it could not read per component and property, without a line
number; this module keeps, for every component in the order icalendar walks them
(BEGIN order), the physical line each of its properties starts on, so an error can
name the line. It also refuses what icalendar would refuse without saying where: no
VCALENDAR, a file that ends inside a component (truncated), END lines that close the
wrong component, lines that are not `NAME[;PARAM=…]:value`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import BadInputError

# A property name (RFC 5545 "iana-token" / "x-name"), then parameters or the value.
_NAME = re.compile(r"^([A-Za-z0-9-]+)[;:]")
# A content line folded onto the next physical line continues after CRLF + one blank.
_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ContentLine:
    """One unfolded content line: the physical line it starts on, its name, its text."""

    number: int
    name: str
    text: str


@dataclass(slots=True)
class ComponentLines:
    """Where one component and each of its properties start (first occurrence first)."""

    name: str
    begin: int
    properties: dict[str, list[ContentLine]] = field(default_factory=dict)

    def line_of(self, name: str, n: int = 0) -> int:
        """The line of the `n`-th `name` property (or its last one), else the component's
        BEGIN line."""
        found = self.properties.get(name.upper())
        return found[min(n, len(found) - 1)].number if found else self.begin


def where(path: Path, line: int) -> str:
    """How an error names a place in the file."""
    return f"{path}: line {line}"


def unfold(text: str) -> list[ContentLine]:
    """The content lines of `text`, unfolded (RFC 5545 3.1), blank lines skipped."""
    found: list[ContentLine] = []
    for number, physical in enumerate(_BREAK.split(text), start=1):
        if physical[:1] in (" ", "\t") and found:
            last = found[-1]
            found[-1] = ContentLine(last.number, last.name, last.text + physical[1:])
        elif physical.strip():
            match = _NAME.match(physical)
            found.append(ContentLine(number, match.group(1).upper() if match else "", physical))
    return found


def scan(path: Path, text: str) -> list[ComponentLines]:
    """Every component of the file in BEGIN order (as `Component.walk` yields them).

    Raises BadInputError naming the line for a file that is not one VCALENDAR made of
    content lines with balanced BEGIN/END.
    """
    lines = unfold(text)
    if not lines:
        raise BadInputError(f"{path} is empty: expected an iCalendar file (BEGIN:VCALENDAR …)")
    first = lines[0]
    if first.text.strip().upper() != "BEGIN:VCALENDAR":
        raise BadInputError(
            f"{where(path, first.number)}: expected BEGIN:VCALENDAR, the first line of an "
            "iCalendar (.ics) file exported from a calendar"
        )
    components: list[ComponentLines] = []
    open_: list[ComponentLines] = []
    for n, line in enumerate(lines):
        if not line.name:
            raise BadInputError(_not_a_line(path, line, last=n == len(lines) - 1, open_=open_))
        if line.name in ("BEGIN", "END"):
            _begin_or_end(path, line, components, open_)
        elif not open_:
            raise BadInputError(
                f"{where(path, line.number)}: {line.name} after END:VCALENDAR: expected one "
                "calendar per file"
            )
        else:
            open_[-1].properties.setdefault(line.name, []).append(line)
    if open_:
        raise BadInputError(_truncated(path, lines[-1].number, open_[-1]))
    return components


def _begin_or_end(
    path: Path, line: ContentLine, components: list[ComponentLines], open_: list[ComponentLines]
) -> None:
    kind = line.text.partition(":")[2].strip().upper()
    if line.name == "BEGIN":
        if not open_ and components:
            raise BadInputError(
                f"{where(path, line.number)}: a second BEGIN:{kind}: expected one calendar "
                "per file (import each calendar's .ics on its own)"
            )
        opened = ComponentLines(kind, line.number)
        components.append(opened)
        open_.append(opened)
        return
    if not open_ or open_[-1].name != kind:
        expected = f"END:{open_[-1].name} (BEGIN on line {open_[-1].begin})" if open_ else "none"
        raise BadInputError(f"{where(path, line.number)}: END:{kind} where {expected} was expected")
    open_.pop()


def _not_a_line(path: Path, line: ContentLine, last: bool, open_: list[ComponentLines]) -> str:
    if last and open_:
        return _truncated(path, line.number, open_[-1])
    return (
        f"{where(path, line.number)}: not an iCalendar content line: expected "
        "NAME:value or NAME;PARAMETER=…:value"
    )


def _truncated(path: Path, number: int, inside: ComponentLines) -> str:
    return (
        f"{where(path, number)}: the file ends inside the {inside.name} begun on line "
        f"{inside.begin} (truncated?): expected END:{inside.name} and END:VCALENDAR"
    )
