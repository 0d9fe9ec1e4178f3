"""The public surface stays documented: every CLI command is in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from flows.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", command_names())
def test_cli_command_is_documented_in_readme(name: str) -> None:
    assert f"`oneonone {name}" in README


def test_readme_quick_start_is_the_two_make_commands() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run\nmake test" in quick_start
