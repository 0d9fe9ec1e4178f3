"""A calendar file that cannot be read is refused, naming the file, the line and what is
expected, before anything is read into the warehouse (the source is never made)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ics_kit import ANA, BEN, google_file, source, write

from core.errors import BadInputError

PEOPLE = f"ORGANIZER:mailto:{ANA}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{BEN}"
SERIES = f"""DTSTART;TZID=Europe/Berlin:20250303T100000
DTEND;TZID=Europe/Berlin:20250303T103000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5
EXDATE;TZID=Europe/Berlin:20250310T100000
UID:s1@google.com
{PEOPLE}"""
ONE_OFF = f"""DTSTART:20250305T150000Z
DTEND:20250305T153000Z
UID:o1@google.com
{PEOPLE}"""
GOOD = google_file(SERIES, ONE_OFF)


def line_of(text: str, needle: str) -> int:
    """The 1-based line of `text` holding `needle` (the line the error must name)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def refused(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "export.ics"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(BadInputError) as caught:
        source(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: line ") or message.startswith(f"{path} ")
    return message


def test_the_good_file_is_read(tmp_path: Path) -> None:
    batch = source(write(tmp_path, GOOD)).sync_calendar(ANA, None)
    assert len(batch.observations) == 5  # four weekly instances and the one-off


CHANGES = {
    "bad RRULE": ("FREQ=WEEKLY;BYDAY=MO;COUNT=5", "FREQ=SOMETIMES;BYDAY=MO", "RRULE", "FREQ="),
    "RRULE without FREQ": ("FREQ=WEEKLY;BYDAY=MO;COUNT=5", "BYDAY=MO", "RRULE", "no FREQ"),
    "RRULE with an unknown part": ("COUNT=5", "COUNT=5;EVERY=SOMETIMES", "RRULE", "RRULE"),
    "RRULE that never ends": ("COUNT=5", "INTERVAL=0", "RRULE", "INTERVAL=0"),
    "bad date": ("DTSTART:20250305T150000Z", "DTSTART:2025-13-45T15", "2025-13-45", "a date"),
    "a second DTSTART, broken": (
        "UID:o1@google.com",
        "UID:o1@google.com\r\nDTSTART:not-a-date",
        "not-a-date",
        "a date",
    ),
    "bad EXDATE": (
        "EXDATE;TZID=Europe/Berlin:20250310T100000",
        "EXDATE;TZID=Europe/Berlin:last monday",
        "EXDATE",
        "a date",
    ),
    "unknown zone": (
        "Europe/Berlin:20250303T100000",
        "Mars/Olympus:20250303T100000",
        "DTSTART",
        "unknown time zone 'Mars/Olympus'",
    ),
    "end before start": (
        "DTEND:20250305T153000Z",
        "DTEND:20250305T143000Z",
        "T143000Z",
        "DTEND is before DTSTART",
    ),
    "not a content line": (
        "UID:o1@google.com",
        "UID:o1@google.com\r\nthis is not iCalendar",
        "this is not",
        "NAME:value",
    ),
    "END closing the wrong component": (
        "UID:o1@google.com",
        "UID:o1@google.com\r\nEND:VTODO",
        "END:VTODO",
        "END:VEVENT",
    ),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_broken_line_is_named(tmp_path: Path, change: str) -> None:
    old, new, marker, expected = CHANGES[change]
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    message = refused(tmp_path, text)
    assert f"line {line_of(text, marker)}:" in message, message
    assert expected in message and "expected" in message


def test_a_truncated_file_names_its_last_line(tmp_path: Path) -> None:
    cut = GOOD[: GOOD.index("UID:o1@google.com") + 8]  # mid-line, inside the second event
    message = refused(tmp_path, cut)
    assert f"line {len(cut.splitlines())}:" in message
    begun = line_of(cut, "DTSTART:20250305") - 1
    assert f"inside the VEVENT begun on line {begun}" in message
    assert "truncated" in message and "expected END:VEVENT" in message


def test_a_file_without_vcalendar_is_refused_at_line_one(tmp_path: Path) -> None:
    text = re.sub(r"(BEGIN|END):VCALENDAR\r\n", "", GOOD)
    assert "line 1: expected BEGIN:VCALENDAR" in refused(tmp_path, text)
    assert "line 1: expected BEGIN:VCALENDAR" in refused(tmp_path, "Subject: 1:1\r\n\r\nsee you")


def test_an_event_without_a_start_is_refused_at_its_begin_line(tmp_path: Path) -> None:
    text = GOOD.replace("DTSTART:20250305T150000Z\r\n", "")
    message = refused(tmp_path, text)
    assert f"line {line_of(text, 'DTEND:20250305') - 1}: VEVENT without DTSTART" in message


def test_two_calendars_in_one_file_are_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, GOOD + GOOD)
    assert f"line {len(GOOD.splitlines()) + 1}: a second BEGIN:VCALENDAR" in message


def test_text_that_is_not_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    data = GOOD.replace("UID:o1@google.com", "UID:o1@google.com\r\nSUMMARY:caf\udce9", 1)
    message = refused(tmp_path, data.encode("utf-8", "surrogateescape"))
    assert f"line {line_of(data, 'SUMMARY:caf')}: not UTF-8" in message


def test_a_missing_unreadable_or_zipped_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"missing\.ics: no such file: expected the \.ics"):
        source(tmp_path / "missing.ics")
    (tmp_path / "folder.ics").mkdir()
    with pytest.raises(BadInputError, match=r"folder\.ics cannot be read \(.+\): expected"):
        source(tmp_path / "folder.ics")
    assert "is a zip archive: unzip it" in refused(tmp_path, b"PK\x03\x04\x14\x00rest of a zip")


def test_an_unknown_x_wr_timezone_is_named(tmp_path: Path) -> None:
    text = GOOD.replace("X-WR-TIMEZONE:Europe/Berlin", "X-WR-TIMEZONE:Atlantis/Capital")
    message = refused(tmp_path, text)
    assert f"line {line_of(text, 'X-WR-TIMEZONE')}: unknown X-WR-TIMEZONE" in message
