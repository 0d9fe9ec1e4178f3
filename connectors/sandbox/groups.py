"""Group meetings (three or more colleagues) that any attendee's calendar regenerates.

People are cut into blocks of `BLOCK` neighbours in roster order (a team and its
neighbouring teams). Each week has a number of *rounds*; in a round a block is
shuffled by an affine permutation `i -> (a*i + b) mod p` (p the smallest prime at
least the block's size, a and b derived from the seed, block, week and round) and cut
into groups of consecutive positions. A person's group in a round is found from their
own position, and its members by inverting the permutation: finding one person's
group meetings costs what those meetings cost, not what the block's cost.

A group meets when its derived number says so (`keep`), on a weekday of the week, if
at least three of its members are active and hired by that day; the first of them
(in roster order) organizes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache, lru_cache

from connectors.sandbox.background import VENDOR
from connectors.sandbox.builder import Builder, Meeting
from connectors.sandbox.model import Instance, Member
from connectors.sandbox.names import FILLER, MEETING_TITLES
from connectors.sandbox.oneonones import Span, created_before
from connectors.sandbox.seeds import derive, fraction

BLOCK = 50
GroupKey = tuple[int, int, int, int]  # block, week, round, group


@dataclass(frozen=True)
class Level:
    """How many group meetings a background level holds."""

    rounds: int  # per week: each person is in one group per round
    size: int  # people per group (fewer where the block leaves gaps)
    keep: float  # share of groups that actually meet


LEVELS = {"normal": Level(1, 3, 0.45), "full": Level(16, 7, 1.0)}


@cache
def _prime_at_least(n: int) -> int:
    candidate = max(n, 2)
    while any(candidate % d == 0 for d in range(2, int(candidate**0.5) + 1)):
        candidate += 1
    return candidate


@lru_cache(maxsize=1 << 16)
def _affine(seed: int, block: int, week: int, round_: int, prime: int) -> tuple[int, int]:
    """The round's permutation `i -> (a*i + b) mod prime` (cached: each member of the
    block and each of its groups asks for it)."""
    bits = derive(seed, "round", block, week, round_)
    return 1 + bits % (prime - 1), (bits >> 32) % prime


@cache
def _inverse(a: int, prime: int) -> int:
    return pow(a, -1, prime)


@dataclass(frozen=True)
class GroupPlan:
    """The rounds of one org: its seed, weeks and level; which people it draws from."""

    seed: int
    weeks: tuple[date, ...]
    level: Level | None  # None: no group meetings
    people: tuple[Member, ...]

    @classmethod
    def of(cls, seed: int, span: Span, background: str, people: tuple[Member, ...]) -> GroupPlan:
        weeks = []
        week = span.history_start
        while week < span.horizon:
            weeks.append(week)
            week += timedelta(days=7)
        return cls(seed, tuple(weeks), LEVELS.get(background), people)

    def _block(self, block: int) -> tuple[int, int]:
        """The block's first index and size."""
        first = block * BLOCK
        return first, min(BLOCK, len(self.people) - first)

    def _affine(self, block: int, week: int, round_: int, prime: int) -> tuple[int, int]:
        return _affine(self.seed, block, week, round_, prime)

    def keys_of(self, person: int) -> list[GroupKey]:
        """The (block, week, round, group) of every group `person` is drawn into."""
        if self.level is None:
            return []
        block = person // BLOCK
        first, size = self._block(block)
        prime = _prime_at_least(size)
        found = []
        for week in range(len(self.weeks)):
            for round_ in range(self.level.rounds):
                a, b = self._affine(block, week, round_, prime)
                position = (a * (person - first) + b) % prime
                found.append((block, week, round_, position // self.level.size))
        return found

    def every_key(self) -> Iterator[GroupKey]:
        """Every group of every round."""
        if self.level is None:
            return
        for block in range(-(-len(self.people) // BLOCK)):
            groups = -(-_prime_at_least(self._block(block)[1]) // self.level.size)
            for week in range(len(self.weeks)):
                for round_ in range(self.level.rounds):
                    for group in range(groups):
                        yield block, week, round_, group

    def members(self, key: GroupKey) -> list[int]:
        """Indices of the people drawn into the group, in roster order."""
        assert self.level is not None
        block, week, round_, group = key
        first, size = self._block(block)
        prime = _prime_at_least(size)
        a, b = self._affine(block, week, round_, prime)
        inverse = _inverse(a, prime)
        low = group * self.level.size
        drawn = ((position - b) * inverse % prime for position in range(low, low + self.level.size))
        return sorted(first + i for i in drawn if i < size)

    def meeting(self, builder: Builder, key: GroupKey) -> list[Instance]:
        """The group's meeting as a one-off, or nothing when it does not meet."""
        assert self.level is not None
        bits = derive(self.seed, "group", *key)
        if fraction(bits) >= self.level.keep:
            return []
        week = self.weeks[key[1]]
        day = week + timedelta(days=(bits >> 32) % 5)
        people = [self.people[i] for i in self.members(key)]
        group = [p for p in people if p.active and p.hired_on <= day]
        if len(group) < 3:
            return []
        vendor = (VENDOR,) if (bits >> 35) % 50 == 0 else ()
        meeting = Meeting(
            group[0].email,
            tuple(p.email for p in group[1:]) + vendor,
            group[0].timezone,
            (30, 45, 60)[(bits >> 41) % 3],
            MEETING_TITLES[(bits >> 43) % len(MEETING_TITLES)],
            description=FILLER[week.day % 4],
        )
        at = time(9 + (bits >> 47) % 8, 30 if (bits >> 50) & 1 else 0)
        return [builder.one_off(meeting, day, at, created_before(day))]
