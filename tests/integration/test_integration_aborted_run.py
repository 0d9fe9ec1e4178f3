"""A run killed mid-way leaves a `runs` row without outcome; the next run marks it aborted.

`oneonone run` runs as a child process against the sandbox served here; one calendar's
listing hangs (test_integration_crash.Hang) so the SIGKILL lands mid-sync, after the
run recorded its start.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from test_integration_crash import ANCHOR, ROOT, Hang

from connectors.sandbox.app import start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.org import generate_org
from warehouse import query_read_only

ONEONONE = Path(sys.executable).with_name("oneonone")


def _run(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(ONEONONE), "run", "--config", str(config), "--as-of", ANCHOR.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_run_is_marked_aborted_by_the_next_run(tmp_path: Path) -> None:
    org = generate_org(seed=5, size=40, anchor=ANCHOR, background="none")
    warehouse = tmp_path / "w.duckdb"
    with start_sandbox(tmp_path / "sandbox", org=org) as sandbox:
        config = tmp_path / "oneonone.toml"
        roster = write_roster_csv(sandbox, tmp_path / "roster.csv")
        config.write_text(sandbox_config(sandbox, roster), encoding="utf-8")
        env = {
            **os.environ,
            SECRET_VARIABLE: sandbox.microsoft.client_secret.reveal(),
            "ONEONONE_WAREHOUSE__PATH": str(warehouse),
            "ONEONONE_REPORT__OUT_DIR": str(tmp_path / "out"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
        }
        victim = next(p.email for p in org.people if p.active and p.provider == "google")
        local, domain = (re.escape(part) for part in victim.split("@"))
        hang = Hang(sandbox, rf"/calendar/v3/calendars/{local}(@|%40){domain}/events")
        killed = _run(config, env)
        reached = hang.hit.wait(120)
        killed.send_signal(signal.SIGKILL)
        _, errors = killed.communicate(timeout=30)
        assert reached, f"the run never reached the hanging calendar: {errors}"
        hang.remove()
        assert _runs(warehouse) == [(None, False)], "the killed run left its row open"
        rerun = _run(config, env)
        _, errors = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, errors
    assert _runs(warehouse) == [("aborted", False), ("complete", True)]
    noticed = "SELECT count(*) FROM runs WHERE aborted_seen_at IS NOT NULL AND outcome = 'aborted'"
    assert query_read_only(warehouse, noticed)[1] == [(1,)]


def _runs(warehouse: Path) -> list[tuple[object, ...]]:
    """(outcome, finished?) per run, oldest first."""
    query = "SELECT outcome, finished_at IS NOT NULL FROM runs ORDER BY started_at"
    return query_read_only(warehouse, query)[1]
