"""A sandbox person's calendar as an .ics file, the way Google Calendar or Outlook
exports it, and the sandbox route that serves it.

`style="google"`: PRODID of Google Calendar, X-WR-CALNAME the owner's email,
X-WR-TIMEZONE their zone, a VTIMEZONE per zone used, UIDs `<event id>@google.com`,
one-offs in UTC, series in their organizer's zone. `style="outlook"`: PRODID of
Exchange 2010, Windows zone names in TZID and VTIMEZONE, UIDs as Outlook's hex
iCalUId, X-MICROSOFT-CDO-* properties. Each copy is what the provider's API shows
that calendar (see ics_styles). A series becomes DTSTART + RRULE with EXDATE and
RDATE (ics_rules), the properties most of its copies share, and an exception
(RECURRENCE-ID) for every copy that differs: moved, cancelled, declined, edited.

Route: `GET /export/<email>.ics?style=google|outlook` (the person's own provider's
style by default). Like a downloaded export, it needs no token.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import cast
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import icalendar

from connectors.sandbox.google_render import is_on_calendar, variant
from connectors.sandbox.graph_render import visible_to
from connectors.sandbox.ics_rules import recurrence
from connectors.sandbox.ics_styles import (
    GOOGLE_PRODID,
    OUTLOOK_PRODID,
    Style,
    google_copy,
    outlook_copy,
)
from connectors.sandbox.model import Instance, SandboxOrg
from connectors.sandbox.server import Reply, Request, Route
from connectors.sandbox.zones import windows_name

EXPORT_PATH = r"/export/([^/]+)\.ics"
STYLES: tuple[Style, ...] = ("google", "outlook")
Copy = Callable[[Instance, str, Mapping[str, str]], icalendar.Event]
Signature = tuple[bytes, timedelta, timedelta]


def ics_routes(org: SandboxOrg) -> list[Route]:
    """The export route over `org`."""
    return [("GET", EXPORT_PATH, lambda request: export_reply(org, request))]


def export_reply(org: SandboxOrg, request: Request) -> Reply:
    """`GET /export/<email>.ics?style=…`: the file, 404 for no such person, 400 for an
    unknown style."""
    assert request.match is not None
    email = unquote(request.match.group(1)).strip().lower()
    member = next((p for p in org.people if p.email.lower() == email), None)
    if member is None:
        return Reply(404, f"no sandbox person {email}\n".encode(), _TEXT)
    style = request.arg("style") or ("google" if member.provider == "google" else "outlook")
    if style not in STYLES:
        return Reply(400, f"style must be google or outlook, not {style!r}\n".encode(), _TEXT)
    body = export_calendar(org, email, cast(Style, style))
    headers = {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{email}.ics"',
    }
    return Reply(200, body, headers)


_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def export_calendar(
    org: SandboxOrg, email: str, style: Style, stamp: datetime | None = None
) -> bytes:
    """`email`'s calendar as an .ics file in `style`; `stamp` is the DTSTAMP (now)."""
    owner = email.strip().lower()
    member = next(p for p in org.people if p.email.lower() == owner)
    names = {p.email.lower(): p.name for p in org.people}
    held = _held(org, owner, style)
    shown = {id(i) for i in held if _shown(i, owner, style)}
    copy: Copy = google_copy if style == "google" else outlook_copy
    writer = _Writer(style, owner, names, copy)
    by_series: dict[str, list[Instance]] = {}
    for instance in held:
        if instance.series_id is None:
            if id(instance) in shown:
                writer.one_off(instance)
        else:
            by_series.setdefault(instance.series_id, []).append(instance)
    for series in by_series.values():
        writer.series(series, [i for i in series if id(i) in shown])
    return _calendar(style, member.email, member.timezone, writer, stamp or datetime.now(UTC))


def _held(org: SandboxOrg, owner: str, style: Style) -> list[Instance]:
    """Instances the calendar may hold a copy of (shown or not: a series' rule needs
    the slots of copies the calendar no longer shows)."""
    instances = org.calendar(owner)
    if style == "google":
        return [i for i in instances if is_on_calendar(i, owner)]
    return [i for i in instances if not i.deleted and i.kind != "workingLocation"]


def _shown(instance: Instance, owner: str, style: Style) -> bool:
    if style == "outlook":
        return visible_to(instance, owner)
    # Google keeps a deleted one-off only on its organizer's calendar with its data.
    return not (instance.series_id is None and variant(instance, owner) == "stub")


class _Writer:
    """Collects the VEVENTs of one calendar and the zones they name."""

    def __init__(self, style: Style, owner: str, names: Mapping[str, str], copy: Copy) -> None:
        self.style = style
        self.owner = owner
        self.names = names
        self.copy = copy
        self.events: list[icalendar.Event] = []
        self.zones: set[str] = set()
        self.days: list[date] = []

    def one_off(self, instance: Instance) -> None:
        event = self.copy(instance, self.owner, self.names)
        self._times(event, instance, in_utc=self.style == "google")
        self._insttype(event, "0")
        self.events.append(event)

    def series(self, instances: list[Instance], shown: list[Instance]) -> None:
        if not shown:
            return
        zone = instances[0].timezone
        bodies = {id(i): self.copy(i, self.owner, self.names) for i in shown}
        signatures = {id(i): _signature(bodies[id(i)], i) for i in shown}
        template = _template(shown, signatures)
        rule = recurrence(
            (_wall(i.original_start, zone) for i in instances),
            (_wall(i.original_start, zone) for i in shown),
        )
        master = self.copy(template, self.owner, self.names)
        self._place(master, "DTSTART", rule.first, zone)
        self._place(master, "DTEND", rule.first + (template.end - template.start), zone)
        master.add("RRULE", rule.rrule(zone))
        for name, moments in (("EXDATE", rule.exdates), ("RDATE", rule.rdates)):
            if moments:
                master.add(name, list(moments), {"TZID": self._tzid(zone)})
        self._insttype(master, "1")
        self.events.append(master)
        for instance in shown:
            if signatures[id(instance)] != signatures[id(template)]:
                self._exception(bodies[id(instance)], instance, zone)

    def _exception(self, event: icalendar.Event, instance: Instance, zone: str) -> None:
        self._place(event, "RECURRENCE-ID", _wall(instance.original_start, zone), zone)
        self._times(event, instance, in_utc=False)
        self._insttype(event, "3")
        self.events.append(event)

    def _times(self, event: icalendar.Event, instance: Instance, in_utc: bool) -> None:
        zone = instance.timezone
        if instance.all_day:
            start = instance.start.astimezone(ZoneInfo(zone)).date()
            end = max(instance.end.astimezone(ZoneInfo(zone)).date(), start + timedelta(days=1))
            event.add("DTSTART", start)
            event.add("DTEND", end)
            self.days += [start, end]
        elif in_utc:
            event.add("DTSTART", instance.start.astimezone(UTC))
            event.add("DTEND", instance.end.astimezone(UTC))
            self.days += [instance.start.date(), instance.end.date()]
        else:
            self._place(event, "DTSTART", _wall(instance.start, zone), zone)
            self._place(event, "DTEND", _wall(instance.end, zone), zone)

    def _place(self, event: icalendar.Event, name: str, wall: datetime, zone: str) -> None:
        event.add(name, wall, {"TZID": self._tzid(zone)})
        self.zones.add(zone)
        self.days.append(wall.date())

    def _tzid(self, zone: str) -> str:
        return zone if self.style == "google" else windows_name(zone)

    def _insttype(self, event: icalendar.Event, kind: str) -> None:
        if self.style == "outlook":  # single, master, exception
            event.add("X-MICROSOFT-CDO-INSTTYPE", kind)


def _wall(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _signature(body: icalendar.Event, instance: Instance) -> Signature:
    """What a copy shares with the series' rule or not: its properties, its shift from
    its slot, its length."""
    return body.to_ical(), instance.start - instance.original_start, instance.end - instance.start


def _template(shown: list[Instance], signatures: Mapping[int, Signature]) -> Instance:
    """The copy most of the series' copies look like (one in its slot when any is)."""
    in_slot = [i for i in shown if signatures[id(i)][1] == timedelta(0)] or shown
    counts = Counter(signatures[id(i)] for i in in_slot)
    best = max(counts.values())
    return next(i for i in in_slot if counts[signatures[id(i)]] == best)


def _calendar(style: Style, email: str, timezone: str, writer: _Writer, stamp: datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("PRODID", GOOGLE_PRODID if style == "google" else OUTLOOK_PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("X-WR-CALNAME", email if style == "google" else "Calendar")
    if style == "google":
        calendar.add("X-WR-TIMEZONE", timezone)
        writer.zones.add(timezone)
    first = min(writer.days, default=stamp.date()) - timedelta(days=366)
    last = max(writer.days, default=stamp.date()) + timedelta(days=366)
    for zone in sorted(writer.zones):
        tzid = zone if style == "google" else windows_name(zone)
        block = icalendar.Timezone.from_tzinfo(ZoneInfo(zone), tzid, first, last)
        calendar.add_component(block)
    dtstamp = stamp.astimezone(UTC).replace(microsecond=0)
    for event in writer.events:
        event.add("DTSTAMP", dtstamp)
        calendar.add_component(event)
    return calendar.to_ical()
