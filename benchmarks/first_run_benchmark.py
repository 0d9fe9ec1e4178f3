"""What a new install's history backfill adds to its first `oneonone run`.

`oneonone run` on the embedded sandbox (default size) into a fresh warehouse, as a
user runs it (the installed `oneonone`, a fresh process, in-process flows), once with
`run.history_weeks = 12` (the default: the 11 weeks before the as-of date are
backfilled first) and once with 0 (no backfill), alternately `--runs` times each; the
medians and their difference are printed, with the history the first kind left. As
whole runs vary with the machine's load by more than the backfill takes, the backfill
alone is timed too: in this process, on each warehouse a run without it left, the
same dates the first run backfills (`Warehouse.build_history`, as the flow calls it).

Run: `uv run python benchmarks/first_run_benchmark.py --runs 3`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from flows.backfill import new_install_dates
from runtime.config import load_config
from runtime.context import build_context
from warehouse import Warehouse, query_read_only

ONEONONE = str(Path(sys.executable).with_name("oneonone"))
AS_OF = "2026-11-16"


def first_run(root: Path, weeks: int) -> float:
    """Seconds of one `oneonone run` into a new warehouse under `root`."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {
        "ONEONONE_WAREHOUSE__PATH": str(root / "w.duckdb"),
        "ONEONONE_REPORT__OUT_DIR": str(root / "out"),
        "ONEONONE_RUN__HISTORY_WEEKS": str(weeks),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [ONEONONE, "run", "--as-of", AS_OF], env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"oneonone run failed ({done.returncode}):\n{done.stderr}")
    return seconds


def snapshots(root: Path) -> int:
    """How many as-of dates kpi_history holds."""
    query = "select count(distinct as_of) from kpi_history"
    return int(query_read_only(root / "w.duckdb", query)[1][0][0])


def backfill_alone(root: Path, weeks: int) -> float:
    """Seconds `build_history` takes for the dates a first run with `weeks` backfills."""
    config = load_config(None, environ={})
    days = new_install_dates(date.fromisoformat(AS_OF), weeks, [])
    contexts = [build_context(config, day) for day in days]
    with Warehouse(root / "w.duckdb") as warehouse:
        started = time.perf_counter()
        warehouse.build_history(contexts)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=12)
    args = parser.parse_args()
    seconds: dict[int, list[float]] = {args.weeks: [], 0: []}
    kept = 0
    with tempfile.TemporaryDirectory(prefix="oneonone-first-run-") as folder:
        for run in range(args.runs):
            for weeks in seconds:
                root = Path(folder) / f"{weeks}-{run}"
                seconds[weeks].append(first_run(root, weeks))
                if weeks:
                    kept = snapshots(root)
        alone = [backfill_alone(Path(folder) / f"0-{run}", args.weeks) for run in range(args.runs)]
    with_history, without = (statistics.median(seconds[w]) for w in seconds)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}"
    )
    print(f"command: oneonone run --as-of {AS_OF} (default sandbox), fresh warehouse each time")
    for weeks, values in seconds.items():
        shown = ", ".join(f"{v:.1f}" for v in values)
        print(f"history_weeks = {weeks:>2}: median {statistics.median(values):.1f} s ({shown})")
    print(f"difference of the medians: {with_history - without:+.1f} s")
    shown = ", ".join(f"{v:.1f}" for v in alone)
    print(
        f"the backfill alone ({args.weeks - 1} dates): median {statistics.median(alone):.1f} s"
        f" ({shown}); kpi_history holds {kept} as-of dates after a first run"
    )


if __name__ == "__main__":
    main()
