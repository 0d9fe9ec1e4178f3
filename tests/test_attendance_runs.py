"""Attendance through `oneonone sync` and `build` as a user runs them, against a served
sandbox: off touches no call API; on, late Meet records reach the next run, a rerun
leaves every table as it was, and a refused call-record permission keeps the calendars
and names the permission (in the run and in `doctor`)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from cli_kit import oneonone

from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.google_meet import hold_late_activities, release_late_activities
from connectors.sandbox.server import Fault, Reply, SandboxHTTPServer
from warehouse.schema import DERIVED_TABLES

SIZE = 40  # the smallest org
# The sandbox marks a share of every Meet record late, whenever its call was, and a run
# re-reads only `attendance.overlap_hours` before its last read: with the default 48
# hours the held records of this small org may all be older (on 2026-12-04 they were,
# and the test failed), so these runs re-read the longest overlap the config allows.
OVERLAP_HOURS = 24 * 30
CALL_PATHS = ("/admin/reports/", "/communications/callRecords")
GRAPH_CALLS = r"^/graph/v1\.0/communications/callRecords"
VOLATILE = {  # when a run happened, not what it found
    "raw_calls": ("first_seen_at",),
    "call_sync_state": ("read_until", "last_sync"),
    "raw_observations": ("first_seen_at", "last_seen_at", "live_seen_at", "cancel_seen_at"),
    "sync_state": ("cursor", "last_sync", "last_full_sync"),
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("sandbox"), size=SIZE) as served:
        yield served


@pytest.fixture(autouse=True)
def no_fault_left(sandbox: Sandbox) -> Iterator[None]:
    yield
    assert isinstance(sandbox.server, SandboxHTTPServer)
    left = list(sandbox.server.faults)
    sandbox.server.faults.clear()
    assert left == [], "a planted fault was never served"


def sync(sandbox: Sandbox, folder: Path, attendance: bool) -> str:
    """`oneonone sync` against the served sandbox; its output."""
    result = run("sync", sandbox, folder, attendance)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def run(
    command: str, sandbox: Sandbox, folder: Path, attendance: bool
) -> subprocess.CompletedProcess[str]:
    """`oneonone COMMAND` with a configuration that reaches the served sandbox."""
    config = folder / "oneonone.toml"
    if not config.exists():
        roster = write_roster_csv(sandbox, folder / "roster.csv")
        config.write_text(
            sandbox_config(sandbox, roster) + f'\n[warehouse]\npath = "{folder / "w.duckdb"}"\n',
            encoding="utf-8",
        )
    secret = sandbox.microsoft.client_secret
    assert secret is not None
    env = {
        SECRET_VARIABLE: secret.reveal(),
        "ONEONONE_ATTENDANCE__ENABLED": str(attendance).lower(),
        "ONEONONE_ATTENDANCE__OVERLAP_HOURS": str(OVERLAP_HOURS),
    }
    return oneonone(command, "--config", str(config), env=env)


def build(sandbox: Sandbox, folder: Path) -> None:
    result = run("build", sandbox, folder, attendance=True)
    assert result.returncode == 0, result.stdout + result.stderr


def tables(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every stored and derived table's rows, sorted, without the columns that record
    when."""
    stored = ("raw_observations", "sync_state", "raw_calls", "call_sync_state")
    with duckdb.connect(str(folder / "w.duckdb"), read_only=True) as con:
        found = {}
        for name in (*stored, *DERIVED_TABLES):
            columns = [c[0] for c in con.execute(f"DESCRIBE {name}").fetchall()]
            kept = [c for c in columns if c not in VOLATILE.get(name, ())]
            listed = ", ".join(f'"{c}"' for c in kept)
            found[name] = sorted(con.execute(f"SELECT {listed} FROM {name}").fetchall(), key=repr)
        return found


def calls_of(folder: Path) -> int:
    with duckdb.connect(str(folder / "w.duckdb"), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM raw_calls").fetchone()
        assert row is not None
        return int(row[0])


def call_requests(sandbox: Sandbox) -> list[str]:
    return [path for _, path in sandbox.server.requests if any(c in path for c in CALL_PATHS)]


def test_with_attendance_off_no_call_api_is_touched(sandbox: Sandbox, tmp_path: Path) -> None:
    before = len(call_requests(sandbox))
    sync(sandbox, tmp_path, attendance=False)
    assert len(call_requests(sandbox)) == before
    assert calls_of(tmp_path) == 0


def test_late_meet_records_reach_the_next_run_and_a_rerun_changes_nothing(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    hold_late_activities(sandbox.org)
    try:
        sync(sandbox, tmp_path, attendance=True)
    finally:
        release_late_activities(sandbox.org)
    held_back = calls_of(tmp_path)
    assert held_back > 0
    for provider_path in CALL_PATHS:
        assert any(provider_path in path for path in call_requests(sandbox))

    sync(sandbox, tmp_path, attendance=True)  # the late records have arrived
    build(sandbox, tmp_path)
    caught_up = tables(tmp_path)
    assert len(caught_up["raw_calls"]) > held_back
    assert any("attended" in row for row in caught_up["occurrences"])

    sync(sandbox, tmp_path, attendance=True)  # nothing new
    build(sandbox, tmp_path)
    assert tables(tmp_path) == caught_up


def test_a_refused_call_permission_keeps_the_calendars_and_names_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    refused = Reply.json({"error": {"code": "Forbidden", "message": ""}}, status=403)
    sandbox.server.add_fault(Fault(GRAPH_CALLS, refused, 1))
    output = sync(sandbox, tmp_path, attendance=True)

    assert "CallRecords.Read.All" in output
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        state = dict(con.execute("SELECT provider, status FROM call_sync_state").fetchall())
        calendars = con.execute("SELECT count(*) FROM sync_state WHERE status = 'ok'").fetchone()
    assert state["microsoft"] != "ok"
    assert state["google"] == "ok"
    assert calendars is not None and calendars[0] > 0


def test_doctor_reads_call_records_and_names_a_missing_permission(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    refused = Reply.json({"error": {"code": "Forbidden", "message": ""}}, status=403)
    sandbox.server.add_fault(Fault(GRAPH_CALLS, refused, 1))
    result = run("doctor", sandbox, tmp_path, attendance=True)

    lines = result.stdout.splitlines()
    assert any(line.startswith("ok   google call records readable") for line in lines)
    (refusal,) = [line for line in lines if "microsoft call records readable" in line]
    assert refusal.startswith("FAIL") and "CallRecords.Read.All" in refusal
    assert result.returncode != 0
    assert not (tmp_path / "w.duckdb").exists()  # the doctor writes nothing
