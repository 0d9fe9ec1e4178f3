"""Configuration: defaults, TOML, environment overrides and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.templates import CONFIG_TEMPLATE
from connectors.limits import Rate
from core.errors import BadInputError
from runtime.config import load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "oneonone.toml"
    path.write_text(text)
    return path


def test_no_file_is_the_sandbox_with_design_defaults() -> None:
    config = load_config(None, environ={})
    assert config.uses_sandbox
    assert config.metrics.window_days == 90
    assert config.org.calendar().workdays == (1, 2, 3, 4, 5)
    assert config.http.max_concurrency == 8


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[warehouse]\npath = "data/w.duckdb"\n[roster]\nsource="csv"\npath="r.csv"'
    )
    config = load_config(path, environ={})
    assert config.warehouse.path == tmp_path / "data" / "w.duckdb"
    assert config.roster.path == tmp_path / "r.csv"


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    config = load_config(None, environ={"ONEONONE_WAREHOUSE__PATH": str(tmp_path / "w.duckdb")})
    assert config.warehouse.path == tmp_path / "w.duckdb"
    assert config.report.out_dir == Path.cwd() / "out"


def test_environment_overrides_file_values(tmp_path: Path) -> None:
    path = write(tmp_path, '[org]\ntimezone = "Europe/Berlin"\n')
    env = {"ONEONONE_ORG__TIMEZONE": "Asia/Kolkata", "ONEONONE_METRICS__WINDOW_DAYS": "30"}
    config = load_config(path, environ=env)
    assert config.org.timezone == "Asia/Kolkata"
    assert config.metrics.window_days == 30


def test_bad_value_names_file_key_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, '[org]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(BadInputError) as caught:
        load_config(path, environ={})
    assert str(path) in str(caught.value)
    assert "org.timezone" in str(caught.value)
    assert "IANA time zone" in str(caught.value)


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"ONEONONE_HTTP__TIMEOUT_S: http\.timeout_s"):
        load_config(None, environ={"ONEONONE_HTTP__TIMEOUT_S": "-1"})


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "[metrics]\nwindow_dayz = 30\n")
    with pytest.raises(BadInputError, match=r"metrics\.window_dayz: unknown key"):
        load_config(path, environ={})


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[org]\ntimezone = \n")
    with pytest.raises(BadInputError, match=r"not valid TOML.*line 2"):
        load_config(path, environ={})


def test_inline_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[microsoft]\nclient_secret = "s3cr3t~value.Q"\n')
    with pytest.raises(BadInputError) as caught:
        load_config(path, environ={})
    assert "microsoft.client_secret" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_csv_roster_needs_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[roster]\nsource = "csv"\n')
    with pytest.raises(BadInputError, match=r"roster\.path: required"):
        load_config(path, environ={})


def test_workday_names_become_iso_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, '[org]\nworkdays = ["Sun", "Mon", "Tue", "Wed", "Thu"]\n')
    assert load_config(path, environ={}).org.calendar().workdays == (1, 2, 3, 4, 7)


def test_init_template_is_a_valid_configuration(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG_TEMPLATE)
    config = load_config(path, environ={})
    assert config.roster.source == "csv"


def test_init_template_shows_every_default_of_the_configuration_model() -> None:
    defaults = load_config(None, environ={})
    assert f"# window_days = {defaults.metrics.window_days}\n" in CONFIG_TEMPLATE
    assert f"# neglect_days = {defaults.metrics.neglect_days}\n" in CONFIG_TEMPLATE
    assert f'# graph_endpoint = "{defaults.microsoft.graph_endpoint}"\n' in CONFIG_TEMPLATE
    assert '# workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]\n' in CONFIG_TEMPLATE
    assert "$" not in CONFIG_TEMPLATE


def test_provider_limits_default_to_the_documented_quotas() -> None:
    config = load_config(None, environ={})
    google, microsoft = config.google.limits(), config.microsoft.limits()
    assert (google.requests_per_minute, google.requests_per_minute_per_calendar) == (10_000, 600)
    assert google.batch_size == 50
    assert (microsoft.concurrent_per_mailbox, microsoft.batch_size) == (4, 20)
    assert microsoft.requests_per_10_minutes_per_mailbox == 10_000


def test_provider_limits_can_be_set_in_the_file_and_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[google]\nbatch_size = 1000\nrequests_per_minute = 20000\n")
    env = {"ONEONONE_MICROSOFT__CONCURRENT_PER_MAILBOX": "2"}
    config = load_config(path, environ=env)
    assert config.google.limits().batch_size == 1000
    assert config.google.limits().quota.project == Rate(20_000, 60)
    assert config.microsoft.limits().quota.concurrent_per_key == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[google]\nbatch_size = 1001\n",
            r"google\.batch_size: Input should be less than or equal to 1000 \(got 1001\)",
            id="google-batch-past-1000",
        ),
        pytest.param(
            "[microsoft]\nbatch_size = 21\n",
            r"microsoft\.batch_size: Input should be less than or equal to 20 \(got 21\)",
            id="graph-batch-past-20",
        ),
        pytest.param(
            "[microsoft]\nconcurrent_per_mailbox = 0\n",
            r"microsoft\.concurrent_per_mailbox: Input should be greater than or equal to 1",
            id="no-concurrency",
        ),
        pytest.param(
            '[google]\nrequests_per_minute_per_calendar = "fast"\n',
            r"google\.requests_per_minute_per_calendar: Input should be a valid integer",
            id="not-a-number",
        ),
    ],
)
def test_bad_provider_limit_names_the_file_the_key_and_the_bounds(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(BadInputError, match=rf"{path}: {expected}"):
        load_config(path, environ={})


def test_init_template_shows_the_provider_limits() -> None:
    assert "# requests_per_minute_per_calendar = 600\n" in CONFIG_TEMPLATE
    assert "# concurrent_per_mailbox = 4\n" in CONFIG_TEMPLATE
    assert "# requests_per_10_minutes_per_mailbox = 10000\n" in CONFIG_TEMPLATE


def test_phases_default_to_the_documented_rules_and_reach_the_build_context(
    tmp_path: Path,
) -> None:
    from datetime import date

    from runtime.context import build_context
    from warehouse.params import PhaseParams

    defaults = load_config(None, environ={})
    assert build_context(defaults, date(2030, 1, 7)).phases == PhaseParams(3, 120, (7, 7, 14), 0.5)
    path = write(tmp_path, "[phases]\nget_to_know_held = 2\nexpected_days = [7, 14, 28]\n")
    env = {"ONEONONE_PHASES__BEHIND_BELOW": "0.8"}
    phases = build_context(load_config(path, environ=env), date(2030, 1, 7)).phases
    assert phases == PhaseParams(2, 120, (7, 14, 28), 0.8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "get_to_know_held = 0",
            r"phases\.get_to_know_held: Input should be greater than or equal to 1",
            id="no-held",
        ),
        pytest.param(
            "share_context_days = -1",
            r"phases\.share_context_days: Input should be greater than or equal to 0",
            id="negative-days",
        ),
        pytest.param(
            "expected_days = [7, 14]",
            r"phases\.expected_days: expected three whole numbers of days \(1–3660\), for "
            r"get_to_know, share_context and maintain",
            id="two-cadences",
        ),
        pytest.param(
            "expected_days = [7, 0, 14]",
            r"phases\.expected_days: expected three whole numbers of days",
            id="zero-cadence",
        ),
        pytest.param(
            'expected_days = [7, "weekly", 14]',
            r"phases\.expected_days\.1: Input should be a valid integer",
            id="not-a-number",
        ),
        pytest.param(
            "behind_below = 0",
            r"phases\.behind_below: Input should be greater than 0",
            id="behind-zero",
        ),
        pytest.param(
            "behind_below = 1.5",
            r"phases\.behind_below: Input should be less than or equal to 1",
            id="behind-past-one",
        ),
    ],
)
def test_bad_phase_value_names_the_file_the_key_and_what_is_expected(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, f"[phases]\n{text}\n")
    with pytest.raises(BadInputError, match=rf"{path}: {expected}"):
        load_config(path, environ={})


def test_init_template_shows_the_phases() -> None:
    assert "# get_to_know_held = 3 " in CONFIG_TEMPLATE
    assert "# expected_days = [7, 7, 14] " in CONFIG_TEMPLATE
    assert "# behind_below = 0.5 " in CONFIG_TEMPLATE
