"""Write the dashboard, the manager pages and the CSV exports, owner-readable only."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from reports import fmt, page, team
from reports.dashboard import dashboard_html
from reports.frames import check_tables, names
from reports.meta import ReportFiles, ReportMeta

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create a directory (and parents) and make it accessible to the owner only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write a file that is never readable by others, not even for a moment."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # an existing file keeps its old mode
        handle.write(data)
    return path


def write_csvs(tables: Mapping[str, pl.DataFrame], csv_dir: Path) -> dict[str, Path]:
    """One CSV per table, named after it."""
    written = {}
    for name, frame in sorted(tables.items()):
        buffer = io.BytesIO()
        frame.write_csv(buffer)
        written[name] = write_private(csv_dir / f"{name}.csv", buffer.getvalue())
    return written


def _remove_stale(managers_dir: Path, keep: set[str]) -> None:
    # A manager who left must not keep a page showing their former team.
    for old in managers_dir.glob("*.html"):
        if old.name not in keep:
            old.unlink()


def write_manager_pages(
    tables: Mapping[str, pl.DataFrame], who: Mapping[str, str], meta: ReportMeta, out: Path
) -> dict[str, Path]:
    """One page per manager with an active line, plus the plotly.js file they share."""
    managers_dir = private_dir(out / "managers")
    write_private(managers_dir / team.PLOTLY_FILE, str(page.plotly_js()).encode())
    written = {}
    for t in team.teams(tables, who, meta):
        path = managers_dir / f"{fmt.slug(t.manager_email)}.html"
        written[t.manager_email] = write_private(path, team.manager_html(t, who, meta).encode())
    _remove_stale(managers_dir, {p.name for p in written.values()})
    return written


def render_reports(
    tables: Mapping[str, pl.DataFrame], meta: ReportMeta, out_dir: Path
) -> ReportFiles:
    """Render the dashboard, per-manager pages and CSV exports into `out_dir`.

    Raises BadInputError, before writing anything, when a table or column is missing.
    """
    check_tables(tables)
    out = private_dir(Path(out_dir))
    who = names(tables["people"])
    csv = write_csvs(tables, private_dir(out / "csv"))
    managers = write_manager_pages(tables, who, meta, out)
    pages = {m: p.relative_to(out).as_posix() for m, p in managers.items()}
    links = [(n, p.relative_to(out).as_posix()) for n, p in csv.items()]
    html = dashboard_html(tables, who, pages, links, meta)
    dashboard = write_private(out / "dashboard.html", html.encode())
    return ReportFiles(dashboard=dashboard, managers=managers, csv=csv)
