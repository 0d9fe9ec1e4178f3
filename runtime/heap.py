"""Python's cyclic garbage collector, set for one long, allocation-heavy run.

A sync parses a million events into short-lived objects. With the interpreter's
defaults (a young-generation collection every 700 net allocations, an older one every
10 younger ones) about an eighth of a sync's CPU went to the collector, most of it in
full collections re-scanning the million objects the imported libraries hold until
exit. `settle` moves those into the permanent generation (`gc.freeze`) and collects
less often. Measured on a first sync of the 10,000-person sandbox (`oneonone sync`
under `/usr/bin/time`): 111.7 s of user CPU before, 99.2 s after.

Only for a process that runs one command and exits (the CLI): everything alive at
the call is never scanned again, so a long-lived worker calling it per run would
keep every cycle made before its last call.
"""

from __future__ import annotations

import atexit
import gc

# Young collections every 20,000 net allocations (not 700); each older generation
# after 50 of the younger (not 10). Cycles still go, in larger, rarer sweeps.
THRESHOLDS = (20_000, 50, 50)


def settle() -> None:
    """Freeze what is alive now and space collections out, until the process exits."""
    if gc.get_freeze_count():
        return
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    # Frozen objects are never collected, not even at exit: extension modules that
    # count their instances at shutdown (DuckDB's types) would report them as leaked.
    atexit.register(gc.unfreeze)
