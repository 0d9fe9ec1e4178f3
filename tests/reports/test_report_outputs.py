"""What `oneonone run` and `oneonone report` write, and what they refuse to touch.

One sandbox run (a CSV roster in which one person is named like a spreadsheet formula)
builds a warehouse; the tests then render from it through the CLI into folders they
prepare: shared ones, unusable ones, and a disk that fills up mid-render.
"""

from __future__ import annotations

import csv
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cli.app import app
from connectors.sandbox.app import start_sandbox
from connectors.sandbox.embedded import SECRET_VARIABLE, sandbox_config, write_roster_csv
from connectors.sandbox.org import generate_org

AS_OF = date(2026, 11, 16)
FORMULA = '=HYPERLINK("http://x","click")'
ONEONONE = Path(sys.executable).with_name("oneonone")
FILE_LIMIT = 256 * 1024  # bytes a process may write to one file: a disk "full" at that size


@dataclass(frozen=True)
class World:
    """A warehouse built by `oneonone run` from the config that reached the sandbox."""

    config: Path
    warehouse: Path
    out: Path
    formula_person: str


def _name_like_a_formula(roster: Path) -> str:
    """Rename the roster's first person to FORMULA; return their email."""
    with roster.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["name"] = FORMULA
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows[0]["email"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("outputs")
    org = generate_org(size=40, anchor=AS_OF, background="none")
    with start_sandbox(root / "sandbox", org=org) as sandbox:
        roster = write_roster_csv(sandbox, root / "roster.csv")
        person = _name_like_a_formula(roster)
        config = root / "oneonone.toml"
        config.write_text(sandbox_config(sandbox, roster), encoding="utf-8")
        secret = sandbox.microsoft.client_secret
        assert secret is not None
        world = World(config, root / "w.duckdb", root / "out", person)
        env = {SECRET_VARIABLE: secret.reveal(), **_places(world.warehouse, world.out)}
        result = CliRunner(env=env).invoke(
            app, ["run", "--config", str(config), "--as-of", AS_OF.isoformat()]
        )
    assert result.exit_code == 0, result.output
    return world


def _places(warehouse: Path, out_dir: Path) -> dict[str, str]:
    return {"ONEONONE_WAREHOUSE__PATH": str(warehouse), "ONEONONE_REPORT__OUT_DIR": str(out_dir)}


def report(world: World, out_dir: Path) -> None:
    """`oneonone report` from the world's warehouse into `out_dir`, expected to succeed."""
    result = CliRunner(env=_places(world.warehouse, out_dir)).invoke(
        app, ["report", "--config", str(world.config), "--as-of", AS_OF.isoformat()]
    )
    assert result.exit_code == 0, result.output


def oneonone(
    *args: str, env: Mapping[str, str], file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed `oneonone` command in a child process (real exit codes)."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    child_env["COLUMNS"] = "1000"  # messages on one line, however long the paths

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))  # type: ignore[arg-type]

    return subprocess.run(
        [str(ONEONONE), *args, "--as-of", AS_OF.isoformat()],
        env={**child_env, **env},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_file_size if file_limit else None,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# Item: spreadsheet formula injection.


def test_csv_export_neutralises_formula_cells(world: World) -> None:
    with (world.out / "csv" / "people.csv").open(newline="", encoding="utf-8") as handle:
        names = {row["email"]: row["name"] for row in csv.DictReader(handle)}
    assert names[world.formula_person] == "'" + FORMULA
    for export in (world.out / "csv").glob("*.csv"):
        frame = pl.read_csv(export, infer_schema=False)
        for column in frame.columns:
            cell = pl.col(column)
            formula = (
                cell.str.contains(r"^[=+\-@\t\r]") & cell.cast(pl.Float64, strict=False).is_null()
            )
            risky = frame.filter(formula)[column]
            assert risky.is_empty(), (export.name, column, risky.to_list())


def test_csv_export_keeps_negative_numbers_as_numbers(tmp_path: Path) -> None:
    import report_fixtures as fx

    from reports import render_reports

    tables = fx.tables()
    tables["occurrences"] = tables["occurrences"].with_columns(cancel_lead_hours=pl.lit(-2.5))
    tables["people"] = tables["people"].with_columns(name=pl.lit("-1+2"))
    files = render_reports(tables, fx.meta(), tmp_path)
    occurrences = pl.read_csv(files.csv["occurrences"])
    assert occurrences["cancel_lead_hours"].to_list() == [-2.5] * occurrences.height
    assert set(pl.read_csv(files.csv["people"])["name"]) == {"'-1+2"}


# Item: an existing out_dir keeps its mode.


def test_report_leaves_the_mode_of_an_existing_out_dir_alone(world: World, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    report(world, shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    for path in shared.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_report_creates_missing_out_dir_parents_owner_only(world: World, tmp_path: Path) -> None:
    report(world, tmp_path / "new" / "deeper" / "out")
    for folder in ("new", "new/deeper", "new/deeper/out"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder


# Item: an unusable out_dir is refused before anything is written.


@pytest.fixture(params=["is-a-file", "under-a-file"])
def unusable_out_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    return blocker if request.param == "is-a-file" else blocker / "out"


def test_unusable_out_dir_stops_the_run_before_the_sync(
    unusable_out_dir: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    env = {**_places(warehouse, unusable_out_dir), "ONEONONE_SANDBOX_SIZE": "40"}
    done = oneonone("run", env=env)
    assert done.returncode == 2, done.stderr
    assert "report.out_dir" in done.stderr and str(unusable_out_dir) in done.stderr
    assert "Traceback" not in done.stderr
    assert not warehouse.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_out_dir_that_is_a_file_stops_report_with_exit_2(world: World, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where a folder should be\n")
    done = oneonone("report", "--config", str(world.config), env=_places(world.warehouse, blocker))
    assert done.returncode == 2, done.stderr
    assert f"report.out_dir: {blocker} is not a directory" in done.stderr
    assert blocker.read_text() == "a file where a folder should be\n"
    assert "Traceback" not in done.stderr


# Item: outputs are written whole or not at all.


def test_failed_write_leaves_previous_outputs_whole_and_names_the_file(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    report(world, out)
    before = snapshot(out)
    assert max(len(data) for data in before.values()) > FILE_LIMIT  # the limit really bites
    done = oneonone(
        "report",
        "--config",
        str(world.config),
        env=_places(world.warehouse, out),
        file_limit=FILE_LIMIT,
    )
    assert done.returncode == 1, done.stderr
    assert f"could not write {out}/" in done.stderr.replace("\n", "")
    assert "Traceback" not in done.stderr
    assert snapshot(out) == before  # nothing cut short, nothing left behind


# Item: the report flow passes the one manager through (a one-manager install).


def test_the_report_flow_renders_one_managers_team_as_the_dashboard(
    world: World, tmp_path: Path
) -> None:
    import re

    from flows.pipeline import render_reports_flow
    from reports.fmt import slug
    from runtime.config import load_config
    from warehouse import Warehouse

    with Warehouse(world.warehouse, read_only=True) as db:
        pairs, people = db.table("pair_metrics"), db.table("people")
    manager = pairs.group_by("manager_email").len().sort("len", "manager_email")[-1, 0]
    name = people.filter(pl.col("email") == manager)["name"].item()
    out = tmp_path / "out"
    config = load_config(world.config, _places(world.warehouse, out))
    dashboard = render_reports_flow.fn(config, AS_OF, manager=manager)
    assert dashboard == out / "dashboard.html"
    assert [p.name for p in out.rglob("*.html")] == ["dashboard.html"]

    def tiles(page: Path) -> dict[str, str]:
        pattern = r'data-kpi="([\w-]+)">\s*<div class="label">[^<]*</div><div class="value">([^<]*)'
        return dict(re.findall(pattern, page.read_text()))

    main, team_page = tiles(dashboard), tiles(world.out / "managers" / f"{slug(manager)}.html")
    assert main.pop("freshness") and main == team_page  # the organisation run's team page
    html = dashboard.read_text()
    assert f"{name}'s team" in html.replace("&#39;", "'")
    reports = pairs.filter(pl.col("manager_email") == manager)["report_email"].to_list()
    others = people.filter(~pl.col("email").is_in([manager, *reports]))["email"].to_list()
    body = html.split("</head>", 1)[1]
    assert [email for email in others if email in body] == []
