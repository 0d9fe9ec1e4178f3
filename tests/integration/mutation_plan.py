"""Pick quiet pairs of a generated org and mutate them between two syncs.

Each mutation goes to its own manager–report pair, away from the planted cases and
from pairs with one-offs (a one-off near a cancelled slot would turn it "replaced"),
so the warehouse change each one causes can be asserted alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from connectors.sandbox.model import Instance, Member, SandboxOrg
from connectors.sandbox.mutations import (
    cancel_instance,
    change_manager,
    decline_instance,
    delete_one_off,
    move_instance,
    one_on_ones,
    split_series,
)

Key = tuple[str, str, datetime]  # person_a, person_b (sorted), scheduled_start


@dataclass(frozen=True)
class Target:
    """One mutated instance: its occurrence key and what was done to it."""

    key: Key
    organizer: str
    attendee: str
    at: datetime  # when the mutation happened (the provider's timestamp)
    new_start: datetime | None = None
    rebooked: tuple[Key, ...] = ()  # lost instances a deleted one-off had replaced


@dataclass
class ManagerChange:
    report: str
    old_manager: str
    new_manager: str
    on: date
    dropped: list[Key] = field(default_factory=list)  # old series instances from `on`


def key_of(instance: Instance) -> Key:
    """The natural occurrence key of a sandbox instance."""
    a, b = sorted((instance.organizer, instance.attendees[0].email))
    return a, b, instance.original_start


def planted(org: SandboxOrg) -> set[str]:
    """People whose 1:1s carry a planted case (left alone by the mutations)."""
    truth = org.truth
    changed = set(truth.manager_change[:3]) if truth.manager_change else set()
    return truth.neglected | truth.chronic_cancelers | truth.never_met | changed


class PairPicker:
    """Hands out distinct quiet same-provider pairs of `provider`, in roster order."""

    def __init__(self, org: SandboxOrg, provider: str) -> None:
        self.org = org
        by_email = {p.email: p for p in org.people}
        avoid = planted(org)
        self._free = [
            (p, by_email[p.manager_email])
            for p in org.people
            if p.manager_email
            and p.active
            and by_email[p.manager_email].active
            and p.provider == provider == by_email[p.manager_email].provider
            and not {p.email, p.manager_email} & avoid
        ]

    def take(
        self, wanted: str = "series", after: datetime | None = None
    ) -> tuple[Member, Member, list[Instance]]:
        """The next pair whose 1:1s are all series instances ("series") or that has a
        one-off ("one-off"; with `after`, a live one starting after it); the pair's
        instances come with it."""
        for n, (report, manager) in enumerate(self._free):
            found = one_on_ones(self.org, report.email, manager.email)
            one_offs = [
                i
                for i in found
                if i.series_id is None and (after is None or (i.start > after and not i.deleted))
            ]
            if found and (bool(one_offs) == (wanted == "one-off")):
                del self._free[n]
                return report, manager, found
        raise LookupError(f"no free pair with {wanted} 1:1s")


def upcoming(instances: list[Instance], anchor: date) -> Instance:
    """The first live series instance starting after the anchor day."""
    return next(i for i in instances if i.series_id and not i.cancelled and i.start.date() > anchor)


def target(instance: Instance, at: datetime, **extra: object) -> Target:
    return Target(key_of(instance), instance.organizer, instance.attendees[0].email, at, **extra)  # type: ignore[arg-type]


def cancel(picker: PairPicker, anchor: date, at: datetime) -> Target:
    """The organizer cancels the pair's next instance."""
    instance = upcoming(picker.take()[2], anchor)
    cancel_instance(picker.org, instance.uid, at)
    return target(instance, at)


def decline(picker: PairPicker, anchor: date, at: datetime) -> Target:
    """The attendee declines the pair's next instance."""
    instance = upcoming(picker.take()[2], anchor)
    decline_instance(picker.org, instance.uid, instance.attendees[0].email, at)
    return target(instance, at)


def move(picker: PairPicker, anchor: date, at: datetime) -> Target:
    """The pair's next instance moves a day and two hours later."""
    instance = upcoming(picker.take()[2], anchor)
    new_start = instance.start + timedelta(days=1, hours=2)
    move_instance(picker.org, instance.uid, new_start, at)
    return target(instance, at, new_start=new_start)


def _lost(instance: Instance) -> bool:
    return (
        instance.cancelled
        or bool(instance.removed_by)
        or any(a.response == "declined" for a in instance.attendees)
    )


def _rebooked(one_off: Instance, instances: list[Instance]) -> tuple[Key, ...]:
    """Lost instances of the pair that this one-off may be the rebooking of."""
    low, high = one_off.start - timedelta(days=7), one_off.start + timedelta(days=2)
    return tuple(key_of(i) for i in instances if _lost(i) and low <= i.original_start <= high)


def delete(picker: PairPicker, at: datetime) -> Target:
    """The pair's last one-off, still to come at `at`, is deleted outright (with what it
    rebooked, if anything)."""
    found = picker.take("one-off", after=at)[2]
    instance = [i for i in found if i.series_id is None and not i.deleted][-1]
    delete_one_off(picker.org, instance.uid, at)
    return target(instance, at, rebooked=_rebooked(instance, found))


def split(picker: PairPicker, anchor: date, at: datetime) -> tuple[Target, str]:
    """A "this and following" edit from the pair's next instance, times unchanged.
    Returns that instance and the original series id."""
    instance = upcoming(picker.take()[2], anchor)
    old = instance.series_id or ""
    split_series(picker.org, old, instance.original_start, at=at)
    return target(instance, at), old


def new_manager_for(org: SandboxOrg, report: Member, old: str) -> str:
    """A manager on the report's provider, other than `old`, who never met `report`."""
    provider = {p.email: p.provider for p in org.people}
    managers = sorted({p.manager_email for p in org.people if p.manager_email})
    avoid = planted(org) | {old, report.email}
    return next(
        m
        for m in managers
        if m not in avoid
        and provider[m] == report.provider
        and not one_on_ones(org, report.email, m)
    )


def reassign(picker: PairPicker, on: date) -> ManagerChange:
    """The pair's report moves to another manager from `on`."""
    report, manager, instances = picker.take()
    change = ManagerChange(
        report.email, manager.email, new_manager_for(picker.org, report, manager.email), on
    )
    change.dropped = [key_of(i) for i in instances if i.original_start.date() >= on]
    change_manager(picker.org, report.email, change.new_manager, on)
    return change


def cross_provider_pair(org: SandboxOrg) -> tuple[Member, Member]:
    """A quiet line whose report and manager sit on different providers."""
    by_email = {p.email: p for p in org.people}
    avoid = planted(org)
    return next(
        (p, by_email[p.manager_email])
        for p in org.people
        if p.manager_email
        and p.active
        and p.provider != by_email[p.manager_email].provider
        and not {p.email, p.manager_email} & avoid
        and one_on_ones(org, p.email, p.manager_email)
    )


def cancel_cross(org: SandboxOrg, anchor: date, at: datetime) -> Target:
    """The organizer of a cross-provider pair cancels its next instance."""
    report, manager = cross_provider_pair(org)
    instance = upcoming(one_on_ones(org, report.email, manager.email), anchor)
    cancel_instance(org, instance.uid, at)
    return target(instance, at)
