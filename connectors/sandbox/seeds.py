"""Seeds derived from the org seed and a meeting's ids, so any part regenerates alone.

`derive` is stable across processes and Python versions (a keyed BLAKE2b of the
parts, not `hash()`, which is randomised per process for strings).
"""

from __future__ import annotations

import hashlib
import random


def derive(seed: int, *parts: object) -> int:
    """A 64-bit integer determined by `seed` and `parts` alone."""
    text = "\x1f".join(str(part) for part in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng_for(seed: int, *parts: object) -> random.Random:
    """A generator of its own for one part of the org (a line, a team, a person…)."""
    return random.Random(derive(seed, *parts))


def fraction(bits: int) -> float:
    """The uniform number in [0, 1) that the low 32 bits of `bits` stand for."""
    return (bits & 0xFFFFFFFF) / 0x100000000
