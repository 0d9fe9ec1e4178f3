"""A whole run with pseudonymisation on: no email or name reaches the warehouse or reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cli_kit import oneonone
from typer.testing import CliRunner

from cli.app import app
from connectors.sandbox.org import generate_org
from connectors.settings import Secret
from runtime.privacy import Pseudonymizer
from warehouse import query_read_only

AS_OF = date(2026, 11, 16)


def stored_text(warehouse: Path) -> set[str]:
    columns = query_read_only(
        warehouse,
        "select table_name, column_name from information_schema.columns"
        " where data_type = 'VARCHAR'",
    )[1]
    return {
        str(value)
        for table, column in columns
        for (value,) in query_read_only(warehouse, f'select distinct "{column}" from "{table}"')[1]
        if value
    }


def pseudonymised(tmp_path: Path, size: int) -> dict[str, str]:
    """The environment of a pseudonymised sandbox run writing under `tmp_path`."""
    return {
        "ONEONONE_WAREHOUSE__PATH": str(tmp_path / "w.duckdb"),
        "ONEONONE_REPORT__OUT_DIR": str(tmp_path / "out"),
        "ONEONONE_PRIVACY__PSEUDONYMIZE": "true",
        "ONEONONE_PRIVACY__KEY": "env:TEST_PSEUDONYM_KEY",
        "TEST_PSEUDONYM_KEY": "not-a-real-key",
        "ONEONONE_SANDBOX_SIZE": str(size),
    }


def test_pseudonymised_run_stores_and_shows_no_email_or_name(tmp_path: Path) -> None:
    env = pseudonymised(tmp_path, 60)
    result = CliRunner(env=env).invoke(app, ["run", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    org = generate_org(size=60, anchor=AS_OF)
    people = {m.email for m in org.people} | {m.name for m in org.people}
    assert not people & stored_text(tmp_path / "w.duckdb")
    pages = [p for p in (tmp_path / "out").rglob("*") if p.suffix in {".html", ".csv", ".md"}]
    assert pages
    for page in pages:
        text = page.read_text()
        assert "@example.com" not in text, page
    neglected = query_read_only(tmp_path / "w.duckdb", "select count(*) from neglected_reports")
    assert neglected[1] == [(len(org.truth.neglected),)]


@pytest.mark.parametrize(
    "key",
    [None, "env:ONEONONE_TEST_UNSET_KEY"],
    ids=["no-key", "unset-variable"],
)
def test_pseudonymisation_without_a_usable_key_stops_before_writing(
    tmp_path: Path, key: str | None
) -> None:
    env = {
        "ONEONONE_WAREHOUSE__PATH": str(tmp_path / "w.duckdb"),
        "ONEONONE_PRIVACY__PSEUDONYMIZE": "true",
    }
    if key:
        env["ONEONONE_PRIVACY__KEY"] = key
    result = CliRunner(env=env).invoke(app, ["run", "--as-of", AS_OF.isoformat()])
    assert result.exit_code != 0
    assert "privacy.key" in str(result.exception)
    assert not (tmp_path / "w.duckdb").exists()


def test_pseudonymised_run_with_a_failing_mailbox_logs_no_email_or_name(tmp_path: Path) -> None:
    size = 40
    org = generate_org(size=size, anchor=AS_OF)
    failing = next(p.email for p in org.people if p.active and p.provider == "microsoft")
    env = {**pseudonymised(tmp_path, size), "ONEONONE_SANDBOX_FAIL": failing}
    result = oneonone("run", "--as-of", AS_OF.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    leaked = {m.email for m in org.people} | {m.name for m in org.people}
    assert not {word for word in leaked if word in output}
    assert "@example.com" not in output
    assert "calendar p-" in output and "failed" in output  # the failure is still reported


def test_failure_reason_naming_the_mailbox_url_encoded_or_in_capitals_is_pseudonymised() -> None:
    ingest = Pseudonymizer(Secret("not-a-real-key"))
    reason = (
        "GET /users/Ana%40Example.com/calendarView?user=ana%40example.com: 404 (Ana@Example.com)"
    )
    shown = ingest.text(reason, "ana@example.com")
    assert "ana" not in shown.lower()
    assert shown.count(ingest.email("ana@example.com")) == 3
