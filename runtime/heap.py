"""Python's cyclic garbage collector, set for one long, allocation-heavy run.

A sync parses a million events into short-lived objects. With the interpreter's
defaults (a young-generation collection every 700 net allocations, an older one every
10 younger ones) about an eighth of a sync's CPU went to the collector, most of it in
full collections re-scanning the million objects the imported libraries hold until
exit. `settle` moves those into the permanent generation (`gc.freeze`) and collects
less often. Measured on a first sync of the 10,000-person sandbox (`oneonone sync`
under `/usr/bin/time`): 111.7 s of user CPU before, 99.2 s after.

At the end, `leave` exits without the interpreter's teardown, which collects and
clears every module's objects one by one: 0.4 s after a sync of the 1,000-person
sandbox, a tenth of an unchanged week there.

Only for a process that runs one command and exits: everything alive at the call is
never scanned again, so a long-lived process (a Prefect worker, a test session)
calling it per run would keep every cycle made before its last call. The console
entry point says so (`one_command_process`); anywhere else `hold`, `settle` and
`leave` do nothing.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

# Young collections every 20,000 net allocations (not 700); each older generation
# after 50 of the younger (not 10). Cycles still go, in larger, rarer sweeps.
THRESHOLDS = (20_000, 50, 50)

# How long `leave` waits for each of the command's other threads before it lets the
# interpreter exit the usual way (a pool shut down without waiting: its last task).
THREAD_GRACE_S = 1.0


_tuned = False  # set by the console entry point only


def one_command_process() -> None:
    """This process runs one command and exits: its collector may be set for it."""
    global _tuned
    _tuned = True


def hold() -> None:
    """No collections until `settle`: while a run's modules load (over a second of
    imports, which make next to no garbage), full collections of the growing heap
    cost 0.2-0.6 s."""
    if _tuned:
        gc.disable()


def settle() -> None:
    """Freeze what is alive now (once per process) and collect, less often, until the
    process exits."""
    if not _tuned:
        return
    if not gc.get_freeze_count():
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)
        # Frozen objects are never collected, not even at exit: extension modules that
        # count their instances at shutdown (DuckDB's types) would report them as leaked.
        atexit.register(gc.unfreeze)
    gc.enable()


def leave(code: int) -> None:
    """Exit with `code` now, without tearing the heap down, once the command is done:
    its other threads finished, its exit handlers run (temporary files removed, logs
    flushed), its output flushed. Returns instead, for the interpreter's usual exit,
    where any of that does not hold, and in a process that loaded Prefect (whose
    services wind down with the interpreter)."""
    if not _tuned or "prefect" in sys.modules:
        return
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    for thread in others:
        if not thread.daemon:
            thread.join(timeout=THREAD_GRACE_S)
    if any(t.is_alive() and not t.daemon for t in others):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the usual exit reports it
        return
    os._exit(code)
