"""One manager's own run: the keys it needs, the team roster, the token store."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from connectors.team import team_roster
from connectors.token_store import TokenStore
from core.errors import BadInputError
from runtime.config import load_config


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "me.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[roster]\nsource = "self"\n', "roster.provider: required"),
        (
            '[roster]\nsource = "self"\nprovider = "google"\nreports = ["a@x.com"]\n',
            "google.oauth_client_file: required",
        ),
        (
            '[roster]\nsource = "self"\nprovider = "google"\n'
            '[google]\noauth_client_file = "c.json"\n',
            "roster.reports: a Google sign-in cannot read who reports to you",
        ),
        ('[roster]\nsource = "self"\nprovider = "microsoft"\n', "microsoft.client_id: required"),
        ('[roster]\nsource = "ics"\nreports = ["a@x.com"]\n', "roster.calendar_file: required"),
        ('[roster]\nsource = "ics"\ncalendar_file = "me.ics"\n', "roster.reports: list"),
        (
            '[roster]\nsource = "ics"\ncalendar_file = "me.ics"\nreports = ["nobody"]\n',
            "roster.reports: expected email addresses",
        ),
        (
            '[roster]\nsource = "ics"\ncalendar_file = "me.ics"\nreports = ["a@x.com"]\n'
            "[attendance]\nenabled = true\n",
            "attendance.enabled: call records need an administrator",
        ),
    ],
    ids=[
        "self-no-provider",
        "google-no-client",
        "google-no-reports",
        "microsoft-no-client",
        "ics-no-file",
        "ics-no-reports",
        "ics-bad-address",
        "attendance",
    ],
)
def test_a_one_manager_configuration_missing_a_key_names_it(
    tmp_path: Path, text: str, key: str
) -> None:
    with pytest.raises(BadInputError, match=key.replace(".", r"\.")):
        load_config(config_file(tmp_path, text), environ={})


def test_one_manager_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    text = (
        '[roster]\nsource = "ics"\ncalendar_file = "me.ics"\nreports = ["Ana@X.com"]\n'
        '[login]\ndirectory = "tokens"\n'
    )
    config = load_config(config_file(tmp_path, text), environ={})
    assert config.roster.calendar_file == tmp_path / "me.ics"
    assert config.login.directory == tmp_path / "tokens"
    assert config.roster.reports == ("ana@x.com",)
    assert config.roster.one_manager


def test_the_team_is_the_manager_and_the_listed_and_csv_reports(tmp_path: Path) -> None:
    csv = tmp_path / "team.csv"
    csv.write_text(
        "email,name,manager_email,provider,start_date\n"
        "me@x.com,Me,,google,\nbo@x.com,Bo,,google,2026-03-02\n"
    )
    people = team_roster("Me@X.com", "google", ["ana@x.com"], csv, "Me")
    assert [(p.email, p.manager_email) for p in people] == [
        ("me@x.com", None),
        ("ana@x.com", "me@x.com"),
        ("bo@x.com", "me@x.com"),
    ]
    assert people[2].name == "Bo" and str(people[2].start_date) == "2026-03-02"


def test_a_team_without_reports_is_refused() -> None:
    with pytest.raises(BadInputError, match="no direct reports"):
        team_roster("me@x.com", "microsoft")


def test_tokens_are_kept_in_an_owner_only_file(tmp_path: Path) -> None:
    store = TokenStore("google-signin", tmp_path / "tokens", "file")
    assert store.load() is None
    store.save('{"refresh_token": "r1"}')
    store.save('{"refresh_token": "r2"}')
    assert store.load() == '{"refresh_token": "r2"}'
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["google-signin.json"]
    assert store.delete() and store.load() is None and not store.delete()


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    store = TokenStore("microsoft-signin", tmp_path, "file")
    store.save("{}")
    store.path.chmod(0o644)
    with pytest.raises(BadInputError, match=r"others may read it.*chmod 600"):
        store.load()


class MemoryKeyring(KeyringBackend):
    """An OS keyring as the keyring package sees one (a desktop's Secret Service, say)."""

    priority = 1.0  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def os_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_with_an_os_keyring_tokens_go_there_and_no_file_is_written(
    tmp_path: Path, os_keyring: MemoryKeyring
) -> None:
    store = TokenStore("google-signin", tmp_path / "tokens", "auto")
    store.save('{"refresh_token": "r1"}')
    assert os_keyring.items == {("oneonone", "google-signin"): '{"refresh_token": "r1"}'}
    assert store.load() == '{"refresh_token": "r1"}' and store.where() == "the OS keyring"
    assert not (tmp_path / "tokens").exists()
    assert store.delete() and not store.delete()


def test_asking_for_a_keyring_where_there_is_none_is_refused(tmp_path: Path) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(BadInputError, match="no OS keyring is available"):
            TokenStore("google-signin", tmp_path, "keyring").load()
        assert TokenStore("google-signin", tmp_path, "auto").where() == str(
            tmp_path / "google-signin.json"
        )
    finally:
        keyring.set_keyring(before)
