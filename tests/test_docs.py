"""The public surface stays documented: every CLI command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from flows.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", command_names())
def test_cli_command_is_documented_in_readme(name: str) -> None:
    assert f"`oneonone {name}" in README


def test_readme_quick_start_is_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run\nmake test" in quick_start


def warehouse_tables() -> list[str]:
    from warehouse.db import HISTORY_TABLES
    from warehouse.schema import DERIVED_TABLES, STORED_TABLES

    history = [f"{name}_history" for name in HISTORY_TABLES]
    return sorted({*DERIVED_TABLES, *STORED_TABLES, *history})


@pytest.mark.parametrize("table", warehouse_tables())
def test_warehouse_table_is_described_in_readme(table: str) -> None:
    sql_surface = README.split("## The warehouse: SQL surface", 1)[1].split("\n## ", 1)[0]
    assert f"`{table}`" in sql_surface


def test_every_top_level_flow_is_deployed_in_prefect_yaml() -> None:
    deployed = (Path(__file__).parent.parent / "prefect.yaml").read_text()
    for entrypoint in ("flows/pipeline.py:weekly_report", "flows/backfill.py:backfill_history"):
        assert f"entrypoint: {entrypoint}" in deployed


def test_every_test_file_the_readme_points_at_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)`", README))
    assert len(named) >= 4, "the README's promises point at the tests that keep them"
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []
