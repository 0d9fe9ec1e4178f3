"""The organisation's run of one sandbox, that one manager's own runs are compared with."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from self_kit import ANCHOR, World, oneonone

from connectors.sandbox.app import start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.org import generate_org


@pytest.fixture(scope="session")
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
