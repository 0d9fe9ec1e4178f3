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
)

from connectors.sandbox.graph_devicelogin import expire_access_tokens, revoke_sign_ins
from warehouse import Warehouse


def test_a_google_managers_own_run_equals_the_organisations_for_their_lines(
    world: World, tmp_path: Path
) -> None:
    sandbox = world.sandbox
    manager = manager_of(sandbox, "google")
    me = self_config(sandbox, tmp_path, "google", manager, world.roster)
    signed = login_google(me, sandbox.http.ca_bundle, manager)
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
    # team's CSV gives those dates, as the organisation's roster did to its run.
    me = self_config(sandbox, tmp_path, "microsoft", manager, world.roster)
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
    checked = oneonone("doctor", "--config", str(me.config))
    assert checked.returncode == 0, checked.stdout
    assert f"microsoft calendars readable: {manager}" in checked.stdout


def test_a_revoked_or_forgotten_sign_in_asks_to_log_in_again_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    sandbox = world.sandbox
    manager = manager_of(sandbox, "microsoft")
    me = self_config(sandbox, tmp_path, "microsoft", manager, world.roster)
    assert login_microsoft(me, manager, sandbox.http.ca_bundle).returncode == 0
    revoke_sign_ins(sandbox.org, manager)  # an admin revoked the person's sessions
    expire_access_tokens(sandbox.org)
    refused = oneonone("sync", "--config", str(me.config))
    assert refused.returncode == 1
    assert "run `oneonone login microsoft` again" in " ".join(refused.stderr.split())
    forgot = oneonone("logout", "microsoft", "--config", str(me.config))
    assert forgot.returncode == 0 and "Forgot" in forgot.stdout, forgot.stderr
    assert not (tmp_path / "tokens" / "microsoft-signin.json").exists()
    missing = oneonone("sync", "--config", str(me.config))
    assert missing.returncode == 1
    assert "no Microsoft sign-in: run `oneonone login microsoft`" in missing.stderr
    assert not me.warehouse.exists()
