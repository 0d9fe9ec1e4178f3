"""`oneonone import FILE.ics`: a manager's calendar exported from Google Calendar or
Outlook (the sandbox writes both shapes) gives, for that manager's lines, the
organisation's run's figures; a malformed file is refused naming its line, and nothing is
written."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from self_kit import ANCHOR, World, assert_same_lines, manager_of, oneonone

from connectors.sandbox.app import Sandbox
from connectors.sandbox.embedded import team_csv


def export(sandbox: Sandbox, email: str, style: str, path: Path) -> Path:
    """The person's calendar as Google Calendar or Outlook exports it, downloaded."""
    assert sandbox.http.ca_bundle is not None
    trust = ssl.create_default_context(cafile=str(sandbox.http.ca_bundle))
    url = f"{sandbox.server.root}export/{email}.ics?style={style}"
    answer = httpx.get(url, verify=trust)
    assert answer.status_code == 200, answer.text
    path.write_bytes(answer.content)
    return path


def ics_config(folder: Path, reports_csv: Path, owner: str | None = None) -> Path:
    config = folder / "me.toml"
    owner_line = f'owner = "{owner}"' if owner else ""
    config.write_text(
        f'[roster]\npath = "{reports_csv}"\n{owner_line}\n'
        f'[warehouse]\npath = "{folder / "me.duckdb"}"\n'
        f'[report]\nout_dir = "{folder / "out"}"\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_an_imported_export_equals_the_organisations_run_for_the_managers_lines(
    world: World, tmp_path: Path, provider: str
) -> None:
    manager = manager_of(world.sandbox, provider)
    style = "google" if provider == "google" else "outlook"
    calendar = export(world.sandbox, manager, style, tmp_path / f"{style}.ics")
    reports = team_csv(world.roster, manager, tmp_path)
    # Outlook's export does not say whose calendar it is: the command is told.
    owner = ["--owner", manager] if provider == "microsoft" else []
    config = ics_config(tmp_path, reports)
    done = oneonone(
        "import", str(calendar), *owner, "--config", str(config), "--as-of", ANCHOR.isoformat()
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "dashboard.html").is_file()
    assert_same_lines(tmp_path / "me.duckdb", world.warehouse, manager, style)


def test_a_malformed_calendar_file_is_refused_naming_its_line_and_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    manager = manager_of(world.sandbox, "google")
    good = export(world.sandbox, manager, "google", tmp_path / "good.ics").read_text()
    broken = good.replace("RRULE:FREQ=WEEKLY", "RRULE:FREQ=FORTNIGHTLY", 1)
    assert broken != good
    path = tmp_path / "broken.ics"
    path.write_text(broken)
    line = broken[: broken.index("FREQ=FORTNIGHTLY")].count("\n") + 1
    config = ics_config(tmp_path, team_csv(world.roster, manager, tmp_path))
    done = oneonone("import", str(path), "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert f"{path}: line {line}" in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "me.duckdb").exists() and not (tmp_path / "out").exists()
