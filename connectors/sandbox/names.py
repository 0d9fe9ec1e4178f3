"""Fake names and filler text for the sandbox organisation.

The filler (titles, descriptions, locations) exists so the pipeline can prove it never
stores such text: none of it carries meaning.
"""

from __future__ import annotations

import random

_FIRST = (
    "ada alan alice amir ana aria ben bea carla chen chloe dan dara diego eli elena emma "
    "farah felix gita grace hana hugo ines ivan jade jonas kai kara leo lina lucas maya "
    "mei nadia nico noor omar olga paul priya quinn rafael rosa sam sara tariq tess uma "
    "victor wei xena yara yusuf zoe"
)

_LAST = (
    "abbott baker banerjee castro chen clarke costa diaz dubois edwards evans fischer "
    "fontaine garcia gupta hall hansen ito jensen kaur khan kim kowalski lee lopez martin "
    "meyer moreau murphy nakamura novak okafor olsen patel perez quinn rossi santos "
    "schmidt silva singh smith tanaka torres varga wagner walsh weber wong yamamoto young "
    "zhang"
)

FIRST_NAMES = tuple(_FIRST.split())
LAST_NAMES = tuple(_LAST.split())

MEETING_TITLES = (
    "Quarterly planning",
    "Design review",
    "Roadmap sync",
    "Incident retro",
    "Budget review",
    "Hiring debrief",
    "Architecture deep dive",
    "Customer feedback",
    "Launch readiness",
    "Metrics review",
)

FILLER = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
    "Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
    "Ut enim ad minim veniam, quis nostrud exercitation ullamco.",
    "Duis aute irure dolor in reprehenderit in voluptate velit esse.",
)

LOCATIONS = (
    "Room 3B",
    "Orion (4th floor)",
    "https://meet.example.com/abc-defg-hij",
    "Cafe across the street",
    "https://teams.example.com/l/meetup-join/19%3ameeting",
)


def person_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """`count` distinct (first, last) pairs in a seeded order."""
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    if count > len(pairs):
        # Numbered namesakes (alan2 …), as many as the count needs.
        more = range(2, max(10, -(-count // len(pairs)) + 1))
        pairs += [(f"{first}{n}", last) for n in more for first, last in pairs]
    rng.shuffle(pairs)
    return pairs[:count]


def filler(rng: random.Random) -> str:
    """A sentence or two of meaningless text."""
    return " ".join(rng.sample(FILLER, rng.randint(1, 2)))
