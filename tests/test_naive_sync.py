"""The naive baseline script syncs the people of a `oneonone` configuration, as it says.

A sandbox of 40 people (the smallest that holds every planted case) is served in this
process, with the configuration and roster `oneonone sandbox` writes; the script runs
as the scale benchmark runs it, and its final JSON line is checked against what the
sandbox served and against what oneonone's own Graph connector reads in the same window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from connectors.microsoft.calendar import MicrosoftCalendarSource
from connectors.sandbox.app import start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from runtime.config import load_config
from runtime.resources import sync_window

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "naive_sync.py"


def test_naive_sync_reads_every_calendar_of_the_config_one_request_per_page(
    tmp_path: Path,
) -> None:
    with start_sandbox(tmp_path / "box", size=40) as sandbox:
        roster = write_roster_csv(sandbox, tmp_path / "roster.csv")
        config_file = tmp_path / "oneonone.toml"
        config_file.write_text(sandbox_config(sandbox, roster), encoding="utf-8")
        secret = sandbox.microsoft.client_secret
        assert secret is not None
        env = {**os.environ, SECRET_VARIABLE: secret.reveal()}
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "--config", str(config_file)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        served = [path for _, path in sandbox.server.requests]

        config = load_config(config_file, environ=env)
        window = sync_window(config, datetime.now(UTC).date())
        people = [p for p in sandbox.org.people if p.active]
        mailboxes = sorted(p.email.lower() for p in people if p.provider == "microsoft")
        graph = MicrosoftCalendarSource(
            sandbox.microsoft, sandbox.http, frozenset(p.email.lower() for p in people), window
        )
        graph_events = sum(graph.sync_calendar(m, None).events_read for m in mailboxes)
        graph.close()

    google, microsoft = figures["by_provider"]["google"], figures["by_provider"]["microsoft"]
    assert figures["people"] == len(people)
    assert microsoft["calendars"] == len(mailboxes)
    assert google["calendars"] == len(people) - len(mailboxes)
    assert figures["events"] == google["events"] + microsoft["events"]
    # Every page it counted is a request the sandbox served, and nothing more.
    assert google["requests"] == sum(1 for path in served if path.endswith("/events"))
    assert microsoft["requests"] == sum(1 for path in served if path.endswith("/calendarView"))
    # Graph's default page of 10 events: many pages per mailbox, all of its events.
    assert microsoft["requests"] >= microsoft["events"] / 10
    assert microsoft["events"] == graph_events
    assert google["events"] > 0
