"""Seeds derived from the org seed and a meeting's ids, so any part regenerates alone.

`derive` is stable across processes: text parts become integers through BLAKE2b
(never `hash()` of a string, which is randomised per process), and the tuple of
integers is hashed (CPython's tuple hash of integers is not randomised) and spread
over 64 bits by SplitMix64's finaliser. It is called for every unit and group of a
calendar, so it is kept to one tuple hash and a few integer operations.
"""

from __future__ import annotations

import hashlib
import random
from functools import cache

_MASK = (1 << 64) - 1


def derive(seed: int, *parts: int | str) -> int:
    """A 64-bit integer determined by `seed` and `parts` alone."""
    numbers = tuple(_text(part) if isinstance(part, str) else part for part in parts)
    return _mix(hash((seed, *numbers)) & _MASK)


def _mix(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


@cache
def _text(part: str) -> int:
    return int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "big")


def rng_for(seed: int, *parts: int | str) -> random.Random:
    """A generator of its own for one part of the org (a line, a team, a person…)."""
    return random.Random(derive(seed, *parts))


def fraction(bits: int) -> float:
    """The uniform number in [0, 1) that the low 32 bits of `bits` stand for."""
    return (bits & 0xFFFFFFFF) / 0x100000000
