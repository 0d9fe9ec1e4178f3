"""Directory entries whose manager did not resolve are logged by the run, not silently."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from google_org import ANN, GoogleWorld

import runtime.engine  # noqa: F401  (Prefect configures logging on import: before caplog, not during)
from runtime.config import load_config
from runtime.resources import open_sources


def config_file(world: GoogleWorld, folder: Path, pseudonymize: bool) -> Path:
    settings = world.settings
    text = (
        f'[roster]\nsource = "google"\n'
        f'[google]\nservice_account_file = "{settings.service_account_file}"\n'
        f'admin_subject = "{settings.admin_subject}"\napi_endpoint = "{settings.api_endpoint}"\n'
        f'[http]\nca_bundle = "{world.http.ca_bundle}"\n'
    )
    if pseudonymize:
        text += '[privacy]\npseudonymize = true\nkey = "env:ONEONONE_TEST_KEY"\n'
    path = folder / "oneonone.toml"
    path.write_text(text)
    return path


def test_directory_user_with_an_unknown_manager_is_logged_by_email(
    world: GoogleWorld, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(config_file(world, tmp_path, pseudonymize=False))
    with caplog.at_level(logging.WARNING), open_sources(config, date(2025, 3, 10)) as sources:
        assert ANN in {p.email for p in sources.people}
    assert f"directory user {ANN} kept without a manager" in caplog.text
    assert "ghost@example.com is not an active user" in caplog.text


def test_pseudonymised_run_logs_only_how_many_directory_users_lost_their_manager(
    world: GoogleWorld,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONEONONE_TEST_KEY", "a-test-key-of-some-length-0123456789")
    config = load_config(config_file(world, tmp_path, pseudonymize=True))
    with caplog.at_level(logging.WARNING), open_sources(config, date(2025, 3, 10)):
        pass
    assert "1 directory users kept without a manager" in caplog.text
    assert ANN not in caplog.text and "ghost" not in caplog.text
