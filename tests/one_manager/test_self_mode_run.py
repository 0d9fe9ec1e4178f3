"""A manager's own run (`roster.source = "self"`) equals, for that manager's lines, the
organisation's run of the same sandbox: signed in through the real libraries, only the
manager's calendar read, through the `oneonone` command as a person runs it."""

from __future__ import annotations

import stat
from pathlib import Path

from self_kit import (
    ANCHOR,
    World,
    assert_same_lines,
    login_google,
    login_microsoft,
    manager_of,
    oneonone,
    self_config,
    team_csv,
)

from connectors.sandbox.google_consent import set_browser_user
from warehouse import Warehouse


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
