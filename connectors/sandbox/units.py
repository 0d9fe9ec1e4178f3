"""Generate one unit of meetings (see `structure.py`) from the structure and its seed.

A unit's ids start with its prefix, `e<seed><kind letter><key numbers joined by o>`,
so `unit_of` tells from an instance id (a split series' too) which unit holds it.
"""

from __future__ import annotations

import random
import re

from connectors.sandbox.background import all_hands, personal, team_meetings
from connectors.sandbox.builder import Builder
from connectors.sandbox.model import Instance
from connectors.sandbox.noise import add_noise
from connectors.sandbox.oneonones import normal_line, skip_and_peer
from connectors.sandbox.planted import cancel_pattern, falling_line, planted_line
from connectors.sandbox.seeds import rng_for
from connectors.sandbox.structure import (
    EXTRA,
    GROUP,
    HANDS,
    LINE,
    PERSONAL,
    TEAM,
    Structure,
    UnitKey,
)

_LETTERS = {LINE: "a", EXTRA: "b", TEAM: "c", PERSONAL: "d", GROUP: "g", HANDS: "h"}
_KINDS = {letter: kind for kind, letter in _LETTERS.items()}
_PREFIX = re.compile(r"^e(\d+)([a-h])([0-9o]*)n")


def unit_prefix(seed: int, key: UnitKey) -> str:
    """The prefix of every id the unit's builder hands out."""
    return f"e{seed}{_LETTERS[str(key[0])]}" + "o".join(str(part) for part in key[1:])


def unit_of(uid: str) -> UnitKey | None:
    """The key of the unit that generated the instance `uid` (None: not generated)."""
    found = _PREFIX.match(uid)
    if found is None:
        return None
    numbers = tuple(int(n) for n in found.group(3).split("o")) if found.group(3) else ()
    return (_KINDS[found.group(2)], *numbers)


def generate_unit(structure: Structure, key: UnitKey) -> list[Instance]:
    """The unit's instances, fresh: the same key always gives equal instances."""
    builder = Builder(unit_prefix(structure.seed, key))
    kind, numbers = key[0], [int(n) for n in key[1:]]
    if kind == GROUP:
        block, week, round_, group = numbers
        return structure.groups.meeting(builder, (block, week, round_, group))
    rng = rng_for(structure.seed, *key)
    if kind == LINE:
        _line(rng, builder, structure, numbers[0])
    elif kind == EXTRA:
        _extra(rng, builder, structure, numbers[0])
    elif kind == TEAM:
        manager = structure.people[numbers[0]]
        if manager.active:
            team = structure.team(numbers[0])
            team_meetings(rng, builder, structure.span, manager, team, structure.background)
    elif kind == PERSONAL:
        person = structure.people[numbers[0]]
        if person.active:
            personal(rng, builder, structure.span, person, structure.background)
    elif kind == HANDS:
        all_hands(builder, structure.span, structure.people[0])
    return builder.instances


def _line(rng: random.Random, builder: Builder, structure: Structure, person: int) -> None:
    report, manager, plan = structure.people[person], structure.manager(person), structure.plan
    assert manager is not None
    span = structure.span
    if report.email in plan.special:
        old = structure.people[structure.index[plan.old_manager]]
        planted_line(rng, builder, report, manager, plan, span, old)
        return
    if report.email in plan.falling:
        falling_line(rng, builder, report, manager, span)
        return
    line = normal_line(rng, builder, report, manager, plan, span)
    if manager.email == plan.chronic_manager.email:
        cancel_pattern(rng, [line], span.anchor)
    elif not {report.email, manager.email} & plan.quiet:
        deleted, ahead = report.email == plan.deleted_one_off, report.email in plan.booked_ahead
        add_noise(rng, builder, line, span, deleted, ahead)


def _extra(rng: random.Random, builder: Builder, structure: Structure, person: int) -> None:
    member, plan = structure.people[person], structure.plan
    manager = structure.managers[person]
    if member.email in plan.quiet or manager < 0 or not member.active:
        return
    boss = structure.manager(manager)
    peers = [p for p in structure.team(manager) if p.email not in plan.quiet]
    skip_and_peer(rng, builder, member, boss, peers, structure.span)
