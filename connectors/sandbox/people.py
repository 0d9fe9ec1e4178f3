"""The people of the sandbox organisation: hierarchy, providers, time zones, hire dates."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from typing import Literal

from connectors.sandbox.model import Member
from connectors.sandbox.names import person_names

ZONES = (
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
)
MIN_SPAN, MAX_SPAN = 2, 12
Provider = Literal["google", "microsoft"]


def build_people(rng: random.Random, size: int, anchor: date) -> list[Member]:
    """`size` people under one CEO; managers have 2–12 reports over several levels.

    Providers are given per division (a subtree under the CEO) so that about half the
    organisation is on each; time zones per division with a few people elsewhere.
    """
    parents = _hierarchy(rng, size)
    names = person_names(rng, size)
    emails = [f"{first}.{last}@example.com" for first, last in names]
    division = _divisions(parents)
    providers = _providers(division)
    zones = {d: ZONES[i % len(ZONES)] for i, d in enumerate(sorted(set(division)))}
    people = []
    for i, ((first, last), parent) in enumerate(zip(names, parents, strict=True)):
        zone = zones[division[i]] if rng.random() > 0.12 else rng.choice(ZONES)
        people.append(
            Member(
                email=emails[i],
                name=f"{first.title()} {last.title()}",
                manager_email=None if parent is None else emails[parent],
                provider=providers[i],
                timezone=zone,
                hired_on=anchor - timedelta(days=rng.randint(400, 3600)),
            )
        )
    people[0].timezone = "America/Los_Angeles"
    return people


def _hierarchy(rng: random.Random, size: int) -> list[int | None]:
    """Parent index of each person; 0 is the CEO. Breadth-first, spans of 2–12."""
    parents: list[int | None] = [None]
    manager, span = 0, rng.randint(5, 7)
    children: dict[int, int] = defaultdict(int)
    for _ in range(1, size):
        if children[manager] >= span:
            manager, span = manager + 1, rng.choice((3, 4, 5, 5, 6, 6, 7, 8, 10, 12))
        parents.append(manager)
        children[manager] += 1
    last = parents[-1]
    if (
        last is not None
        and last > 0
        and children[last] < MIN_SPAN
        and children[last - 1] + children[last] <= MAX_SPAN
    ):
        # A lone last report joins the previous manager (never more than 12).
        parents[size - 1] = last - 1
    elif last is not None and children[last] < MIN_SPAN:
        # Or the previous manager hands over its last report (it keeps at least 2).
        parents[size - 2] = last
    return parents


def _divisions(parents: list[int | None]) -> list[int]:
    """For each person, the index of their CEO-direct ancestor (the CEO: 0)."""
    division = [0] * len(parents)
    for person in range(1, len(parents)):
        parent = parents[person]
        division[person] = person if parent == 0 else division[parent or 0]
    return division


def _providers(division: list[int]) -> list[Provider]:
    """Whole divisions to whichever provider has fewer people so far (largest first)."""
    sizes: dict[int, int] = defaultdict(int)
    for d in division[1:]:
        sizes[d] += 1
    counts: dict[Provider, int] = {"google": 1, "microsoft": 0}  # the CEO is on Google
    chosen: dict[int, Provider] = {0: "google"}
    for d in sorted(sizes, key=lambda d: (-sizes[d], d)):
        provider = min(counts, key=lambda p: (counts[p], p))
        chosen[d] = provider
        counts[provider] += sizes[d]
    return [chosen[d] for d in division]


def reports_of(people: list[Member]) -> dict[str, list[Member]]:
    """Direct reports by manager email, in roster order."""
    reports: dict[str, list[Member]] = defaultdict(list)
    for person in people:
        if person.manager_email is not None:
            reports[person.manager_email].append(person)
    return reports
