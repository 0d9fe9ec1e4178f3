"""Changes to a generated organisation between two syncs (for incremental-sync tests).

Every mutation stamps the touched instances' `updated_at` and bumps `org.version`, so
the API modules can tell what changed since a sync token or delta link was handed out.
Lookups raise `KeyError` for an unknown uid, series or person. On a generated org
they keep what they hand out (`calendars.LazyCalendars` pins it): a mutated calendar
stays as mutated, whatever is generated or evicted afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectors.sandbox.builder import instance_uid
from connectors.sandbox.model import Attendee, Instance, Member, SandboxOrg


def find_instance(org: SandboxOrg, uid: str) -> Instance:
    """The instance with `uid`."""
    for instance in org.calendars.related(uid):
        if instance.uid == uid:
            return instance
    raise KeyError(uid)


def find_member(org: SandboxOrg, email: str) -> Member:
    """The member with `email`."""
    for member in org.people:
        if member.email == email:
            return member
    raise KeyError(email)


def one_on_ones(org: SandboxOrg, a: str, b: str) -> list[Instance]:
    """Every instance (deleted and cancelled included) whose two people are `a` and `b`,
    rooms aside, in order of original slot."""
    found = [
        i
        for i in org.calendars.pair(a, b)
        if not i.all_day
        and not any(x.group for x in i.attendees)
        and len(i.attendees) - sum(x.resource for x in i.attendees) == 1
    ]
    return sorted(found, key=lambda i: (i.original_start, i.uid))


def cancel_instance(org: SandboxOrg, uid: str, at: datetime) -> Instance:
    """The organizer cancels one instance at `at`."""
    instance = find_instance(org, uid)
    instance.cancelled = True
    instance.cancelled_at = at
    return _touched(org, instance, at)


def decline_instance(org: SandboxOrg, uid: str, attendee: str, at: datetime) -> Instance:
    """`attendee` declines one instance at `at`."""
    instance = find_instance(org, uid)
    guest = _attendee(instance, attendee)
    guest.response = "declined"
    guest.responded_at = at
    return _touched(org, instance, at)


def move_instance(
    org: SandboxOrg, uid: str, new_start: datetime, at: datetime | None = None
) -> Instance:
    """Move one instance to `new_start`, keeping its duration and its original slot."""
    instance = find_instance(org, uid)
    duration = instance.end - instance.start
    instance.start, instance.end = new_start, new_start + duration
    return _touched(org, instance, at)


def delete_one_off(org: SandboxOrg, uid: str, at: datetime | None = None) -> Instance:
    """Delete a one-off outright (Google: a deleted event; Microsoft: gone everywhere)."""
    instance = find_instance(org, uid)
    if instance.series_id is not None:
        raise ValueError(f"{uid} belongs to a series; cancel its instances instead")
    instance.deleted, instance.cancelled_at = True, at or datetime.now(UTC)
    return _touched(org, instance, at)


def split_series(
    org: SandboxOrg,
    series_id: str,
    from_start: datetime,
    shift: timedelta = timedelta(0),
    at: datetime | None = None,
) -> str:
    """A "this and following" edit: instances from `from_start` (original slot) on move to
    a new series `<old>_R<yyyymmddThhmmss>` (Google's naming), shifted by `shift`.
    Returns the new series id."""
    new_id = f"{series_id}_R{from_start.astimezone(UTC):%Y%m%dT%H%M%S}"
    following = [
        i
        for i in org.calendars.related(series_id)
        if i.series_id == series_id and i.original_start >= from_start
    ]
    if not following:
        raise KeyError(f"{series_id} has no instance from {from_start.isoformat()}")
    for instance in following:
        instance.series_id = new_id
        instance.start += shift
        instance.end += shift
        instance.original_start += shift
        instance.uid = instance_uid(new_id, instance.original_start)
        _touched(org, instance, at, bump=False)
    org.version += 1
    return new_id


def change_manager(org: SandboxOrg, report: str, new_manager: str, on: date) -> Member:
    """`report` reports to `new_manager` from `on`: the roster changes, and recurring 1:1s
    with the old manager from `on` on are dropped (their series end there)."""
    member, boss = find_member(org, report), find_member(org, new_manager)
    old = member.manager_email
    member.manager_email, member.reports_since = boss.email, on
    if old is not None:
        ended = [
            i
            for i in one_on_ones(org, report, old)
            if i.series_id is not None and i.original_start.date() >= on
        ]
        org.calendars.discard(ended)
    org.version += 1
    return member


def _attendee(instance: Instance, email: str) -> Attendee:
    for guest in instance.attendees:
        if guest.email == email:
            return guest
    raise KeyError(f"{email} is not invited to {instance.uid}")


def _touched(
    org: SandboxOrg, instance: Instance, at: datetime | None, bump: bool = True
) -> Instance:
    # Never earlier than the last change: providers' modified times only move forward.
    stamp = at or datetime.now(UTC)
    instance.updated_at = max(stamp, instance.updated_at + timedelta(microseconds=1))
    if bump:
        org.version += 1
    return instance
