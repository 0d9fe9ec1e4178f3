"""Reading an exported .ics file with icalendar, refusing a malformed one by its line.

`read_ics` returns the parsed calendar and where each component's properties are
(`lines.scan`); `expand` lists the event instances over a span with
recurring-ical-events (RRULE, RDATE, EXDATE, RECURRENCE-ID exceptions, X-WR-TIMEZONE).
Every problem is a BadInputError naming the file and the line, and what is expected:
icalendar collects what it could not read per component (a bad date, a bad RRULE)
without a line, and recurring-ical-events fails a whole query without naming the
event, so both are traced back through the component's recorded lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events
from icalendar.parser import Contentline
from recurring_ical_events import BadRuleStringFormat, PeriodEndBeforeStart

from connectors.ics.lines import ComponentLines, scan, unfold, where
from core.errors import BadInputError

# Properties whose value the import reads: a broken one refuses the file. Errors in
# any other property (a broken GEO, a vendor's X- property) are left alone.
USED = frozenset(
    {
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "CREATED",
        "LAST-MODIFIED",
        "ORGANIZER",
        "ATTENDEE",
    }
)
_TIMES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_DATE = "a date (YYYYMMDD) or a date-time (YYYYMMDDTHHMMSS, Z-suffixed for UTC)"
EXPECTED = {
    **dict.fromkeys(("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"), _DATE),
    **dict.fromkeys(("CREATED", "LAST-MODIFIED"), _DATE),
    "RRULE": "a recurrence rule such as FREQ=WEEKLY;BYDAY=MO (RFC 5545, 3.3.10)",
    "DURATION": "a duration such as PT30M",
    "ORGANIZER": "a calendar address such as mailto:ana@example.com",
    "ATTENDEE": "a calendar address such as mailto:ana@example.com",
}
_TOO_OFTEN = frozenset({"SECONDLY", "MINUTELY"})  # no meeting repeats like that
_TIME_ZONE_PARTS = frozenset({"VTIMEZONE", "STANDARD", "DAYLIGHT"})


@dataclass(frozen=True)
class IcsFile:
    """A parsed export: the calendar and where each of its components is in the file."""

    path: Path
    calendar: icalendar.Calendar
    components: Sequence[ComponentLines]  # in `calendar.walk()` order

    def events(self) -> list[tuple[icalendar.Component, ComponentLines]]:
        """Every VEVENT of the file with its lines, in file order."""
        pairs = zip(self.calendar.walk(), self.components, strict=False)
        return [(c, lines) for c, lines in pairs if c.name == "VEVENT"]


def read_ics(path: Path) -> IcsFile:
    """Read and check an .ics file; BadInputError (naming file and line) when it is not
    one readable calendar."""
    text = _text(path)
    components = scan(path, text)
    # icalendar keeps the zones of the VTIMEZONE blocks it reads in one process-wide
    # cache, by TZID, the first one read winning: a zone of the same name from an earlier
    # file (Outlook's names are the same everywhere, its rules are not) must not stand in
    # for this file's. Starting the provider afresh empties that cache.
    icalendar.use_zoneinfo()
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise BadInputError(_unparsable(path, text, error)) from None
    found = calendar.walk()
    if len(found) != len(components):  # scan and icalendar disagree: trust icalendar's
        raise BadInputError(
            f"{where(path, 1)}: {len(found)} components read where the file has "
            f"{len(components)}: expected an iCalendar file as a calendar exports it"
        )
    parsed = IcsFile(path, calendar, components)
    for component, lines in zip(found, components, strict=True):
        _check_errors(path, component, lines)
        if component.name == "VEVENT":
            _check_event(path, component, lines)
    return parsed


def expand(parsed: IcsFile, start: datetime, end: datetime) -> list[icalendar.Component]:
    """Every event instance overlapping [start, end) by recurring-ical-events' reckoning
    (callers pad the span and filter exactly: floating times compare loosely)."""
    try:
        return list(recurring_ical_events.of(parsed.calendar).between(start, end))
    except (ValueError, TypeError, KeyError) as error:
        raise BadInputError(_diagnose(parsed, start, end, error)) from None


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(
            f"{path}: no such file: expected the .ics file exported from Google Calendar or Outlook"
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadInputError(
            f"{path} cannot be read ({reason}): expected a readable .ics file"
        ) from None
    if data.startswith(b"PK\x03\x04"):
        raise BadInputError(
            f"{path} is a zip archive: unzip it and import the .ics file of your calendar "
            "(Google's export holds one .ics per calendar)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BadInputError(
            f"{where(path, line)}: not UTF-8 text: expected an .ics file as exported (UTF-8)"
        ) from None


def _unparsable(path: Path, text: str, error: ValueError) -> str:
    """The first content line icalendar cannot split into name, parameters and value."""
    for line in unfold(text):
        try:
            Contentline(line.text).parts()
        except ValueError:
            return (
                f"{where(path, line.number)}: {line.name or 'this line'} cannot be read: "
                "expected NAME;PARAMETER=value:value"
            )
    return f"{where(path, 1)}: not a readable iCalendar file: {_short(error)}"


def _check_errors(path: Path, component: icalendar.Component, lines: ComponentLines) -> None:
    for name, message in getattr(component, "errors", ()):
        name = str(name).upper()
        if component.name in _TIME_ZONE_PARTS or (component.name == "VEVENT" and name in USED):
            expected = EXPECTED.get(name, "a value RFC 5545 allows")
            raise BadInputError(
                f"{where(path, _broken_line(component.name, lines, name))}: {name} cannot be read "
                f"({_short(message)}): expected {expected}"
            )


def _broken_line(kind: str, lines: ComponentLines, name: str) -> int:
    """Which of a component's `name` lines icalendar cannot read: each read on its own."""
    for line in lines.properties.get(name, ()):
        alone = icalendar.Component.from_ical(f"BEGIN:{kind}\r\n{line.text}\r\nEND:{kind}")
        if any(str(broken).upper() == name for broken, _ in alone.errors):
            return line.number
    return lines.line_of(name)


def _check_event(path: Path, event: icalendar.Component, lines: ComponentLines) -> None:
    for name in ("UID", "DTSTART"):
        if event.get(name) is None:
            raise BadInputError(
                f"{where(path, lines.begin)}: VEVENT without {name}: expected a {name} line "
                "in every event"
            )
    if _ends_before_start(event):
        raise BadInputError(
            f"{where(path, lines.line_of('DTEND'))}: DTEND is before DTSTART: expected the "
            "event to end after it starts"
        )
    for rule in _values(event.get("RRULE")):
        problem = _rule_problem(rule)
        if problem:
            raise BadInputError(
                f"{where(path, lines.line_of('RRULE'))}: RRULE {problem}: expected "
                f"{EXPECTED['RRULE']}"
            )
    for name in _TIMES:
        for n, value in enumerate(_values(event.get(name))):
            if _unknown_zone(value):
                zone = value.params.get("TZID")
                raise BadInputError(
                    f"{where(path, lines.line_of(name, n))}: unknown time zone "
                    f"{zone!r}: expected a VTIMEZONE with that TZID, or an IANA or Windows "
                    "zone name"
                )


def _ends_before_start(event: icalendar.Component) -> bool:
    start, end = event.get("DTSTART"), event.get("DTEND")
    if start is None or end is None:
        return False
    try:
        return bool(end.dt < start.dt)
    except TypeError:  # a date and a date-time, or floating and zoned: not comparable
        return False


def _rule_problem(rule: Any) -> str | None:
    """What makes a rule unusable that icalendar lets through (an INTERVAL of 0 would
    never end expanding)."""
    if not rule.get("FREQ"):
        return "has no FREQ"
    for name in ("INTERVAL", "COUNT"):
        values = rule.get(name) or [1]
        if not all(isinstance(v, int) and v >= 1 for v in values):
            return f"has {name}={values[0]}, not a positive whole number"
    if rule.get("COUNT") and rule.get("UNTIL"):
        return "has both COUNT and UNTIL"
    if any(str(f).upper() in _TOO_OFTEN for f in rule.get("FREQ") or ()):
        return "repeats by the minute or the second"
    return None


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _unknown_zone(value: Any) -> bool:
    """A date-time that names a TZID nothing defines (icalendar leaves it floating)."""
    if not value.params.get("TZID"):
        return False
    moments = [d.dt for d in value.dts] if hasattr(value, "dts") else [value.dt]
    return any(isinstance(m, datetime) and m.tzinfo is None for m in moments if isinstance(m, date))


def _diagnose(parsed: IcsFile, start: datetime, end: datetime, error: Exception) -> str:
    """Which event the expansion failed on: each event's series expanded on its own."""
    base = icalendar.Calendar()
    for name, value in parsed.calendar.items():
        base[name] = value
    by_uid: dict[str, list[tuple[icalendar.Component, ComponentLines]]] = {}
    for event, lines in parsed.events():
        by_uid.setdefault(str(event.get("UID")), []).append((event, lines))
    for series in by_uid.values():
        alone = base.copy()
        alone.subcomponents = [event for event, _ in series]
        try:
            list(recurring_ical_events.of(alone).between(start, end))
        except (ValueError, TypeError, KeyError) as failed:
            name = _blamed(series, failed)
            lines = next((lines for event, lines in series if name in event), series[0][1])
            expected = EXPECTED.get(name, "an event RFC 5545 allows")
            return (
                f"{where(parsed.path, lines.line_of(name))}: {name} cannot be used "
                f"({_short(failed)}): expected {expected}"
            )
    return f"{where(parsed.path, 1)}: the events cannot be expanded: {_short(error)}"


def _blamed(series: Iterable[tuple[icalendar.Component, ComponentLines]], error: Exception) -> str:
    """The property an expansion error is about, by its type."""
    if isinstance(error, BadRuleStringFormat):
        return "RRULE"
    if isinstance(error, PeriodEndBeforeStart):
        return "DTEND"
    has_rule = any("RRULE" in event for event, _ in series)
    return "RRULE" if has_rule else "DTSTART"


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 160 else text[:157] + "…"
