"""The weekly-report deployment from prefect.yaml on a real Prefect server and process
worker, run against the sandbox: one complete run, one with a mailbox forced to fail,
and one on a Dask cluster of worker processes through Prefect's DaskTaskRunner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from distributed import Client, LocalCluster
from prefect_server import (
    PREFECT,
    PrefectServer,
    free_port,
    prefect_env,
    start,
    stop,
    wait_healthy,
)

from connectors.sandbox.org import generate_org
from warehouse import Warehouse, query_read_only
from warehouse.schema import DERIVED_TABLES

AS_OF = date(2026, 11, 16)
SIZE = 60  # a small sandbox org keeps two full runs within a minute or so
FAILING = next(
    p.email
    for p in generate_org(size=SIZE, anchor=AS_OF).people
    if p.active and p.provider == "microsoft"
)
DEPLOYMENT = "weekly_report/weekly-report"
RUN_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """Server, work pool, deployments and worker, all torn down at the end."""
    root = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(root / "home", api_url)
    process = start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        root / "server.log",
    )
    worker = None
    try:
        wait_healthy(api_url, process, timeout=120)
        prefect = PrefectServer(api_url, env, root)
        prefect.cli("work-pool", "create", "oneonone", "--type", "process")
        prefect.cli("deploy", "--all")
        worker = start(
            [PREFECT, "worker", "start", "--pool", "oneonone", "--limit", "3"],
            env,
            root / "worker.log",
        )
        yield prefect
    finally:
        if worker is not None:
            stop(worker)
        stop(process)


@pytest.fixture(scope="module")
def cluster(server: PrefectServer) -> Iterator[Client]:
    """A Dask cluster of two worker processes whose task runs report to the server."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address="127.0.0.1:0",
            env={k: v for k, v in server.env.items() if k.startswith("PREFECT_")},
        ) as local,
        Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def runs(
    server: PrefectServer, cluster: Client, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, Any], Path]]:
    """The three runs started together (the worker runs three at once), then awaited."""
    started = {}
    on_dask = {
        "ONEONONE_RUN__EXECUTOR": "dask",
        "ONEONONE_RUN__DASK_ADDRESS": cluster.scheduler.address,  # type: ignore[union-attr]
    }
    for label, extra in (
        ("complete", {}),
        ("partial", {"ONEONONE_SANDBOX_FAIL": FAILING}),
        ("dask", on_dask),
    ):
        root = tmp_path_factory.mktemp(f"run-{label}")
        env = {
            "ONEONONE_WAREHOUSE__PATH": str(root / "w.duckdb"),
            "ONEONONE_REPORT__OUT_DIR": str(root / "out"),
            "ONEONONE_SANDBOX_SIZE": str(SIZE),
            **extra,
        }
        parameters = {"as_of": AS_OF.isoformat()}
        started[label] = (server.run_deployment(DEPLOYMENT, parameters, env), root)
    return {
        label: (server.wait(run_id, RUN_TIMEOUT_S), root)
        for label, (run_id, root) in started.items()
    }


def sql(root: Path, query: str) -> list[tuple[Any, ...]]:
    return query_read_only(root / "w.duckdb", query)[1]


def test_prefect_yaml_declares_both_deployments(server: PrefectServer) -> None:
    listed = server.cli("deployment", "ls")
    assert "weekly-report" in listed
    assert "backfill" in listed
    deployment = server.api("GET", f"/deployments/name/{DEPLOYMENT}")
    (schedule,) = deployment["schedules"]
    assert schedule["schedule"]["cron"] == "0 7 * * 1"


def test_scheduled_deployment_run_completes_with_dashboard_and_artifact(
    server: PrefectServer, runs: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    run, root = runs["complete"]
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["state"]["name"] == "Completed"
    assert (root / "out" / "dashboard.html").is_file()
    (artifact,) = server.artifacts(run["id"])
    assert artifact["key"] == "weekly-report"
    assert artifact["type"] == "markdown"
    assert ": complete" in artifact["data"]
    assert str(root / "out" / "dashboard.html") in artifact["data"]
    assert "Chronic cancelers" in artifact["data"]
    assert sql(root, "select outcome from runs") == [("complete",)]


def test_failing_mailbox_makes_a_partial_run_that_names_it(
    server: PrefectServer, runs: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    run, root = runs["partial"]
    assert run["state"]["type"] == "COMPLETED", run["state"]
    assert run["state"]["name"] == "Partial"
    assert FAILING in run["state"]["message"]
    (artifact,) = server.artifacts(run["id"])
    assert f"- {FAILING}" in artifact["data"]
    assert sql(root, "select outcome, calendars_failed from runs") == [("partial", 1)]
    assert FAILING in (root / "out" / "dashboard.html").read_text()


def test_everyone_elses_data_is_intact_in_the_partial_run(
    runs: dict[str, tuple[dict[str, Any], Path]],
) -> None:
    complete, partial = runs["complete"][1], runs["partial"][1]
    status = "select calendar_email, status, events from sync_state order by 1"
    failed = [row for row in sql(partial, status) if row[1] != "ok"]
    assert [row[:2] for row in failed] == [(FAILING, "failed")]
    others = [row for row in sql(partial, status) if row[0] != FAILING]
    assert others == [row for row in sql(complete, status) if row[0] != FAILING]
    held = (
        "select count(*) from occurrences where status = 'held' and {} not in (person_a, person_b)"
    )
    mine = held.format(f"'{FAILING}'")
    assert sql(partial, mine) == sql(complete, mine)


def _stored(root: Path) -> dict[str, pl.DataFrame]:
    """Every table that says what a run found (not when it ran), rows in order."""
    seen = ("first_seen_at", "last_seen_at", "live_seen_at", "cancel_seen_at")
    volatile = {"raw_observations": seen, "sync_state": ("cursor", "last_full_sync", "last_sync")}
    found = {}
    with Warehouse(root / "w.duckdb", read_only=True) as wh:
        for name in ("raw_observations", "sync_state", "roster_snapshots", *DERIVED_TABLES):
            frame = wh.table(name).drop(volatile.get(name, ()))
            found[name] = frame.sort(frame.columns, nulls_last=True)
    return found


def test_a_deployment_run_on_dask_through_prefects_dask_runner_equals_the_threaded_run(
    server: PrefectServer, cluster: Client, runs: dict[str, tuple[dict[str, Any], Path]]
) -> None:
    run, root = runs["dask"]
    assert run["state"]["type"] == "COMPLETED", run["state"]
    ran = cluster.run_on_scheduler(
        lambda dask_scheduler: sorted(dask_scheduler.task_prefixes)  # type: ignore[no-untyped-def]
    )
    assert any("sync" in name for name in ran), ran  # Prefect's task runs, on the cluster
    assert any("compute_partition_files" in name for name in ran), ran  # and the build's
    threaded, on_dask = _stored(runs["complete"][1]), _stored(root)
    assert [name for name in threaded if not threaded[name].equals(on_dask[name])] == []
    assert sql(root, "select outcome from runs") == [("complete",)]
