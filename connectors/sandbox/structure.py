"""The org's structure, fixed up front: who reports to whom, and which units of
meetings each person's calendar is made of.

A *unit* is the smallest set of meetings generated together from one seed: a
reporting line's 1:1s (with their noise), one person's skip-level and peer 1:1s, a
team's meetings, one person's own blocks, one group meeting, the all-hands. Every
meeting belongs to exactly one unit and is generated only from the structure and the
seed derived from the unit's key, so any calendar that holds a meeting regenerates
it identically, in any order of requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.sandbox.groups import GroupPlan
from connectors.sandbox.model import Member
from connectors.sandbox.oneonones import Span
from connectors.sandbox.plan import Plan

UnitKey = tuple[str | int, ...]  # ("line", report), ("team", manager), ("group", …) …
LINE, EXTRA, TEAM, PERSONAL, GROUP, HANDS = "line", "extra", "team", "personal", "group", "hands"


@dataclass(frozen=True)
class Structure:
    """Everything generation reads. Its people are copies taken at generation time, so
    later roster changes (a mutation's change of manager) do not reach generation."""

    seed: int
    span: Span
    background: str
    people: tuple[Member, ...]
    plan: Plan
    groups: GroupPlan
    index: dict[str, int] = field(default_factory=dict)
    managers: tuple[int, ...] = ()  # manager's index per person, -1 for the CEO
    reports: tuple[tuple[int, ...], ...] = ()  # direct reports' indices per person

    @classmethod
    def of(
        cls, seed: int, span: Span, background: str, people: list[Member], plan: Plan
    ) -> Structure:
        copies = tuple(_copy(p) for p in people)
        index = {p.email: i for i, p in enumerate(copies)}
        managers = tuple(index.get(p.manager_email or "", -1) for p in copies)
        reports: list[list[int]] = [[] for _ in copies]
        for person, manager in enumerate(managers):
            if manager >= 0:
                reports[manager].append(person)
        return cls(
            seed,
            span,
            background,
            copies,
            plan,
            GroupPlan.of(seed, span, background, copies),
            index,
            managers,
            tuple(tuple(r) for r in reports),
        )

    def manager(self, person: int) -> Member | None:
        """The person's manager as generated (None for the CEO)."""
        found = self.managers[person]
        return None if found < 0 else self.people[found]

    def team(self, manager: int) -> list[Member]:
        """The manager's active reports."""
        return [self.people[r] for r in self.reports[manager] if self.people[r].active]

    def units_of(self, person: int) -> list[UnitKey]:
        """Keys of every unit that may hold a meeting on `person`'s calendar."""
        manager, reports = self.managers[person], self.reports[person]
        keys: list[UnitKey] = [(LINE, r) for r in reports]
        if manager >= 0:
            keys.append((LINE, person))
        if self.people[person].email == self.plan.old_manager:
            keys.append((LINE, self.index[self.plan.changed.email]))
        keys.append((EXTRA, person))
        keys += [(EXTRA, s) for s in self.reports[manager] if s != person] if manager >= 0 else []
        keys += [(EXTRA, g) for r in reports for g in self.reports[r]]
        if self.background == "none":
            return keys
        keys += [(TEAM, person)] if reports else []
        keys += [(TEAM, manager)] if manager >= 0 else []
        keys.append((PERSONAL, person))
        keys += [(GROUP, *key) for key in self.groups.keys_of(person)]
        return keys + ([(HANDS,)] if person == 0 else [])

    def every_unit(self) -> list[UnitKey]:
        """Keys of every unit of the org, each once."""
        keys: list[UnitKey] = [(LINE, p) for p, m in enumerate(self.managers) if m >= 0]
        keys += [(EXTRA, p) for p in range(len(self.people))]
        if self.background == "none":
            return keys
        keys += [(TEAM, p) for p, reports in enumerate(self.reports) if reports]
        keys += [(PERSONAL, p) for p in range(len(self.people))]
        keys += [(GROUP, *key) for key in self.groups.every_key()]
        return [*keys, (HANDS,)]


def _copy(member: Member) -> Member:
    # Field by field: `dataclasses.replace` costs seconds over 100,000 people.
    return Member(
        member.email,
        member.name,
        member.manager_email,
        member.provider,
        member.timezone,
        member.hired_on,
        member.active,
        member.reports_since,
        member.title,
    )
