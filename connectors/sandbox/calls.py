"""Who joined which online 1:1, and the ad-hoc calls: one plan both providers serve.

The plan is a pure function of the instances and the people, so the Google Meet
activities and the Graph callRecords the sandbox serves agree with its calendars, and
the truth the tests compare with comes from the same place:

- an instance is online (a Meet / Teams link on the event) unless its series — or the
  one-off itself — falls in the in-person share;
- a held online instance (not cancelled, not deleted, ended before the anchor) has a
  call: usually everyone who did not decline joins ("attended"); in the no-show share
  only the organizer joins; in the no-record share nobody joined and there is no
  record at all;
- some reporting lines also have unscheduled calls: the manager calls the report,
  every other week, with no calendar event.

Everything is decided by a digest of stable ids, never by a random generator's state:
the same org always gives the same calls, whichever calendars were read first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from connectors.sandbox.builder import utc_midnight
from connectors.sandbox.model import Instance, Member

IN_PERSON_SHARE = 0.2  # of series (and one-offs) met in a room, not online
NO_SHOW_SHARE = 0.06  # of held online instances: the organizer waited alone
NO_RECORD_SHARE = 0.03  # of held online instances: nobody joined, no record
ADHOC_SHARE = 0.25  # of reporting lines with an unscheduled call every other week
ADHOC_MINUTES = 15

Outcome = Literal["attended", "no_show", "no_record"]


@dataclass(frozen=True)
class PlannedPresence:
    """One person's time in one planned call."""

    email: str
    joined_at: datetime
    left_at: datetime


@dataclass(frozen=True)
class PlannedCall:
    """One call as both providers' records describe it.

    `instance_uid` is None for an unscheduled call. `code` is the meeting's identity on
    the provider's side (the same for every instance of a series, as Meet codes and
    Teams join URLs are): render it with `meet_code` / `join_url`.
    """

    call_id: str
    instance_uid: str | None
    code: str | None
    provider: Literal["google", "microsoft"]
    presences: tuple[PlannedPresence, ...]

    @property
    def start(self) -> datetime:
        return min(p.joined_at for p in self.presences)

    @property
    def end(self) -> datetime:
        return max(p.left_at for p in self.presences)


def _fraction(*parts: str) -> float:
    """A stable number in [0, 1) from `parts`."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def meeting_code_of(instance: Instance) -> str | None:
    """The instance's online meeting identity (its series' for a series), or None when
    it is met in person. A series split "this and following" (`<id>_R<start>`) keeps
    the link of the series it was split from, as both calendars do."""
    key = instance.series_id.partition("_R")[0] if instance.series_id else instance.uid
    if _fraction("in-person", key) < IN_PERSON_SHARE:
        return None
    return hashlib.sha256(f"meeting|{key}".encode()).hexdigest()[:20]


def meet_code(code: str) -> str:
    """`code` as a Google Meet code: "abc-defg-hij"."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in code[:10])
    return f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"


def join_url(code: str) -> str:
    """`code` as a Teams join URL (percent-encoded, as Graph serves it)."""
    return (
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
        f"{code}%40thread.v2/0?context=%7b%22Tid%22%3a%22sandbox%22%7d"
    )


def outcome_of(instance: Instance) -> Outcome:
    """What happened in a held online instance."""
    roll = _fraction("outcome", instance.uid)
    if roll < NO_RECORD_SHARE:
        return "no_record"
    if roll < NO_RECORD_SHARE + NO_SHOW_SHARE:
        return "no_show"
    return "attended"


def _joiners(instance: Instance) -> list[str]:
    """The organizer and every person attendee who did not decline."""
    people = [
        a.email
        for a in instance.attendees
        if not a.resource and not a.group and a.response != "declined"
    ]
    return [instance.organizer, *people]


def _presence(email: str, start: datetime, end: datetime, salt: str) -> PlannedPresence:
    """Joined up to 4 minutes late, left up to 4 minutes early."""
    late = timedelta(seconds=int(240 * _fraction("late", salt, email)))
    early = timedelta(seconds=int(240 * _fraction("early", salt, email)))
    return PlannedPresence(email, start + late, end - early)


def instance_call(
    instance: Instance, provider: Literal["google", "microsoft"], anchor: date
) -> PlannedCall | None:
    """The call of one instance, or None: in person, not held, not over by the anchor's
    midnight (UTC), or nobody joined."""
    code = meeting_code_of(instance)
    held = not (instance.cancelled or instance.deleted or instance.all_day)
    if code is None or not held or instance.end > utc_midnight(anchor):
        return None
    outcome = outcome_of(instance)
    if outcome == "no_record":
        return None
    joiners = _joiners(instance)
    if outcome == "no_show" or len(joiners) < 2:
        joiners = joiners[:1]
    presences = tuple(_presence(e, instance.start, instance.end, instance.uid) for e in joiners)
    call_id = hashlib.sha256(f"call|{instance.uid}".encode()).hexdigest()[:24]
    return PlannedCall(call_id, instance.uid, code, provider, presences)


def adhoc_calls(people: Iterable[Member], start: date, anchor: date) -> Iterator[PlannedCall]:
    """Unscheduled manager → report calls from `start` to the day before `anchor`: on
    `ADHOC_SHARE` of the lines whose two people share a provider, one every 14 days at a
    fixed weekday and hour (UTC), `ADHOC_MINUTES` long, both present."""
    by_email = {m.email: m for m in people}
    for report in by_email.values():
        manager = by_email.get(report.manager_email or "")
        if manager is None or manager.provider != report.provider or not report.active:
            continue
        line = f"{manager.email}>{report.email}"
        if _fraction("adhoc", line) >= ADHOC_SHARE:
            continue
        first = start + timedelta(days=int(14 * _fraction("adhoc-day", line)))
        hour = 9 + int(8 * _fraction("adhoc-hour", line))
        day = first
        while day < anchor:
            if day.weekday() < 5:
                begin = utc_midnight(day) + timedelta(hours=hour)
                end = begin + timedelta(minutes=ADHOC_MINUTES)
                call_id = hashlib.sha256(f"adhoc|{line}|{day}".encode()).hexdigest()[:24]
                presences = (
                    PlannedPresence(manager.email, begin, end),
                    PlannedPresence(report.email, begin + timedelta(seconds=30), end),
                )
                yield PlannedCall(call_id, None, None, manager.provider, presences)
            day += timedelta(days=14)
