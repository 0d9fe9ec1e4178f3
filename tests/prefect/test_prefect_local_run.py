"""The weekly flow run in-process (no Prefect API), as `oneonone run` does: partial
runs, the warehouse lock, the summary file and the backfill history."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from connectors.model import Person
from connectors.sandbox.org import generate_org
from core.errors import BadInputError, WarehouseBusyError
from flows.backfill import as_of_dates, backfill_history, new_install_dates
from flows.pipeline import final_state, weekly_report
from flows.sync import calendars_per_task, interleave, plan_jobs
from runtime.artifacts import RunReport
from runtime.engine import run_flow
from runtime.lock import lock_path, warehouse_lock
from warehouse import query_read_only

AS_OF = date(2026, 11, 16)
SIZE = 60
FAILING = next(
    p.email
    for p in generate_org(size=SIZE, anchor=AS_OF).people
    if p.active and p.provider == "microsoft"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("local-run")
    with pytest.MonkeyPatch.context() as patch, temporary_settings({PREFECT_API_URL: ""}):
        patch.setenv("ONEONONE_WAREHOUSE__PATH", str(root / "w.duckdb"))
        patch.setenv("ONEONONE_REPORT__OUT_DIR", str(root / "out"))
        patch.setenv("ONEONONE_SANDBOX_SIZE", str(SIZE))
        patch.setenv("ONEONONE_RUN__HISTORY_WEEKS", "12")  # the default (conftest lowers it)
        patch.setenv("ONEONONE_SANDBOX_FAIL", FAILING)
        yield root


@pytest.fixture(scope="module")
def partial_run(env: Path) -> Path:
    dashboard = run_flow(weekly_report, as_of=AS_OF)
    assert isinstance(dashboard, Path)
    return dashboard


def sql(root: Path, query: str) -> list[tuple[object, ...]]:
    return query_read_only(root / "w.duckdb", query)[1]


def test_in_process_run_without_an_api_writes_the_dashboard(env: Path, partial_run: Path) -> None:
    assert partial_run == env / "out" / "dashboard.html"
    assert partial_run.is_file()


def test_failing_mailbox_is_recorded_and_the_run_is_partial(env: Path, partial_run: Path) -> None:
    assert sql(env, "select outcome, calendars_failed from runs") == [("partial", 1)]
    assert sql(env, "select calendar_email from sync_state where status = 'failed'") == [(FAILING,)]
    summary = (env / "out" / "run-summary.md").read_text()
    assert ": partial" in summary
    assert f"- {FAILING}" in summary


def test_partial_run_ends_in_a_completed_state_named_partial(tmp_path: Path) -> None:
    dashboard = tmp_path / "dashboard.html"
    report = RunReport(AS_OF, "partial", True, 59, [FAILING], 100, 10, dashboard)
    state = final_state(report)
    assert state.is_completed()
    assert state.name == "Partial"
    assert FAILING in (state.message or "")
    assert state.data == dashboard
    assert final_state(RunReport(AS_OF, "complete", True, 60, [], 100, 10, dashboard)).name == (
        "Completed"
    )


def test_second_run_while_another_process_writes_fails_fast_and_changes_nothing(
    env: Path, partial_run: Path
) -> None:
    warehouse = env / "w.duckdb"
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    summary_before = (env / "out" / "run-summary.md").read_text()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusyError) as caught:
            run_flow(weekly_report, as_of=AS_OF)
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert f"another oneonone run is writing {warehouse} (pid {holder.pid})" in str(caught.value)
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    assert (env / "out" / "run-summary.md").read_text() == summary_before


HOLD_LOCK = """
import sys, time
from runtime.lock import warehouse_lock
with warehouse_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_lock_is_reentrant_within_a_process_and_released_after(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    with warehouse_lock(warehouse), warehouse_lock(warehouse):
        assert lock_path(warehouse).read_text().strip().isdigit()
    probe = subprocess.run(
        [sys.executable, "-c", HOLD_LOCK.replace("time.sleep(60)", "pass"), str(warehouse)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.strip() == "held", probe.stderr


def test_the_first_run_on_a_new_warehouse_starts_with_twelve_weekly_snapshots(
    env: Path, partial_run: Path
) -> None:
    weeks = [AS_OF - timedelta(weeks=n) for n in range(11, -1, -1)]
    for history in ("kpi_history", "org_rollups_history", "manager_metrics_history"):
        assert [day for (day,) in sql(env, f"select distinct as_of from {history} order by 1")] == (
            weeks
        ), history
    backfilled = sql(env, "select distinct as_of from weekly_activity_history order by 1")
    assert [day for (day,) in backfilled] == weeks[:-1]  # the run's own date is weekly_activity
    managers = sql(env, "select count(*) from org_rollups_history group by as_of")
    assert all(count > 0 for (count,) in managers)


def test_a_run_backfills_only_when_no_snapshot_is_older_than_its_date() -> None:
    assert new_install_dates(AS_OF, 3, []) == [AS_OF - timedelta(weeks=2), AS_OF - timedelta(7)]
    assert new_install_dates(AS_OF, 3, [AS_OF]) == new_install_dates(AS_OF, 3, [])
    assert new_install_dates(AS_OF, 3, [AS_OF - timedelta(days=1)]) == []
    assert new_install_dates(AS_OF, 1, []) == new_install_dates(AS_OF, 0, []) == []


def test_backfill_keeps_one_history_snapshot_per_as_of_and_rerun_replaces_it(
    env: Path, partial_run: Path
) -> None:
    start = date(2026, 10, 26)
    for _ in range(2):
        rows = run_flow(backfill_history, start=start, end=AS_OF, every_days=7)
    assert sorted(rows) == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), AS_OF]
    counts = sql(
        env,
        f"select as_of, count(*) from weekly_activity_history where as_of >= '{start}' "
        "group by 1 order by 1",
    )  # the first run backfilled the weeks before `start` too
    assert [(day, n) for day, n in counts] == sorted(rows.items())
    current = sql(env, "select count(*) from weekly_activity")[0][0]
    assert rows[AS_OF] == current


def test_backfill_command_does_what_the_deployment_does(env: Path, partial_run: Path) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    args = ["backfill", "--start", "2026-11-02", "--end", AS_OF.isoformat()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Backfilled 3 as-of dates" in result.output
    days = sql(env, "select distinct as_of from manager_metrics_history order by 1")
    assert {date(2026, 11, 2), date(2026, 11, 9), AS_OF} <= {day for (day,) in days}


def test_as_of_dates_step_through_the_range_and_always_end_on_its_last_day() -> None:
    assert as_of_dates(date(2026, 1, 1), date(2026, 1, 10), 4) == [
        date(2026, 1, 1),
        date(2026, 1, 5),
        date(2026, 1, 9),
        date(2026, 1, 10),
    ]
    with pytest.raises(BadInputError):
        as_of_dates(date(2026, 2, 1), date(2026, 1, 1), 7)


def test_interleave_alternates_providers() -> None:
    assert list(interleave([["g1", "g2", "g3"], ["m1"]])) == ["g1", "m1", "g2", "g3"]


def test_jobs_take_a_few_calendars_each_and_batched_rounds_alternate_providers() -> None:
    people = [Person(f"g{n}@x", "G", None, "google") for n in range(5)]
    people += [Person(f"m{n}@x", "M", None, "microsoft") for n in range(250)]
    cursors: dict[str, str | None] = {f"g{n}@x": "t" for n in range(3)}
    cursors |= {f"m{n}@x": "t" for n in range(240)}
    jobs = plan_jobs(people, cursors, {"google", "microsoft"}, per_job=4)

    single = [(j.provider, [email for email, _ in j.calendars]) for j in jobs if not j.batched]
    assert single == [
        ("google", ["g3@x", "g4@x"]),
        ("microsoft", ["m240@x", "m241@x", "m242@x", "m243@x"]),
        ("microsoft", ["m244@x", "m245@x", "m246@x", "m247@x"]),
        ("microsoft", ["m248@x", "m249@x"]),
    ]
    batched = [(j.provider, len(j.calendars)) for j in jobs if j.batched]
    assert batched == [("google", 3), ("microsoft", 100), ("microsoft", 100), ("microsoft", 40)]
    assert [j.number for j in jobs] == list(range(1, len(jobs) + 1))


def test_a_task_takes_fewer_calendars_when_the_org_is_small() -> None:
    assert calendars_per_task(10_000, 8, 10) == 10
    assert calendars_per_task(200, 8, 10) == 6  # four tasks per worker at least
    assert calendars_per_task(1, 8, 10) == 1
