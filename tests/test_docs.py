"""The public surface stays documented: every CLI command is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from cli.app import app

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

    return sorted({*DERIVED_TABLES, *STORED_TABLES, *HISTORY_TABLES})


@pytest.mark.parametrize("table", warehouse_tables())
def test_warehouse_table_is_described_in_readme(table: str) -> None:
    sql_surface = README.split("## The warehouse: SQL surface", 1)[1].split("\n## ", 1)[0]
    assert f"`{table}`" in sql_surface


def test_every_top_level_flow_is_deployed_in_prefect_yaml() -> None:
    from prefect import Flow

    from flows import deployments

    deployed = (Path(__file__).parent.parent / "prefect.yaml").read_text()
    for name in ("weekly_report", "backfill_history"):
        assert f"entrypoint: flows/deployments.py:{name}" in deployed
        entrypoint = getattr(deployments, name)
        assert isinstance(entrypoint, Flow) and entrypoint.name == name


def test_every_test_file_the_readme_points_at_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)`", README))
    assert len(named) >= 4, "the README's promises point at the tests that keep them"
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []


REPO_PATH = re.compile(
    r"(?<![\w/.])((?:connectors|flows|runtime|cli|core|warehouse|reports|tests|benchmarks"
    r"|docs|\.ci)/[\w./-]*\w)"
)


def named_paths() -> list[tuple[str, str]]:
    """(file, path) for every repository path that source, README or prefect.yaml names."""
    texts = [*ROOT.glob("*/**/*.py"), ROOT / "README.md", ROOT / "prefect.yaml"]
    return [
        (str(file.relative_to(ROOT)), match)
        for file in texts
        if ".venv" not in file.parts and ".tools" not in file.parts
        for match in REPO_PATH.findall(file.read_text(encoding="utf-8"))
    ]


def test_every_file_that_the_code_or_docs_name_exists() -> None:
    named = named_paths()
    assert any(path == "docs/dashboard.png" for _, path in named)
    assert [(f, path) for f, path in named if not (ROOT / path).exists()] == []


def test_nothing_cites_documents_outside_the_repository() -> None:
    texts = [*ROOT.glob("*/**/*.py"), ROOT / "README.md", ROOT / "prefect.yaml"]
    citing = [
        str(f.relative_to(ROOT))
        for f in texts
        if ".venv" not in f.parts
        and ".tools" not in f.parts
        and f.name != "test_docs.py"
        and re.search(r"DESIGN\.md|STYLE\.md|\.\./shared", f.read_text(encoding="utf-8"))
    ]
    assert citing == []


PACKAGES = ("core", "connectors", "warehouse", "reports", "runtime", "flows", "cli")
LAYERS = {  # package -> the first-party packages it may import (README "Code map")
    "core": {"core"},
    "connectors": {"core", "connectors"},
    "warehouse": {"core", "connectors", "warehouse"},
    "reports": {"core", "reports", "warehouse.params"},
    "runtime": {"core", "connectors", "warehouse", "reports", "runtime"},
    "flows": {"core", "connectors", "warehouse", "reports", "runtime", "flows"},
}


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_imports_follow_the_code_map(package: str) -> None:
    allowed = LAYERS[package]
    names = "|".join(PACKAGES)
    found = re.compile(rf"^\s*(?:from|import) ((?:{names})\b[\w.]*)", re.M)
    wrong = [
        (str(file.relative_to(ROOT)), module)
        for file in (ROOT / package).rglob("*.py")
        if "sandbox" not in file.parts
        for module in found.findall(file.read_text(encoding="utf-8"))
        if not any(module == a or module.startswith(a + ".") for a in allowed)
    ]
    assert wrong == []


def test_only_the_resources_binding_imports_the_sandbox() -> None:
    product = [
        f
        for package in PACKAGES
        for f in (ROOT / package).rglob("*.py")
        if "sandbox" not in f.parts
    ]
    binding = [
        str(f.relative_to(ROOT))
        for f in product
        if re.search(r"^\s*(from|import) connectors\.sandbox", f.read_text(encoding="utf-8"), re.M)
    ]
    assert binding == ["runtime/resources.py"]
