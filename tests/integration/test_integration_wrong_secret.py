"""A wrong Microsoft secret fails the run instead of publishing a confident, wrong page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cli_kit import oneonone

from connectors.sandbox.app import start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.org import generate_org
from warehouse import Warehouse

ANCHOR = date(2026, 11, 16)
WRONG = "NotTheSecret-7f3a9"


def test_wrong_microsoft_secret_fails_the_run_naming_tenant_and_client_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    org = generate_org(seed=5, size=40, anchor=ANCHOR, background="none")
    with start_sandbox(tmp_path / "sandbox", org=org) as sandbox:
        roster = write_roster_csv(sandbox, tmp_path / "roster.csv")
        config = tmp_path / "oneonone.toml"
        config.write_text(
            sandbox_config(sandbox, roster)
            + '[warehouse]\npath = "w.duckdb"\n[report]\nout_dir = "out"\n',
            encoding="utf-8",
        )
        env = {SECRET_VARIABLE: WRONG}
        done = oneonone("run", "--config", str(config), "--as-of", str(ANCHOR), env=env)
        tenant, client = sandbox.microsoft.tenant_id, sandbox.microsoft.client_id
    assert done.returncode != 0, done.stderr
    assert "every microsoft calendar failed" in done.stderr
    assert tenant in done.stderr and client in done.stderr
    assert WRONG not in done.stdout + done.stderr
    assert not (tmp_path / "out" / "dashboard.html").exists()
    with Warehouse(tmp_path / "w.duckdb", read_only=True) as wh:
        assert wh.table("runs")["outcome"].to_list() == ["failed"]
        google_ok = wh.table("sync_state").filter(provider="google")["status"].unique()
    assert google_ok.to_list() == ["ok"], "the other provider's calendars are still stored"
