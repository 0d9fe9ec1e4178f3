"""Write the dashboard, the manager pages and the CSV exports, owner-readable only."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from reports import fmt, page, team
from reports.dashboard import dashboard_html
from reports.files import Stage, check_out_dir, private_dir, staged
from reports.frames import check_tables, names
from reports.meta import ReportFiles, ReportMeta

# A cell starting with one of these is run as a formula by Excel, Sheets and LibreOffice.
FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells a spreadsheet would run as a formula with `'` (OWASP's advice).

    Only text columns change: a negative number stays a number.
    """
    text = pl.col(pl.String)
    quoted = pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text)
    return frame.with_columns(quoted.name.keep())


def write_csvs(tables: Mapping[str, pl.DataFrame], csv_dir: Path, stage: Stage) -> dict[str, Path]:
    """One CSV per table, named after it."""
    written = {}
    for name, frame in sorted(tables.items()):
        buffer = io.BytesIO()
        neutralise_formulas(frame).write_csv(buffer)
        written[name] = stage.write(csv_dir / f"{name}.csv", buffer.getvalue())
    return written


def _remove_stale(managers_dir: Path, keep: set[str]) -> None:
    # A manager who left must not keep a page showing their former team.
    for old in managers_dir.glob("*.html"):
        if old.name not in keep:
            old.unlink()


def write_manager_pages(
    tables: Mapping[str, pl.DataFrame],
    who: Mapping[str, str],
    meta: ReportMeta,
    managers_dir: Path,
    stage: Stage,
) -> dict[str, Path]:
    """One page per manager with an active line, plus the plotly.js file they share."""
    stage.write(managers_dir / team.PLOTLY_FILE, str(page.plotly_js()).encode())
    written = {}
    for t in team.teams(tables, who, meta):
        path = managers_dir / f"{fmt.slug(t.manager_email)}.html"
        written[t.manager_email] = stage.write(path, team.manager_html(t, who, meta).encode())
    return written


def render_reports(
    tables: Mapping[str, pl.DataFrame], meta: ReportMeta, out_dir: Path
) -> ReportFiles:
    """Render the dashboard, per-manager pages and CSV exports into `out_dir`.

    Raises BadInputError, before writing anything, when a table or column is missing or
    `out_dir` cannot be a folder; OutputError, leaving the previous files whole, when a
    file cannot be written.
    """
    check_tables(tables)
    out = Path(out_dir)
    check_out_dir(out)
    who = names(tables["people"])
    managers_dir = private_dir(out / "managers")
    with staged() as stage:
        csv = write_csvs(tables, private_dir(out / "csv"), stage)
        managers = write_manager_pages(tables, who, meta, managers_dir, stage)
        pages = {m: p.relative_to(out).as_posix() for m, p in managers.items()}
        links = [(n, p.relative_to(out).as_posix()) for n, p in csv.items()]
        html = dashboard_html(tables, who, pages, links, meta)
        dashboard = stage.write(out / "dashboard.html", html.encode())
    _remove_stale(managers_dir, {p.name for p in managers.values()})
    return ReportFiles(dashboard=dashboard, managers=managers, csv=csv)
