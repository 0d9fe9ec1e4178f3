"""A calendar exported as an .ics file, read as the calendar source of its owner.

A manager without an admin can export their own calendar (Google Calendar: Settings →
Import & export → Export, a zip holding one .ics per calendar; Outlook: save or publish
the calendar as .ics) and import it. The file is read once, when the source is made
(so a bad file stops the command before anything is written), and its instances in
the sync window become the owner's observations, by the API connectors' rules.

Re-importing a newer export of the same calendar updates it. The first import
(`cursor` None) is a full batch; each later one is incremental: every instance of the
new file in the window (cancelled ones carry STATUS CANCELLED, so the warehouse sees
the cancellation at the import's time), and as `removed_ids` the copies the previous
import held (its cursor, see `connectors.ics.cursor`) that the new file no longer has
in the window: deleted, or turned into an EXDATE. A copy that left the window because
the window moved on is neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from connectors.ics.cursor import Held, decode, encode, held_of
from connectors.ics.lines import where
from connectors.ics.normalise import Context, normalise
from connectors.ics.parse import IcsFile, expand, read_ics
from connectors.limits import Waits
from connectors.model import CalendarBatch, Observation, Provider
from connectors.portable import Portable
from connectors.settings import SyncWindow
from core.errors import BadInputError

# recurring-ical-events compares floating times loosely: read a little more, then keep
# exactly what overlaps the window (the APIs' rule: start < window end, end > start).
_PAD = timedelta(days=2)


class IcsCalendarSource(Portable):
    """`CalendarSource` over one exported calendar file: the calendar of `owner`.

    `provider` is where the calendar lives ("google" or "microsoft"); by default the
    file's PRODID says (Google Calendar's, or Microsoft Outlook's / Exchange's).
    `timezone` is the IANA zone of floating times when the file names none (no
    X-WR-TIMEZONE): Google's and Outlook's exports always name one.

    Raises BadInputError, naming the file and the line, for a missing, unreadable or
    malformed file, one whose PRODID names neither provider when none is given, and a
    Google export of another person's primary calendar (its X-WR-CALNAME is their email).
    """

    def __init__(
        self,
        path: Path,
        owner: str,
        roster: frozenset[str],
        window: SyncWindow,
        provider: Provider | None = None,
        timezone: str = "UTC",
    ) -> None:
        # A worker process rebuilds the source from these: the path must not depend on
        # its working directory.
        self.remember(Path(path).absolute(), owner, roster, window, provider, timezone)
        self.waits = Waits()  # a file has no provider limits and no retries
        self.path = Path(path)
        self.owner = owner.strip().lower()
        self._window = window
        parsed = read_ics(self.path)
        self.provider: Provider = provider or provider_of(parsed)
        _check_owner(parsed, self.owner)
        self._ctx = Context(
            provider=self.provider,
            owner=self.owner,
            roster=frozenset(email.strip().lower() for email in roster),
            series=_series(parsed),
            floating=_floating_zone(parsed, timezone),
        )
        self._explicit = _explicit(parsed, self._ctx)
        self._found, self._read = _instances(parsed, self._ctx, window)

    def sync_calendar(self, email: str, cursor: str | None) -> CalendarBatch:
        """The owner's calendar as the file has it: in full when `cursor` is None, else
        as changes since the import that returned `cursor` (CursorExpiredError when it
        is not such a cursor: import in full)."""
        if email.strip().lower() != self.owner:
            raise BadInputError(f"{self.path} holds the calendar of {self.owner}, not of {email}")
        observations = list(self._found)
        removed: list[str] = []
        if cursor is not None:
            removed = self._changes(decode(cursor), observations)
        held = (held_of(o) for o in observations)
        return CalendarBatch(
            provider=self.provider,
            calendar_email=self.owner,
            observations=tuple(observations),
            cursor=encode(h for h in held if h is not None),
            full=cursor is None,
            removed_ids=tuple(removed),
            events_read=self._read,
        )

    def _changes(self, before: Iterable[Held], observations: list[Observation]) -> list[str]:
        """Ids the previous import held that are gone; `observations` gains the copies
        it held that moved out of the window but are still in the file."""
        listed = {o.event_id for o in observations}
        removed = []
        for held in before:
            if held.event_id in listed:
                continue
            again = self._explicit.get(held.event_id)
            if again is not None:
                observations.append(again)
            elif held.overlaps(self._window.start, self._window.end):
                removed.append(held.event_id)
        return removed


def calendar_owner(path: Path) -> str | None:
    """Whose calendar the file is, when it says: Google names the export of a primary
    calendar after its owner's address (Outlook's exports do not say)."""
    name = str(read_ics(path).calendar.get("X-WR-CALNAME") or "").strip().lower()
    return name if "@" in name and " " not in name else None


def provider_of(parsed: IcsFile) -> Provider:
    """Google or Microsoft, from the file's PRODID."""
    prodid = str(parsed.calendar.get("PRODID") or "")
    if "google" in prodid.lower():
        return "google"
    if "microsoft" in prodid.lower():
        return "microsoft"
    line = parsed.components[0].line_of("PRODID")
    raise BadInputError(
        f"{where(parsed.path, line)}: cannot tell where this calendar lives (PRODID "
        f"{prodid!r}): expected an export from Google Calendar or Outlook, or the "
        "calendar's provider given with it"
    )


def _check_owner(parsed: IcsFile, owner: str) -> None:
    """Google names a primary calendar's export after its owner's email: refuse another's."""
    name = str(parsed.calendar.get("X-WR-CALNAME") or "").strip().lower()
    if "@" in name and " " not in name and name != owner:
        line = parsed.components[0].line_of("X-WR-CALNAME")
        raise BadInputError(
            f"{where(parsed.path, line)}: this is the calendar of {name}: expected the "
            f"calendar of {owner}"
        )


def _floating_zone(parsed: IcsFile, default: str) -> tzinfo:
    """X-WR-TIMEZONE when the file names one (Google's floating times), else `default`."""
    named = str(parsed.calendar.get("X-WR-TIMEZONE") or "").strip()
    try:
        return ZoneInfo(named or default)
    except (ZoneInfoNotFoundError, ValueError):
        if not named:
            raise BadInputError(f"unknown time zone {default!r}: expected an IANA name") from None
        line = parsed.components[0].line_of("X-WR-TIMEZONE")
        raise BadInputError(
            f"{where(parsed.path, line)}: unknown X-WR-TIMEZONE {named!r}: expected an IANA "
            "zone name such as Europe/Berlin"
        ) from None


def _series(parsed: IcsFile) -> frozenset[str]:
    """UIDs that recur: a rule, extra dates, or an exception of some series."""
    return frozenset(
        str(event.get("UID"))
        for event, _ in parsed.events()
        if any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    )


def _explicit(parsed: IcsFile, ctx: Context) -> dict[str, Observation]:
    """Observations of the instances the file spells out (one-offs and exceptions of
    a series), wherever they are, by id: a re-import finds a copy the previous import
    held that moved out of the window."""
    found: dict[str, Observation] = {}
    for event, _ in parsed.events():
        if "RRULE" in event or "RDATE" in event:
            continue  # a series' own instances are the rule's
        observation = normalise(event, ctx)
        if observation is not None:
            found[observation.event_id] = observation
    return found


def _instances(parsed: IcsFile, ctx: Context, window: SyncWindow) -> tuple[list[Observation], int]:
    """The observations of the instances overlapping the window, and how many instances
    were read. Stubs are kept when their series has a kept instance (as a full listing
    of Google's API keeps them)."""
    found: dict[str, Observation] = {}
    stubs: list[Observation] = []
    read = 0
    for event in expand(parsed, window.start - _PAD, window.end + _PAD):
        if not _in_window(event, ctx.floating, window):
            continue
        read += 1
        observation = normalise(event, ctx)
        if observation is None:
            continue
        if observation.participants:
            found[observation.event_id] = observation
        else:
            stubs.append(observation)
    series = {o.series_key for o in found.values() if o.series_key}
    for stub in stubs:
        if stub.series_key in series and stub.event_id not in found:
            found[stub.event_id] = stub
    return sorted(found.values(), key=_order), read


def _in_window(event: icalendar.Component, floating: tzinfo, window: SyncWindow) -> bool:
    start, end = _bound(event.get("DTSTART"), floating), _bound(event.get("DTEND"), floating)
    end = max(end or start, start)
    return start < window.end and (end > window.start or start >= window.start)


def _bound(value: object, floating: tzinfo) -> datetime:
    """A DTSTART/DTEND as aware UTC; a DATE as its midnight in `floating`."""
    moment = getattr(value, "dt", None)
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=floating)
    return moment.astimezone(UTC)


def _order(observation: Observation) -> tuple[datetime, str]:
    moment = observation.start or observation.original_start
    return moment or datetime.min.replace(tzinfo=UTC), observation.event_id
