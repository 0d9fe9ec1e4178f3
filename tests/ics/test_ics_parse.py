"""Reading Google Calendar and Outlook exports: series, exceptions, time zones, filters."""

from __future__ import annotations

import pickle
from datetime import UTC
from pathlib import Path

import pytest
from ics_kit import (
    ANA,
    BEN,
    CAT,
    by_id,
    first_import,
    google_file,
    outlook_file,
    source,
    utc,
    write,
)

from connectors.ics.parse import read_ics
from connectors.model import Observation, meeting_key
from connectors.settings import SyncWindow
from core.errors import BadInputError

ROOM = "c_1@resource.calendar.google.com"
MEET_BLOCK = (
    "Weekly 1:1\\n\\n-::~:~::~:~:~:~:~:~:~:~:~:~:~::~:~::-\\nJoin with Google Meet: "
    "https://meet.google.com/abc-defg-hij\\n\\nLearn more about Meet at: https://support.goo"
    "\n gle.com/a/users/answer/9282720\\n-::~:~::~:~:~:~:~:~:~:~:~:~:~::~:~::-"
)
PEOPLE = f"""ORGANIZER;CN=Ana:mailto:{ANA}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Ana;X-NUM-GUESTS=0:mailto:{ANA}
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Ben;X-NUM-GUESTS=0:mailto:{BEN}
ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Room 1:mailto:{ROOM}"""
DECLINED = PEOPLE.replace("PARTSTAT=ACCEPTED;CN=Ben", "PARTSTAT=DECLINED;CN=Ben")
GOOGLE_SERIES = (
    f"""DTSTART;TZID=Europe/Berlin:20250317T100000
DTEND;TZID=Europe/Berlin:20250317T103000
RRULE:FREQ=WEEKLY;UNTIL=20250414T080000Z;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20250324T100000
RDATE;TZID=Europe/Berlin:20250416T100000
DTSTAMP:20250501T000000Z
UID:s1@google.com
{PEOPLE}
X-GOOGLE-CONFERENCE:https://meet.google.com/abc-defg-hij
CREATED:20250301T090000Z
DESCRIPTION:{MEET_BLOCK}
LAST-MODIFIED:20250302T090000Z
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Ana / Ben""",
    f"""DTSTART;TZID=Europe/Berlin:20250401T150000
DTEND;TZID=Europe/Berlin:20250401T153000
RECURRENCE-ID;TZID=Europe/Berlin:20250331T100000
UID:s1@google.com
{PEOPLE}
CREATED:20250301T090000Z
LAST-MODIFIED:20250328T090000Z
STATUS:CONFIRMED""",
    f"""DTSTART;TZID=Europe/Berlin:20250407T100000
DTEND;TZID=Europe/Berlin:20250407T103000
RECURRENCE-ID;TZID=Europe/Berlin:20250407T100000
UID:s1@google.com
{PEOPLE}
LAST-MODIFIED:20250406T200000Z
STATUS:CANCELLED""",
    f"""DTSTART;TZID=Europe/Berlin:20250414T100000
DTEND;TZID=Europe/Berlin:20250414T103000
RECURRENCE-ID;TZID=Europe/Berlin:20250414T100000
UID:s1@google.com
{DECLINED}
LAST-MODIFIED:20250410T120000Z
STATUS:CONFIRMED""",
    f"""DTSTART:20250305T150000Z
DTEND:20250305T153000Z
UID:o1@google.com
{PEOPLE}
DESCRIPTION:Agenda: https://docs.example.com/d/1
STATUS:CONFIRMED""",
    f"""DTSTART:20250306T100000
DTEND:20250306T104500
UID:o2@google.com
{PEOPLE}
STATUS:CONFIRMED""",
)


@pytest.fixture
def google(tmp_path: Path) -> dict[str, Observation]:
    batch = first_import(tmp_path, google_file(*GOOGLE_SERIES))
    assert batch.provider == "google" and batch.full and batch.calendar_email == ANA
    return by_id(batch)


def test_google_series_expands_in_its_zone_across_the_dst_change_with_the_apis_ids(
    google: dict[str, Observation],
) -> None:
    assert sorted(google) == [
        "o1",
        "o2",
        "s1_20250317T090000Z",  # 10:00 CET
        "s1_20250331T080000Z",  # 10:00 CEST: the rule keeps the local hour
        "s1_20250407T080000Z",
        "s1_20250414T080000Z",
        "s1_20250416T080000Z",  # the RDATE; 03-24 is an EXDATE
    ]
    first = google["s1_20250317T090000Z"]
    assert first.start == first.original_start == utc(2025, 3, 17, 9)
    assert first.end == utc(2025, 3, 17, 9, 30)
    assert (first.series_key, first.recurring, first.state) == ("s1", True, "live")
    assert first.participants == (ANA, BEN) and first.organizer_email == ANA
    assert first.created_at == utc(2025, 3, 1, 9)
    assert first.updated_at == utc(2025, 3, 2, 9)
    assert google["s1_20250416T080000Z"].start == utc(2025, 4, 16, 8)


def test_google_exceptions_move_cancel_and_decline_their_instance(
    google: dict[str, Observation],
) -> None:
    moved = google["s1_20250331T080000Z"]
    assert moved.original_start == utc(2025, 3, 31, 8)
    assert moved.start == utc(2025, 4, 1, 13) and moved.state == "live"
    cancelled = google["s1_20250407T080000Z"]
    assert cancelled.state == "cancelled" and cancelled.participants == (ANA, BEN)
    assert cancelled.updated_at == utc(2025, 4, 6, 20)
    declined = google["s1_20250414T080000Z"]
    assert declined.declined_by == (BEN,) and declined.state == "live"
    assert declined.updated_at == utc(2025, 4, 10, 12)


def test_google_meet_link_is_the_meeting_key_and_its_block_is_no_agenda(
    google: dict[str, Observation],
) -> None:
    series = google["s1_20250317T090000Z"]
    assert series.meeting_key == meeting_key("google", "abc-defg-hij")
    assert series.has_agenda is False
    one_off = google["o1"]
    assert one_off.has_agenda is True and one_off.meeting_key is None
    assert (one_off.recurring, one_off.original_start, one_off.series_key) == (False, None, None)


def test_floating_times_are_read_in_the_x_wr_timezone(google: dict[str, Observation]) -> None:
    floating = google["o2"]
    assert floating.start == utc(2025, 3, 6, 9)  # 10:00 in Europe/Berlin
    assert floating.end == utc(2025, 3, 6, 9, 45)


OUTLOOK_UID = "040000008200E00074C5B7101A82E00800000000A1B2C3D4E5F60718293A4B5C6D7E8F90"
TEAMS = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?"
    "context=%7b%22Tid%22%3a%22t%22%7d"
)
OUTLOOK_PEOPLE = f"""ORGANIZER;CN=Ben:mailto:{BEN}
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE;CN=Ana:mailto:{ANA}
ATTENDEE;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;RSVP=TRUE;CN=Room:mailto:room@example.com"""
CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0630
TZOFFSETTO:+0530
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0530
TZOFFSETTO:+0630
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""
OUTLOOK_EVENTS = (
    f"""{OUTLOOK_PEOPLE}
DESCRIPTION;LANGUAGE=en-US:Talk\\n\\n{"_" * 40}\\nMicrosoft Teams meeting\\nClick here to
  join<{TEAMS}>\\nLearn More<https://aka.ms/JoinTeamsMeeting>\\n{"_" * 40}
RRULE:FREQ=WEEKLY;UNTIL=20251103T100000Z;INTERVAL=1;BYDAY=MO;WKST=MO
UID:{OUTLOOK_UID}
SUMMARY;LANGUAGE=en-US:Ben / Ana
DTSTART;TZID=W. Europe Standard Time:20251013T110000
DTEND;TZID=W. Europe Standard Time:20251013T114500
CLASS:PUBLIC
STATUS:CONFIRMED
CREATED:20251001T080000Z
LAST-MODIFIED:20251001T080000Z
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
X-MICROSOFT-CDO-ALLDAYEVENT:FALSE
X-MICROSOFT-CDO-INSTTYPE:1
X-MICROSOFT-SKYPETEAMSMEETINGURL:{TEAMS}""",
    f"""{OUTLOOK_PEOPLE}
UID:{OUTLOOK_UID}
RECURRENCE-ID;TZID=W. Europe Standard Time:20251020T110000
DTSTART;TZID=W. Europe Standard Time:20251020T110000
DTEND;TZID=W. Europe Standard Time:20251020T114500
STATUS:CANCELLED
LAST-MODIFIED:20251019T180000Z
X-MICROSOFT-CDO-BUSYSTATUS:FREE
X-MICROSOFT-CDO-INSTTYPE:3""",
    f"""{OUTLOOK_PEOPLE.replace("PARTSTAT=ACCEPTED", "PARTSTAT=DECLINED")}
UID:{OUTLOOK_UID}
RECURRENCE-ID;TZID=W. Europe Standard Time:20251027T110000
DTSTART;TZID=W. Europe Standard Time:20251027T110000
DTEND;TZID=W. Europe Standard Time:20251027T114500
STATUS:CONFIRMED
LAST-MODIFIED:20251025T080000Z
X-MICROSOFT-CDO-REPLYTIME:20251025T080000Z
X-MICROSOFT-CDO-INSTTYPE:3""",
    f"""{OUTLOOK_PEOPLE}
UID:one-off-in-a-custom-zone
DTSTART;TZID=Customized Time Zone:20251103T100000
DTEND;TZID=Customized Time Zone:20251103T110000
ATTACH;X-FILENAME=Agenda.docx:https://contoso.sharepoint.com/agenda.docx
X-MICROSOFT-CDO-INSTTYPE:0""",
)


@pytest.fixture
def outlook(tmp_path: Path) -> dict[str, Observation]:
    text = outlook_file(*OUTLOOK_EVENTS, header=CUSTOM_ZONE)
    batch = first_import(tmp_path, text)
    assert batch.provider == "microsoft"
    return by_id(batch)


def test_outlook_series_in_a_windows_zone_keeps_its_hour_across_the_dst_change(
    outlook: dict[str, Observation],
) -> None:
    stem = OUTLOOK_UID
    assert sorted(outlook) == sorted(
        [
            f"{stem}_20251013T090000Z",  # 11:00 CEST
            f"{stem}_20251020T090000Z",
            f"{stem}_20251027T100000Z",  # 11:00 CET, after 26 October
            f"{stem}_20251103T100000Z",
            "one-off-in-a-custom-zone",
        ]
    )
    first = outlook[f"{stem}_20251013T090000Z"]
    assert first.series_key == stem and first.organizer_email == BEN
    assert first.end == utc(2025, 10, 13, 9, 45)
    assert first.meeting_key == meeting_key("microsoft", TEAMS)
    assert first.has_agenda is False  # the Teams block is no agenda


def test_outlook_cancelled_and_declined_occurrences(outlook: dict[str, Observation]) -> None:
    cancelled = outlook[f"{OUTLOOK_UID}_20251020T090000Z"]
    assert cancelled.state == "cancelled" and cancelled.updated_at == utc(2025, 10, 19, 18)
    declined = outlook[f"{OUTLOOK_UID}_20251027T100000Z"]
    assert declined.declined_by == (ANA,)
    assert declined.response_at == utc(2025, 10, 25, 8)  # the owner's own reply
    assert cancelled.response_at is None


def test_a_custom_outlook_zone_is_read_from_its_vtimezone(outlook: dict[str, Observation]) -> None:
    custom = outlook["one-off-in-a-custom-zone"]
    assert custom.start == utc(2025, 11, 3, 4, 30)  # +05:30 after the last Sunday of October
    assert custom.has_agenda is True and custom.recurring is False


def _one_off(
    uid: str,
    people: str,
    extra: str = "",
    start: str = "20250305T150000Z",
    end: str = "20250305T153000Z",
) -> str:
    return f"DTSTART:{start}\nDTEND:{end}\nUID:{uid}\n{people}\n{extra}".strip()


FILTERED = (
    _one_off(
        "rooms",
        f"ORGANIZER:mailto:{ANA}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{BEN}\n"
        "ATTENDEE;CUTYPE=ROOM:mailto:room@example.com\n"
        "ATTENDEE;CUTYPE=RESOURCE:mailto:projector@example.com\n"
        f"ATTENDEE;ROLE=NON-PARTICIPANT:mailto:{CAT}",
    ),
    _one_off(
        "group",
        f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}\nATTENDEE;CUTYPE=GROUP:mailto:team@example.com",
    ),
    _one_off("three", f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}\nATTENDEE:mailto:{CAT}"),
    _one_off("outsider", f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:vendor@elsewhere.com"),
    _one_off("alone", f"ORGANIZER:mailto:{ANA}"),
    f"DTSTART;VALUE=DATE:20250305\nDTEND;VALUE=DATE:20250306\nUID:all-day\n"
    f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}",
    _one_off(
        "all-day-flag",
        f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}",
        "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
    ),
    _one_off(
        "out-of-office",
        f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}",
        "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
    ),
    _one_off(
        "before-window",
        f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}",
        start="20241231T230000Z",
        end="20241231T233000Z",
    ),
)


def test_only_timed_meetings_of_two_roster_people_are_kept(tmp_path: Path) -> None:
    batch = first_import(tmp_path, outlook_file(*FILTERED))
    assert list(by_id(batch)) == ["rooms"]
    assert batch.observations[0].participants == (ANA, BEN)
    assert batch.events_read == len(FILTERED) - 1  # what lies in the window was read


def test_an_instance_overlapping_the_window_start_is_kept(tmp_path: Path) -> None:
    people = f"ORGANIZER:mailto:{ANA}\nATTENDEE:mailto:{BEN}"
    early = _one_off("early", people, start="20241231T234500Z", end="20250101T001500Z")
    path = write(tmp_path, outlook_file(early))
    assert [o.event_id for o in source(path).sync_calendar(ANA, None).observations] == ["early"]


def test_a_cancelled_series_cancels_every_instance_and_bare_exceptions_are_stubs(
    tmp_path: Path,
) -> None:
    cancelled_series = (
        "DTSTART;TZID=Europe/Berlin:20250303T090000\nDTEND;TZID=Europe/Berlin:20250303T093000\n"
        f"RRULE:FREQ=WEEKLY;COUNT=3\nUID:gone@google.com\n{PEOPLE}\nSTATUS:CANCELLED"
    )
    live_series = cancelled_series.replace("gone@", "kept@").replace("CANCELLED", "CONFIRMED")
    bare = (
        "DTSTART;TZID=Europe/Berlin:20250310T090000\nDTEND;TZID=Europe/Berlin:20250310T093000\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20250310T090000\nUID:kept@google.com\nSTATUS:CANCELLED\n"
        "LAST-MODIFIED:20250309T100000Z"
    )
    found = by_id(first_import(tmp_path, google_file(cancelled_series, live_series, bare)))
    gone = {k: o.state for k, o in found.items() if k.startswith("gone")}
    assert gone == dict.fromkeys(
        ("gone_20250303T080000Z", "gone_20250310T080000Z", "gone_20250317T080000Z"), "cancelled"
    )
    stub = found["kept_20250310T080000Z"]
    assert (stub.state, stub.participants, stub.start) == ("cancelled", (), None)
    assert stub.original_start == utc(2025, 3, 10, 8) and stub.series_key == "kept"
    assert stub.updated_at == utc(2025, 3, 9, 10)


def test_provider_comes_from_prodid_unless_given(tmp_path: Path) -> None:
    text = google_file(GOOGLE_SERIES[-1]).replace("Google Inc//Google Calendar", "Acme//Cal")
    path = write(tmp_path, text)
    with pytest.raises(BadInputError, match=r"calendar\.ics: line 2: cannot tell where"):
        source(path)
    assert source(path, provider="microsoft").sync_calendar(ANA, None).provider == "microsoft"


def test_a_google_export_of_someone_elses_calendar_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, google_file(*GOOGLE_SERIES))
    with pytest.raises(BadInputError, match=rf"line 6: this is the calendar of {ANA}"):
        source(path, owner=BEN)
    with pytest.raises(BadInputError, match=f"holds the calendar of {ANA}, not of {BEN}"):
        source(path).sync_calendar(BEN, None)


def test_a_window_that_ends_before_the_series_sees_none_of_it(tmp_path: Path) -> None:
    path = write(tmp_path, google_file(*GOOGLE_SERIES))
    early = SyncWindow(utc(2025, 1, 1), utc(2025, 3, 6))
    assert [
        o.event_id for o in source(path, window=early).sync_calendar(ANA, None).observations
    ] == ["o1"]


def test_outlooks_canceled_subject_cancels_only_in_an_outlook_file(tmp_path: Path) -> None:
    people = f"ORGANIZER:mailto:{BEN}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANA}"
    event = _one_off("published", people, "SUMMARY:Canceled: Ben / Ana\nSTATUS:CONFIRMED")
    outlook = first_import(tmp_path, outlook_file(event))
    google = first_import(tmp_path, google_file(event.replace("published", "p@google.com")))
    assert [o.state for o in outlook.observations] == ["cancelled"]
    assert [o.state for o in google.observations] == ["live"]  # a title, nothing more


def test_an_exception_without_its_series_is_one_instance_of_it(tmp_path: Path) -> None:
    """Invited to one occurrence of someone's series: the file holds that exception only."""
    orphan = (
        "DTSTART;TZID=Europe/Berlin:20250318T100000\nDTEND;TZID=Europe/Berlin:20250318T103000\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20250317T100000\nUID:orphan@google.com\n"
        f"ORGANIZER:mailto:{BEN}\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANA}"
    )
    (found,) = first_import(tmp_path, google_file(orphan)).observations
    assert (found.event_id, found.series_key, found.recurring) == (
        "orphan_20250317T090000Z",
        "orphan",
        True,
    )
    assert (found.start, found.original_start) == (utc(2025, 3, 18, 9), utc(2025, 3, 17, 9))


def test_the_source_travels_to_another_process_as_its_recipe(tmp_path: Path) -> None:
    made = source(write(tmp_path, google_file(*GOOGLE_SERIES)))
    travelled = pickle.loads(pickle.dumps(made))
    assert travelled is not made
    assert travelled.sync_calendar(ANA, None) == made.sync_calendar(ANA, None)


def _zoned_file(path: Path, offset: str) -> Path:
    """A one-event calendar whose custom zone "Office Time" is `offset` from UTC."""
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:Microsoft Exchange Server 2010\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
        f"TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:one\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Office Time:20260105T090000\r\nDTEND;TZID=Office Time:20260105T093000\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return path


def test_a_zone_of_the_same_name_read_earlier_does_not_stand_in_for_the_files_own(
    tmp_path: Path,
) -> None:
    """icalendar caches custom zones by name for the whole process: each file's own."""
    first = read_ics(_zoned_file(tmp_path / "a.ics", "+0100"))
    second = read_ics(_zoned_file(tmp_path / "b.ics", "-0500"))
    starts = [
        next(c for c in parsed.calendar.walk("VEVENT"))["DTSTART"].dt.astimezone(UTC).hour
        for parsed in (first, second)
    ]
    assert starts == [8, 14]
