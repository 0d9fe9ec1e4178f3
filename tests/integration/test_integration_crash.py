"""A sync process killed mid-run and rerun leaves the warehouse an uninterrupted run leaves.

The sandbox runs in this process; the sync runs in a child (crash_sync.py) configured
like a real deployment (CSV roster, key file, endpoints, CA bundle, secret from the
environment). One calendar's first request hangs, so the kill lands deterministically
after the calendars before it were committed and while that one is being read.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from crash_sync import run
from sync_world import all_tables, build_context, differing_tables

from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.org import generate_org
from connectors.sandbox.server import Reply, Request
from warehouse import Warehouse
from warehouse.staging import staged_files

ANCHOR = date(2026, 11, 16)
OBSERVED = datetime.combine(ANCHOR, time(12), tzinfo=UTC)
HERE = Path(__file__).parent
ROOT = HERE.parents[1]


class Hang:
    """A route answering one calendar's listing only when released (then with a 503)."""

    def __init__(self, sandbox: Sandbox, path_regex: str) -> None:
        self.hit, self.release = threading.Event(), threading.Event()
        self._server = sandbox.server
        self._route = ("GET", re.compile(path_regex), self._handle)
        self._server.routes.insert(0, self._route)  # ahead of the real route

    def _handle(self, request: Request) -> Reply:
        self.hit.set()
        self.release.wait(60)
        return Reply.json({"error": {"code": 503, "message": "gone"}}, 503)

    def remove(self) -> None:
        self.release.set()
        self._server.routes.remove(self._route)


def _child(config: Path, warehouse: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    args = [str(config), str(warehouse), ANCHOR.isoformat(), OBSERVED.isoformat()]
    return subprocess.Popen(
        [sys.executable, str(HERE / "crash_sync.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _calendars_kept(path: Path) -> int:
    """Calendars the killed run committed or staged (a staged file is merged by the rerun)."""
    staged = staged_files(path.with_name(path.name + ".staging"))
    with Warehouse(path, read_only=True) as wh:
        return wh.table("sync_state").height + sum(len(f.calendars) for f in staged)


def _built(path: Path) -> dict[str, object]:
    with Warehouse(path) as wh:
        wh.build(build_context(ANCHOR))
        return dict(all_tables(wh))


def test_killed_sync_rerun_ends_with_the_warehouse_of_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = generate_org(seed=5, size=40, anchor=ANCHOR, background="none")
    with start_sandbox(tmp_path / "sandbox", org=org) as sandbox:
        roster = write_roster_csv(sandbox, tmp_path / "roster.csv")
        config = tmp_path / "oneonone.toml"
        config.write_text(sandbox_config(sandbox, roster), encoding="utf-8")
        secret = sandbox.microsoft.client_secret.reveal()
        env = {**os.environ, SECRET_VARIABLE: secret, "PYTHONPATH": str(ROOT)}
        people = [p for p in org.people if p.active]
        victim = next(p.email for p in people[len(people) // 2 :] if p.provider == "google")
        local, domain = (re.escape(part) for part in victim.split("@"))
        hang = Hang(sandbox, rf"/calendar/v3/calendars/{local}(@|%40){domain}/events")
        crashed = tmp_path / "crashed.duckdb"
        child = _child(config, crashed, env)
        reached = hang.hit.wait(60)
        child.send_signal(signal.SIGKILL)
        _, child_errors = child.communicate(timeout=30)
        assert reached, f"the child never reached the hanging calendar: {child_errors}"
        hang.remove()
        committed = _calendars_kept(crashed)
        assert 0 < committed < len(people), "the kill should land mid-run"
        rerun = _child(config, crashed, env)
        _, errors = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, errors
        monkeypatch.setenv(SECRET_VARIABLE, secret)
        run(config, tmp_path / "reference.duckdb", ANCHOR, OBSERVED)
    crashed_tables, reference = _built(crashed), _built(tmp_path / "reference.duckdb")
    assert differing_tables(crashed_tables, reference) == []  # type: ignore[arg-type]
