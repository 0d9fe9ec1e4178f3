"""A manager's own run (`roster.source = "self"`) equals, for that manager's lines, the
organisation's run of the same sandbox: signed in through the real libraries, only the
manager's calendar read, through the `oneonone` command as a person runs it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from self_kit import login_google, login_microsoft, oneonone, self_config, team_csv

from connectors.sandbox.app import Sandbox, start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.google_consent import set_browser_user
from connectors.sandbox.org import generate_org
from warehouse import Warehouse

ANCHOR = date(2026, 11, 16)
COMPARED = ("pair_metrics", "occurrences", "neglected_reports")
# What says which calendars were read, not what happened: the line's `data` (one side
# read: partial), an occurrence's `providers` (whose calendars held a copy) and its
# `series_key` (the smallest of the copies' series ids: Graph's differ per mailbox).
ONE_SIDED = ("data", "providers", "series_key")


@dataclass(frozen=True)
class World:
    sandbox: Sandbox
    warehouse: Path  # the organisation's run's
    roster: Path  # the organisation's roster CSV


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The sandbox, and the organisation's run of it."""
    folder = tmp_path_factory.mktemp("org")
    org = generate_org(seed=11, size=40, anchor=ANCHOR, background="none")
    with start_sandbox(folder / "sandbox", org=org) as sandbox:
        roster = write_roster_csv(sandbox, folder / "roster.csv")
        config = folder / "org.toml"
        config.write_text(
            sandbox_config(sandbox, roster) + f'\n[warehouse]\npath = "{folder / "org.duckdb"}"\n',
            encoding="utf-8",
        )
        os.environ[SECRET_VARIABLE] = sandbox.microsoft.client_secret.reveal()
        for command in ("sync", "build"):
            done = oneonone(command, "--config", str(config), "--as-of", ANCHOR.isoformat())
            assert done.returncode == 0, done.stderr
        yield World(sandbox, folder / "org.duckdb", roster)


def manager_of(sandbox: Sandbox, provider: str) -> str:
    """A manager on `provider` with a planted neglected report if there is one, else the
    one with the most direct reports."""
    people = [p for p in sandbox.org.people if p.active]
    teams = {
        m.email: {p.email for p in people if p.manager_email == m.email}
        for m in people
        if m.provider == provider
    }
    neglected = sandbox.org.truth.neglected
    return max(sorted(teams), key=lambda email: (bool(teams[email] & neglected), len(teams[email])))


def lines_of(warehouse: Path, manager: str) -> dict[str, pl.DataFrame]:
    with Warehouse(warehouse, read_only=True) as wh:
        return {
            name: wh.table(name).filter(pl.col("manager_email") == manager).sort(pl.all())
            for name in COMPARED
        }


def test_a_google_managers_own_run_equals_the_organisations_for_their_lines(
    world: World, tmp_path: Path
) -> None:
    sandbox = world.sandbox
    manager = manager_of(sandbox, "google")
    reports = team_csv(world.roster, manager, tmp_path / "team.csv")
    me = self_config(sandbox, tmp_path, "google", reports)
    set_browser_user(sandbox.org, manager)
    signed = login_google(me, sandbox.http.ca_bundle)
    assert signed.returncode == 0, signed.stderr
    assert f"Signed in as {manager}" in signed.stdout
    token_file = tmp_path / "tokens" / "google-signin.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    ran = oneonone("run", "--config", str(me.config), "--as-of", ANCHOR.isoformat())
    assert ran.returncode == 0, ran.stderr
    assert (me.out / "dashboard.html").is_file() and not (me.out / "orgs").exists()
    assert_same_lines(me.warehouse, world.warehouse, manager)


def test_a_microsoft_managers_own_run_equals_the_organisations_for_their_lines(
    world: World, tmp_path: Path
) -> None:
    sandbox = world.sandbox
    manager = manager_of(sandbox, "microsoft")
    # Graph gives a signed-in manager their reports but not when each line started: the
    # organisation roster's CSV gives those dates, as it did to the organisation's run.
    details = team_csv(world.roster, manager, tmp_path / "team.csv")
    me = self_config(sandbox, tmp_path, "microsoft", details)
    signed = login_microsoft(me, manager, sandbox.http.ca_bundle)
    assert signed.returncode == 0, signed.stderr
    assert f"Signed in as {manager}" in signed.stdout
    token_file = tmp_path / "tokens" / "microsoft-signin.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for _ in range(2):  # the second run replays the stored delta link
        ran = oneonone("run", "--config", str(me.config), "--as-of", ANCHOR.isoformat())
        assert ran.returncode == 0, ran.stderr
    assert_same_lines(me.warehouse, world.warehouse, manager)
    with Warehouse(me.warehouse, read_only=True) as wh:
        synced = wh.table("sync_state")
    assert synced["calendar_email"].to_list() == [manager]


def assert_same_lines(own_warehouse: Path, org_warehouse: Path, manager: str) -> None:
    """Every figure of the manager's lines is the organisation run's. Only `data` says
    what differs: one side of each line was read (`partial`), not both (`ok`)."""
    own, org = lines_of(own_warehouse, manager), lines_of(org_warehouse, manager)
    assert set(own["pair_metrics"]["data"]) == {"partial"}
    assert set(org["pair_metrics"]["data"]) == {"ok"}
    for name in COMPARED:
        assert own[name].height > 0 or name == "neglected_reports", name
        mine, theirs = (
            own[name].drop(*ONE_SIDED, strict=False),
            org[name].drop(*ONE_SIDED, strict=False),
        )
        # Floats to the last bit or so: the two builds add in different orders.
        assert_frame_equal(mine, theirs, check_exact=False, rel_tol=1e-12, abs_tol=0)
