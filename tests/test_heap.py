"""A CLI run holds the garbage collector while it loads, settles it once, and exits
without leak reports.

Each case runs in a fresh interpreter: freezing the test process's heap would change
every test after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runtime.heap import THRESHOLDS
from warehouse import Warehouse

CHILD = """
import gc, json, sys
import duckdb  # its types are counted at exit: a frozen one would be reported leaked
from runtime import heap
from runtime.engine import FlowSpec, run_flow

before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
run_flow(FlowSpec(lambda: None, "in a process that has not said it runs one command"))
untouched = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
heap.one_command_process()  # what the console entry point says
heap.hold()  # what a flow command does before it loads its modules
held = gc.isenabled()
con = duckdb.connect()
con.sql("select 1").fetchall()
run_flow(FlowSpec(lambda: None, "nothing"))
run_flow(FlowSpec(lambda: None, "nothing again"))
after = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
print(json.dumps({"before": before, "untouched": untouched, "held": held, "after": after}))
"""


def _run(code: str, tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter, with `args` and `extra` environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), **extra}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_run_freezes_the_heap_once_and_spaces_collections_out(tmp_path: Path) -> None:
    done = _run(CHILD, tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    threshold, frozen, enabled = seen["before"]
    assert tuple(threshold) != THRESHOLDS and frozen == 0 and enabled
    assert seen["untouched"] == seen["before"]  # a test session, a worker: left alone
    assert seen["held"] is False  # no collections while the run's modules load
    threshold, frozen, enabled = seen["after"]
    assert tuple(threshold) == THRESHOLDS and enabled  # collecting again, less often
    assert frozen > 10_000  # the imported modules' objects, DuckDB's among them
    # Unfrozen at exit: DuckDB's extension finds none of its objects left behind.
    assert "leaked" not in done.stderr, done.stderr


ONE_COMMAND = """
import atexit, sys, threading, time
from cli.app import main
from runtime.heap import THREAD_GRACE_S


class Witness:
    def __del__(self):  # runs when the interpreter tears the module down
        print("torn down", file=sys.stderr, flush=True)


witness = Witness()
atexit.register(print, "exit handler ran", file=sys.stderr)
if sys.argv[1] == "busy":  # a thread of the command's still working past the grace
    working = 2 * THREAD_GRACE_S  # the scenario itself, not a wait for something
    threading.Thread(target=lambda: (time.sleep(working), print("thread done"))).start()
sys.argv = ["oneonone", "sql", sys.argv[2]]
main()
"""


def _command(state: str, query: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`oneonone sql query` through the console entry point, in a fresh interpreter."""
    Warehouse(tmp_path / "w.duckdb").close()  # an empty warehouse, schema only
    warehouse = str(tmp_path / "w.duckdb")
    return _run(ONE_COMMAND, tmp_path, state, query, ONEONONE_WAREHOUSE__PATH=warehouse)


def test_a_command_leaves_without_tearing_the_heap_down(tmp_path: Path) -> None:
    done = _command("idle", "select 6 * 7 as answer", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "42" in done.stdout  # printed to a pipe: flushed before leaving
    assert "exit handler ran" in done.stderr
    assert "torn down" not in done.stderr


def test_a_failed_command_leaves_with_its_exit_code(tmp_path: Path) -> None:
    done = _command("idle", "select nope", tmp_path)
    assert done.returncode == 2
    assert "nope" in done.stderr and "exit handler ran" in done.stderr
    assert "torn down" not in done.stderr


def test_a_command_with_a_thread_still_working_exits_the_usual_way(tmp_path: Path) -> None:
    done = _command("busy", "select 1", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "thread done" in done.stdout  # not cut short
    assert "exit handler ran" in done.stderr and "torn down" in done.stderr
