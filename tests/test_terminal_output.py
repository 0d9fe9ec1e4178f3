"""Data reaches the terminal as the characters it holds: never as markup or escapes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from cli_kit import oneonone

from connectors.roster import CsvRoster
from warehouse import Warehouse

AS_OF = date(2026, 11, 16)
CLOSE = "[/]"
LINK = "[link=http://x]y[/link]"
OSC8 = "\x1b]8;;http://x\x1b\\"
BOSS = "[link=http://x]boss[/link]@example.com"
REPORT = "ana\x1b]8;;http://x\x1b\\@example.com"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A warehouse holding a CSV roster whose names and addresses look like markup."""
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,manager_email,provider\n"
        f'"{BOSS}",{CLOSE},,google\n'
        f"{REPORT},{LINK},{BOSS},google\n"
        f"bob@example.com,Bob {OSC8}evil,{BOSS},microsoft\n",
        encoding="utf-8",
    )
    warehouse = tmp_path / "w.duckdb"
    with Warehouse(warehouse) as db:
        db.snapshot_roster(CsvRoster(roster).people(), AS_OF)
    return {"ONEONONE_WAREHOUSE__PATH": str(warehouse)}


def test_sql_prints_markup_and_escapes_in_names_as_plain_text(env: dict[str, str]) -> None:
    query = 'select name as "[/]", email from roster_snapshots order by name'
    result = oneonone("sql", query, env=env)
    assert result.returncode == 0, result.stderr
    assert CLOSE in result.stdout
    assert LINK in result.stdout
    assert "\x1b" not in result.stdout
    assert "Bob \\x1b]8;;http://x\\x1b\\evil" in result.stdout
    assert "(3 rows)" in result.stdout


def test_explain_prints_markup_and_escapes_in_addresses_as_plain_text(
    env: dict[str, str],
) -> None:
    result = oneonone("explain", REPORT, "--as-of", AS_OF.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    assert f"reports to {BOSS}" in result.stdout
    assert "ana\\x1b]8;;http://x\\x1b\\@example.com" in result.stdout
    assert "\x1b" not in result.stdout


def test_error_about_an_argument_prints_it_as_plain_text(env: dict[str, str]) -> None:
    result = oneonone("explain", f"{CLOSE}{LINK}{OSC8}", "--as-of", AS_OF.isoformat(), env=env)
    assert result.returncode == 2, result.stderr
    assert f"{CLOSE}{LINK}\\x1b]8;;http://x\\x1b\\ has no reporting line" in result.stderr
    assert "\x1b" not in result.stderr


def test_doctor_prints_paths_and_errors_as_plain_text(tmp_path: Path) -> None:
    odd = tmp_path / "[bold]w.duckdb"
    done = oneonone("doctor", env={"ONEONONE_WAREHOUSE__PATH": str(odd)}, cwd=tmp_path)
    assert "[bold]w.duckdb" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[str, str]:
    """Run `oneonone *args` with stderr on a pseudo-terminal: (stdout, terminal text)."""
    import os
    import pty
    import subprocess

    from cli_kit import ONEONONE

    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "ONEONONE_SANDBOX_SIZE": "40"}
    env.update(PREFECT_API_URL="", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    proc = subprocess.Popen(
        [ONEONONE, *args], stdout=subprocess.PIPE, stderr=child, env=env, cwd=cwd
    )
    os.close(child)
    seen = bytearray()
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.communicate(timeout=600)[0].decode()
    os.close(main)
    assert proc.returncode == 0, seen.decode(errors="replace")
    return stdout, seen.decode(errors="replace")


def test_sync_on_a_terminal_shows_a_progress_bar_instead_of_log_lines(tmp_path: Path) -> None:
    _, terminal = _on_a_terminal(["sync", "--as-of", AS_OF.isoformat()], tmp_path)
    assert "Syncing" in terminal and "events read" in terminal
    assert re.search(r"(?<!\d)(\d+)/\1(?!\d)", terminal), "the bar reaches every calendar"
    assert "calendars, " not in terminal, "the 10 % log lines are for non-terminals"


def test_sync_with_verbose_logs_plain_lines_even_on_a_terminal(tmp_path: Path) -> None:
    _, terminal = _on_a_terminal(["sync", "--verbose", "--as-of", AS_OF.isoformat()], tmp_path)
    assert re.search(r"(?<!\d)(\d+)/\1 calendars, ", terminal) and "Syncing" not in terminal
