"""Start-up time of the commands that run no flow: `sql`, `--help` and `explain`.

Each command runs as a user runs it (the installed `oneonone`, a fresh process) against
a small warehouse, and the median wall time over `--runs` runs is printed. The machine
is warm: the bytecode of every imported module is cached, as after any first run, in a
cache folder of this benchmark's own (`PYTHONPYCACHEPREFIX`), so the installation is
left as it is and `PYTHONDONTWRITEBYTECODE` in the environment changes nothing.

Without `--dir`, a small warehouse is built first in a temporary folder with
`oneonone run` on the embedded sandbox (about half a minute).

Run: `uv run python benchmarks/start_benchmark.py --runs 10`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ONEONONE = str(Path(sys.executable).with_name("oneonone"))
SANDBOX_PEOPLE = "60"  # a small warehouse: start-up is what is measured, not the query


def run_oneonone(args: Sequence[str], cwd: Path, env: Mapping[str, str]) -> float:
    """Seconds one `oneonone *args` takes, start to exit; a failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(
        [ONEONONE, *args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"oneonone {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def median_seconds(args: Sequence[str], cwd: Path, env: Mapping[str, str], runs: int) -> float:
    """The median over `runs` runs, after one run that is not counted (it fills caches)."""
    run_oneonone(args, cwd, env)
    return statistics.median(run_oneonone(args, cwd, env) for _ in range(runs))


def warm_environment(cache: Path) -> dict[str, str]:
    """This environment with the bytecode cache in `cache`, written on first import."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(cache), "COLUMNS": "120"}


def build_warehouse(folder: Path) -> None:
    """A small warehouse and dashboard in `folder`, from the embedded sandbox."""
    env = {**os.environ, "ONEONONE_SANDBOX_SIZE": SANDBOX_PEOPLE}
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    print(f"building a warehouse of {SANDBOX_PEOPLE} sandbox people in {folder} …", flush=True)
    run_oneonone(["run"], folder, env)


def some_report(folder: Path) -> str:
    """A report with a manager in the warehouse, to explain."""
    done = subprocess.run(
        [ONEONONE, "sql", "SELECT min(report_email) AS report FROM pair_metrics"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    return next(word for word in done.stdout.split() if "@" in word)


def measure(folder: Path, runs: int) -> dict[str, float]:
    """Median seconds per command."""
    commands = {
        'sql "select 1"': ["sql", "select 1"],
        "--help": ["--help"],
        "explain REPORT": ["explain", some_report(folder)],
    }
    with tempfile.TemporaryDirectory(prefix="oneonone-pycache-") as cache:
        env = warm_environment(Path(cache))
        return {name: median_seconds(args, folder, env, runs) for name, args in commands.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command")
    parser.add_argument("--dir", type=Path, help="a folder where `oneonone run` already ran")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oneonone-start-") as scratch:
        folder = args.dir.resolve() if args.dir else Path(scratch)
        if args.dir is None:
            build_warehouse(folder)
        figures = measure(folder, args.runs)
    print(f"median wall time over {args.runs} runs, bytecode cached:")
    for name, seconds in figures.items():
        print(f"  oneonone {name:<18}{seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
