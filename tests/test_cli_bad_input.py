"""Bad configuration stops `oneonone run` with one clear error, exit code 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_kit import oneonone

from connectors.sandbox.google_auth import write_service_account_key
from warehouse import Warehouse

SECRET = "TopLevelSecretValue42"


def run_with(tmp_path: Path, config: bytes, env: dict[str, str] | None = None) -> str:
    """`oneonone run` on `config` in an empty directory; its error after checking that it
    exited 2 with one message, no traceback, and wrote nothing."""
    path = tmp_path / "oneonone.toml"
    path.write_bytes(config)
    result = oneonone("run", "--config", str(path), "--as-of", "2026-11-16", env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oneonone.toml"]
    return result.stderr


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (b'[http]\nca_bundle = "missing.pem"\n', ["http.ca_bundle", "missing.pem", "PEM"]),
        (b"[metrics]\nwindow_days = 1e9\n", ["metrics.window_days", "less than or equal to 3660"]),
        (b"[sync]\nhistory_days = 1e8\n", ["sync.history_days", "less than or equal to 3660"]),
        (b"[sync]\nhorizon_days = 100000\n", ["sync.horizon_days", "less than or equal to 366"]),
        (b'[org]\ntimezone = "UTC"\n# caf\xe9\n', ["oneonone.toml: line 3", "expected a UTF-8"]),
    ],
    ids=["missing-ca-bundle", "huge-window", "huge-history", "huge-horizon", "not-utf8"],
)
def test_bad_config_value_stops_the_run_naming_key_and_expectation_writing_nothing(
    tmp_path: Path, config: bytes, expected: list[str]
) -> None:
    error = run_with(tmp_path, config)
    assert "oneonone.toml" in error
    for part in expected:
        assert part in error


def test_config_path_that_is_a_directory_stops_the_run_writing_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "conf.d"
    folder.mkdir()
    result = oneonone("run", "--config", str(folder), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {folder}: is a directory; expected a TOML")
    assert [p.name for p in tmp_path.iterdir()] == ["conf.d"]


@pytest.mark.parametrize(
    "config",
    [f'microsoft = "{SECRET}"\n', f'[report]\nemail = "{SECRET}"\n'],
    ids=["section", "report-email"],
)
def test_section_given_as_a_string_names_the_key_not_the_value(tmp_path: Path, config: str) -> None:
    error = run_with(tmp_path, config.encode())
    assert SECRET not in error
    assert "expected a table" in error


def test_environment_error_names_the_variable_not_the_file_or_value(tmp_path: Path) -> None:
    env = {"ONEONONE_MICROSOFT__CLIENT_SECRET": SECRET, "ONEONONE_NOSUCH__KEY": SECRET}
    error = run_with(tmp_path, b'[org]\ntimezone = "UTC"\n', env)
    assert SECRET not in error
    assert "ONEONONE_MICROSOFT__CLIENT_SECRET: microsoft.client_secret: expected 'env:" in error
    assert "ONEONONE_NOSUCH__KEY: nosuch: unknown key" in error
    assert "oneonone.toml" not in error


def test_environment_inconsistency_names_the_variable_not_the_file(tmp_path: Path) -> None:
    env = {"ONEONONE_PRIVACY__PSEUDONYMIZE": "true"}
    error = run_with(tmp_path, b'[org]\ntimezone = "UTC"\n', env)
    assert error.startswith("error: ONEONONE_PRIVACY__PSEUDONYMIZE: privacy.key: required")


ROSTER_HEADER = "email,name,manager_email,provider\n"
CYCLE = ROSTER_HEADER + "a@x.org,A,b@x.org,google\nb@x.org,B,a@x.org,google\n"
GOOD = ROSTER_HEADER + "a@x.org,A,,google\nb@x.org,B,a@x.org,google\n"
LATIN1 = (ROSTER_HEADER + "a@x.org,Andr\xe9,,google\n").encode("latin-1")


@pytest.mark.parametrize(
    ("roster", "google_key", "expected"),
    [
        (CYCLE.encode(), True, "cycle"),
        (None, True, "roster file not found"),
        (GOOD.encode(), False, "google.service_account_file"),
        (LATIN1, True, "UTF-8"),
    ],
    ids=["roster-cycle", "missing-roster", "missing-key-file", "latin-1-roster"],
)
def test_bad_roster_or_key_file_leaves_an_existing_warehouse_untouched(
    tmp_path: Path, roster: bytes | None, google_key: bool, expected: str
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    with Warehouse(state / "w.duckdb"):
        pass
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    if roster is not None:
        (tmp_path / "roster.csv").write_bytes(roster)
    if google_key:
        write_service_account_key(tmp_path / "key.json", "https://127.0.0.1:9/token")
    config = tmp_path / "oneonone.toml"
    config.write_text(
        '[roster]\nsource = "csv"\npath = "roster.csv"\n'
        '[google]\nservice_account_file = "key.json"\n'
        '[warehouse]\npath = "state/w.duckdb"\n[report]\nout_dir = "out"\n'
    )
    result = oneonone("run", "--config", str(config), "--as-of", "2026-11-16", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert expected in result.stderr
    assert {p.name: p.read_bytes() for p in state.iterdir()} == before
    assert not (tmp_path / "out").exists()
