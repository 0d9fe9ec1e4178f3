"""Small read-only views of a generated org shared by the sandbox tests."""

from __future__ import annotations

from datetime import date

from connectors.sandbox.model import Instance, SandboxOrg


def humans(instance: Instance) -> set[str]:
    """Organizer and attendees that are people (rooms and group addresses aside)."""
    return {instance.organizer} | {
        a.email for a in instance.attendees if not (a.resource or a.group)
    }


def is_one_on_one(instance: Instance) -> bool:
    """Two people, no group address, timed, default kind: the pipeline's 1:1 shape."""
    return (
        not instance.all_day
        and instance.kind == "default"
        and not any(a.group for a in instance.attendees)
        and len(humans(instance)) == 2
        and sum(not a.resource for a in instance.attendees) == 1
    )


def line_pairs(org: SandboxOrg) -> set[frozenset[str]]:
    """Unordered (report, manager) pairs of the roster."""
    return {frozenset((p.email, p.manager_email)) for p in org.people if p.manager_email}


def past_one_on_ones(org: SandboxOrg, a: str, b: str, before: date) -> list[Instance]:
    """1:1s of the pair that started before `before`, in order."""
    pair = {a, b}
    found = [
        i
        for i in org.instances
        if is_one_on_one(i) and humans(i) == pair and i.start.date() < before
    ]
    return sorted(found, key=lambda i: i.start)


def stayed_scheduled(instance: Instance) -> bool:
    """Neither cancelled nor declined: held once it is over."""
    return not (
        instance.cancelled
        or instance.deleted
        or instance.removed_by
        or any(a.response == "declined" for a in instance.attendees)
    )
