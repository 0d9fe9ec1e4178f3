"""oneonone end to end at organisation scale, beside the script a user would write.

Serves a sandbox org of `--people` in a process of its own and runs, through the
`oneonone` command as a user does (each step a fresh process, a fresh warehouse):

1. the naive baseline (`benchmarks/naive_sync.py`): every calendar re-read in full,
   one after another, nothing stored;
2. `oneonone sync`, the first (full) sync: seconds, events/s including the warehouse;
3. `oneonone sync` again with nothing changed: seconds, API requests (token requests
   counted apart), cost per calendar;
4. the command's fixed cost: `oneonone sync` of a roster of two people (the head of
   the org and one report) against the same sandbox, into a warehouse of its own,
   once in full and then again with nothing changed; the unchanged week beyond that
   cost, per calendar, is what grows with the organisation. Steps 3 and 4 run
   `--repeat` times each (3 by default), alternated, and the median of each is
   reported with the range: a few seconds' step on a shared machine varies by half
   from one minute to the next;
5. `oneonone sync` after 1 % of the calendars changed (a 1:1 cancelled on each);
6. `oneonone build`: seconds and peak RSS;
7. each provider alone: `oneonone sync` of the roster's Google people only, then of its
   Microsoft people only (each into a warehouse of its own, in full and then `--repeat`
   times again with nothing changed): what an unchanged calendar costs on each
   provider, against what its full sync costs. Last, since the sandbox keeps only a
   calendar's two latest sync tokens: these syncs expire the first warehouse's.

Requests are counted at the sandbox. Each step also prints oneonone's own CPU
seconds, the sandbox's (what serving the step cost the process playing Google and
Microsoft, on the same two cores), and the share of the machine's CPU time its host
took meanwhile ("steal" in /proc/stat: on a shared virtual machine, a slower step may
only mean a busier host).
Each sync step also prints how long its threads waited on the providers' request
limits (summed over the threads, as the run summary reports it). At 100,000 people
that is most of an unchanged week: half the calendars are Google's, and the Calendar
API's default project quota (10,000 requests a minute) spaces their requests out.
`--google-requests-per-minute N` runs with the quota a Google project was granted
(the sandbox does not enforce the project quota), to measure the rest.
`--executor dask` runs the syncs with `[run] executor = "dask"` on a local cluster of
worker processes. On 2 cores the
sandbox, the baseline and oneonone share the CPUs: figures are end to end on this
machine, not the providers' speed.

Run: `uv run python benchmarks/scale_benchmark.py --people 1000`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.sandbox.app import RemoteServer, Sandbox, start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.model import SandboxOrg
from connectors.sandbox.mutations import cancel_instance, one_on_ones

HERE = Path(__file__).parent
ONEONONE = str(Path(sys.executable).with_name("oneonone"))
_TOKEN_PATHS = ("/token", "/openid-configuration")


@dataclass
class Step:
    """One command as run: wall seconds, its peak RSS, the API requests it caused, its
    own CPU seconds, the sandbox's CPU seconds meanwhile, and the share of the machine's
    CPU time the host took meanwhile."""

    seconds: float
    peak_rss_mb: float
    requests: int
    token_requests: int
    output: str
    cpu_s: float = 0.0
    stolen: float = 0.0
    sandbox_cpu_s: float = 0.0


def cpu_ticks() -> tuple[int, int]:
    """(all, stolen) CPU ticks of this machine so far, from /proc/stat (a virtual
    machine's host may take CPU time from it: "steal"); (0, 0) where there is none."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def process_cpu_s(pid: int | None) -> float:
    """CPU seconds (user and system) process `pid` has used so far, from /proc; 0.0
    where that cannot be read (or for no process: a sandbox in this process)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def change_one_percent(org: SandboxOrg, at: datetime) -> int:
    """Cancel the next 1:1 of every hundredth reporting line: 1 % of the calendars
    change (the report's and the manager's). Runs inside the sandbox's process."""
    changed = 0
    lines = [p for p in org.people if p.active and p.manager_email][::100]
    for person in lines:
        assert person.manager_email is not None
        upcoming = [
            i
            for i in one_on_ones(org, person.email, person.manager_email)
            if i.start > at and not i.cancelled and not i.deleted
        ]
        if upcoming:
            cancel_instance(org, upcoming[0].uid, at)
            changed += 1
    return changed


def pair_roster(roster: Path, to: Path) -> Path:
    """A roster of the org's head and one of their reports, from `roster` (CSV)."""
    header, *lines = roster.read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader([header, *lines]))
    head = next(n for n, row in enumerate(rows) if not row["manager_email"])
    report = next(n for n, row in enumerate(rows) if row["manager_email"] == rows[head]["email"])
    to.write_text("\n".join([header, lines[head], lines[report], ""]), encoding="utf-8")
    return to


def config_of(config: Path, roster: Path, other: Path, name: str) -> Path:
    """A copy of `config` (beside it, as `name`.toml) that reads the roster `other`
    instead of `roster`, into a warehouse of its own (`name`.duckdb)."""
    folder = config.parent
    copy = folder / f"{name}.toml"
    copy.write_text(
        config.read_text()
        .replace(str(roster), str(other))
        .replace(str(folder / "w.duckdb"), str(folder / f"{name}.duckdb")),
        encoding="utf-8",
    )
    return copy


def provider_roster(roster: Path, provider: str, to: Path) -> int:
    """The people of `roster` (CSV) whose calendars `provider` keeps, written to `to`, a
    manager of another provider's left blank; how many they are."""
    with roster.open(encoding="utf-8", newline="") as source:
        rows = [row for row in csv.DictReader(source) if row["provider"] == provider]
    kept = {row["email"] for row in rows}
    with to.open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            manager = row["manager_email"]
            writer.writerow({**row, "manager_email": manager if manager in kept else ""})
    return len(rows)


def counts(sandbox: Sandbox) -> tuple[int, int]:
    """(API requests, token requests) the sandbox served so far."""
    paths = [path for _, path in sandbox.server.requests]
    tokens = sum(1 for path in paths if path.endswith(_TOKEN_PATHS))
    return len(paths) - tokens, tokens


def run(command: list[str], env: dict[str, str], sandbox: Sandbox) -> Step:
    """Run `command` to its end, measured; fail loudly with its output."""
    before, ticks = counts(sandbox), cpu_ticks()
    server = sandbox.server.pid if isinstance(sandbox.server, RemoteServer) else None
    server_cpu = process_cpu_s(server)
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    total, stolen = (now - then for now, then in zip(cpu_ticks(), ticks, strict=True))
    server_cpu = process_cpu_s(server) - server_cpu
    output = child.stdout.read().decode() if child.stdout else ""
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    after = counts(sandbox)
    return Step(
        seconds,
        usage.ru_maxrss / 1024,
        after[0] - before[0],
        after[1] - before[1],
        output,
        usage.ru_utime + usage.ru_stime,
        stolen / total if total else 0.0,
        server_cpu,
    )


# What the measured commands import, compiled once before they run.
_WARM_IMPORTS = (
    "import cli.app, flows.sync, flows.build, warehouse, httpcore, h11, msal,"
    " googleapiclient.discovery, google_auth_httplib2"
)


def warm_bytecode(cache: Path) -> dict[str, str]:
    """This environment with its bytecode cache in `cache`, filled before anything is
    measured: as on any machine after a first run (with `PYTHONDONTWRITEBYTECODE` set,
    every command would compile the project's modules again)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run([sys.executable, "-c", _WARM_IMPORTS], env=env, check=True)
    return env


def events_read(output: str) -> int:
    """Events read, from the sync's last line ("Synced N calendars, … M events read")."""
    for line in reversed(output.splitlines()):
        if "events read" in line and line.startswith("Synced"):
            return int(line.split(" events read")[0].rsplit(" ", 1)[1].replace(",", ""))
    raise SystemExit(f"no summary line in the sync's output:\n{output}")


_WAITED = re.compile(r"waited ([\d.,]+) s on provider\s+limits, ([\d.,]+) s on retries")


def waited(output: str) -> tuple[float, float]:
    """Seconds a sync's threads waited on provider limits and on retries, from its
    summary (its log line, which the console does not wrap)."""
    found = _WAITED.search(output)
    if found is None:
        raise SystemExit(f"no waits in the sync's output:\n{output}")
    return float(found[1].replace(",", "")), float(found[2].replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--executor", choices=("threads", "dask"), default="threads")
    parser.add_argument("--skip-naive", action="store_true", help="skip the baseline")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="how many unchanged weeks and fixed-cost runs to take the median of (default 3)",
    )
    parser.add_argument(
        "--google-requests-per-minute",
        type=int,
        help="the Google project's Calendar API quota (default: the documented 10,000)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        results = measure(
            Path(folder),
            args.people,
            args.executor,
            not args.skip_naive,
            args.google_requests_per_minute,
            max(1, args.repeat),
        )
    print(json.dumps(results))
    return 0


def measure(
    root: Path,
    people: int,
    executor: str,
    naive: bool,
    google_quota: int | None = None,
    repeat: int = 3,
) -> dict[str, Any]:
    started = time.perf_counter()
    sandbox = start_sandbox(root / "sandbox", size=people, process=True)
    print(f"sandbox of {people} people serving in {time.perf_counter() - started:.1f} s")
    with sandbox:
        config = root / "oneonone.toml"
        roster = write_roster_csv(sandbox, root / "roster.csv")
        text = sandbox_config(sandbox, roster)
        if google_quota is not None:
            text = text.replace("[google]\n", f"[google]\nrequests_per_minute = {google_quota}\n")
        config.write_text(
            text
            + f'\n[warehouse]\npath = "{root / "w.duckdb"}"\n\n[run]\nexecutor = "{executor}"\n',
            encoding="utf-8",
        )
        env = {
            **warm_bytecode(root / "bytecode"),
            SECRET_VARIABLE: sandbox.microsoft.client_secret.reveal(),  # type: ignore[union-attr]
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        }
        calendars = sum(1 for line in roster.read_text().splitlines()[1:] if line)
        results: dict[str, Any] = {
            "people": people,
            "calendars": calendars,
            "executor": executor,
            "google_requests_per_minute": google_quota or 10_000,
        }
        if naive:
            baseline = [sys.executable, str(HERE / "naive_sync.py"), "--config", str(config)]
            step = run(baseline, env, sandbox)
            figures = json.loads(step.output.strip().splitlines()[-1])
            results["naive"] = {**figures, "seconds": step.seconds, "requests": step.requests}
            print(
                f"naive full re-read: {figures['events']:,} events in {step.seconds:.1f} s;"
                f" {step.stolen:.0%} of the machine's CPU time taken by its host"
            )
        sync = [ONEONONE, "sync", "--config", str(config)]
        full = run(sync, env, sandbox)
        events = events_read(full.output)
        rate = events / full.seconds
        results["full"] = {**_sync_figures(full, calendars), "events": events, "events_per_s": rate}
        print(
            f"full sync: {events:,} events in {full.seconds:.1f} s = {rate:,.0f}/s;"
            f" oneonone's own CPU {full.cpu_s:.1f} s = {full.cpu_s / events * 1e6:.0f} µs per"
            f" event; the sandbox's CPU {full.sandbox_cpu_s:.1f} s;{_waits(results['full'])}"
            f" {full.stolen:.0%} of the machine's CPU time taken by its host"
        )
        pair = config_of(config, roster, pair_roster(roster, root / "pair.csv"), "pair")
        pair_sync = [ONEONONE, "sync", "--config", str(pair)]
        run(pair_sync, env, sandbox)  # the pair's first, full sync
        weeks: list[Step] = []
        fixed_runs: list[Step] = []
        for _ in range(repeat):  # alternated: a slower minute slows both alike
            weeks.append(run(sync, env, sandbox))
            fixed_runs.append(run(pair_sync, env, sandbox))
        again, fixed = median(weeks), median(fixed_runs)
        results["unchanged"] = {**_sync_figures(again, calendars), "runs_s": _seconds(weeks)}
        print(
            f"sync again, nothing changed: {again.seconds:.1f} s ="
            f" {again.seconds / full.seconds:.1%} of the full sync{_spread(weeks)},"
            f" {again.requests} requests"
            f" (+{again.token_requests} token requests),"
            f" {again.seconds / calendars * 1000:.2f} ms per calendar; oneonone's own CPU"
            f" {again.cpu_s:.1f} s, the sandbox's {again.sandbox_cpu_s:.1f} s;"
            f"{_waits(results['unchanged'])}"
            f" {again.stolen:.0%} taken by the host"
        )
        beyond = (again.seconds - fixed.seconds) / (calendars - 2) * 1000
        results["fixed"] = {
            **_sync_figures(fixed, 2),
            "runs_s": _seconds(fixed_runs),
            "beyond_ms_per_calendar": beyond,
        }
        print(
            f"the command's fixed cost (2 calendars, nothing changed): {fixed.seconds:.2f} s"
            f"{_spread(fixed_runs)}, own CPU {fixed.cpu_s:.2f} s; the unchanged week beyond it"
            f" {beyond:.2f} ms per calendar; {fixed.stolen:.0%} taken by the host"
        )
        at = datetime.now(UTC) + timedelta(seconds=1)
        changed = sandbox.server.mutate(change_one_percent, at)  # type: ignore[union-attr]
        after = run(sync, env, sandbox)
        results["one_percent"] = {**_sync_figures(after, calendars), "lines_changed": changed}
        print(
            f"sync after {changed} lines changed: {after.seconds:.1f} s, {after.requests} requests;"
            f" oneonone's own CPU {after.cpu_s:.1f} s, the sandbox's {after.sandbox_cpu_s:.1f} s;"
            f"{_waits(results['one_percent'])}"
            f" {after.stolen:.0%} taken by the host"
        )
        build = run([ONEONONE, "build", "--config", str(config)], env, sandbox)
        results["build"] = _figures(build, calendars)
        print(
            f"build: {build.seconds:.1f} s, peak RSS {build.peak_rss_mb:,.0f} MB;"
            f" {build.stolen:.0%} taken by the host"
        )
        results["by_provider"] = {
            provider: by_provider(config, roster, provider, env, sandbox, repeat, fixed)
            for provider in ("google", "microsoft")
        }
        if naive:
            base = results["naive"]["seconds"]
            print(
                f"full sync {base / full.seconds:.1f}x faster than the naive re-read;"
                f" unchanged week {base / again.seconds:.1f}x faster"
            )
    return results


def by_provider(
    config: Path,
    roster: Path,
    provider: str,
    env: dict[str, str],
    sandbox: Sandbox,
    repeat: int,
    fixed: Step,
) -> dict[str, Any]:
    """One provider's calendars alone, into a warehouse of their own: a full sync, then
    the median of `repeat` unchanged weeks, and what each calendar costs beyond the
    command's `fixed` cost."""
    alone = config.parent / f"{provider}.csv"
    calendars = provider_roster(roster, provider, alone)
    own = config_of(config, roster, alone, provider)
    sync = [ONEONONE, "sync", "--config", str(own)]
    full = run(sync, env, sandbox)
    weeks = [run(sync, env, sandbox) for _ in range(repeat)]
    again = median(weeks)
    events = events_read(full.output)
    beyond = (again.seconds - fixed.seconds) / calendars * 1000
    beyond_cpu = (again.cpu_s - fixed.cpu_s) / calendars * 1000
    print(
        f"{provider} alone ({calendars:,} calendars): full sync {full.seconds:.1f} s ="
        f" {events / full.seconds:,.0f} events/s, own CPU {full.cpu_s:.1f} s, the sandbox's"
        f" {full.sandbox_cpu_s:.1f} s; nothing changed {again.seconds:.2f} s ="
        f" {again.seconds / full.seconds:.1%} of it{_spread(weeks)},"
        f" own CPU {again.cpu_s:.2f} s, the sandbox's {again.sandbox_cpu_s:.2f} s,"
        f" {again.token_requests} token requests; beyond the command's fixed cost"
        f" {beyond:.2f} ms per calendar, own CPU {beyond_cpu:.2f} ms per calendar, the"
        f" sandbox's {again.sandbox_cpu_s / calendars * 1000:.2f} ms"
    )
    return {
        "calendars": calendars,
        "beyond_ms_per_calendar": beyond,
        "beyond_cpu_ms_per_calendar": beyond_cpu,
        "full": {**_sync_figures(full, calendars), "events": events},
        "unchanged": {**_sync_figures(again, calendars), "runs_s": _seconds(weeks)},
    }


def median(steps: list[Step]) -> Step:
    """The step of median seconds (the lower of the middle two for an even count)."""
    return sorted(steps, key=lambda step: step.seconds)[(len(steps) - 1) // 2]


def _seconds(steps: list[Step]) -> list[float]:
    return [round(step.seconds, 3) for step in steps]


def _spread(steps: list[Step]) -> str:
    """What a repeated step's line adds, " (the median of N runs: low-high s)"; nothing
    for a single run."""
    if len(steps) == 1:
        return ""
    low, high = min(s.seconds for s in steps), max(s.seconds for s in steps)
    return f" (the median of {len(steps)} runs: {low:.2f}-{high:.2f} s)"


def _waits(figures: dict[str, float]) -> str:
    """A sync's waits, as its line says them."""
    return (
        f" waited {figures['waited_on_limits_s']:.1f} s on limits,"
        f" {figures['waited_on_retries_s']:.1f} s on retries (threads' sum);"
    )


def _figures(step: Step, calendars: int) -> dict[str, float]:
    figures = asdict(step)
    figures.pop("output")
    return {**figures, "ms_per_calendar": step.seconds / calendars * 1000}


def _sync_figures(step: Step, calendars: int) -> dict[str, float]:
    limits, retries = waited(step.output)
    return {
        **_figures(step, calendars),
        "waited_on_limits_s": limits,
        "waited_on_retries_s": retries,
    }


if __name__ == "__main__":
    sys.exit(main())
