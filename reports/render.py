"""Write the dashboard, organisation and manager pages and CSV exports, owner-only.

In the one-manager view (`render_reports(..., manager=...)`) only the dashboard, that
manager's team page, and the CSV exports are written.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

import polars as pl

from core.errors import BadInputError
from reports import fmt, org, orgpage, page, solo, team
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


MANAGERS_DIR, ORGS_DIR = "managers", "orgs"
OLD_PLOTLY = "managers/plotly.min.js"  # where earlier versions put the shared copy


def _remove_stale(folder: Path, keep: set[str]) -> None:
    # A manager who left must not keep a page showing their former team or organisation.
    for old in folder.glob("*.html"):
        if old.name not in keep:
            old.unlink()


def page_paths(emails: list[str], folder: str) -> dict[str, str]:
    """Out-dir-relative page paths, one per manager."""
    return {m: f"{folder}/{fmt.slug(m)}.html" for m in emails}


def write_manager_pages(
    tables: Mapping[str, pl.DataFrame],
    who: Mapping[str, str],
    meta: ReportMeta,
    tree: org.Hierarchy,
    org_pages: Mapping[str, str],
    out: Path,
    stage: Stage,
) -> dict[str, Path]:
    """One page per manager with an active line."""
    written = {}
    for t in team.teams(tables, who, meta, tree.parent):
        path = out / page_paths([t.manager_email], MANAGERS_DIR)[t.manager_email]
        html = team.manager_html(t, who, org_pages, meta)
        written[t.manager_email] = stage.write(path, html.encode())
    return written


def write_org_pages(
    tables: Mapping[str, pl.DataFrame],
    who: Mapping[str, str],
    meta: ReportMeta,
    links: tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str]],
    out: Path,
    stage: Stage,
) -> dict[str, Path]:
    """One page per manager with indirect reports: their whole subtree."""
    org_pages, click, manager_pages = links
    titles = orgpage.titles(tables["people"])
    written = {}
    for sub in orgpage.subtrees(tables, sorted(org_pages)):
        html = orgpage.org_html(sub, tables, who, titles, click, manager_pages, meta)
        written[sub.root] = stage.write(out / org_pages[sub.root], html.encode())
    return written


def render_reports(
    tables: Mapping[str, pl.DataFrame],
    meta: ReportMeta,
    out_dir: Path,
    manager: str | None = None,
) -> ReportFiles:
    """Render the dashboard, per-manager and organisation pages and CSV exports into `out_dir`.

    With `manager` (an email), the one-manager view: the dashboard is that manager's team
    page, no other page is written, and the manager and organisation pages of an earlier
    run in `out_dir` are removed. The CSV exports hold the tables as given either way.

    Raises BadInputError, before writing anything, when a table or column is missing,
    `manager` is not in the people table, or `out_dir` cannot be a folder; OutputError,
    leaving the previous files whole, when a file cannot be written.
    """
    check_tables(tables)
    out = Path(out_dir)
    check_out_dir(out)
    if manager is not None:
        check_manager(tables["people"], manager)
        return _render_one_manager(tables, meta, out, manager)
    who = names(tables["people"])
    tree = org.hierarchy(tables["org_rollups"])
    leads = sorted(set(tables["pair_metrics"].get_column("manager_email").to_list()))
    manager_pages = page_paths(leads, MANAGERS_DIR)
    org_pages = page_paths(org.org_roots(tree), ORGS_DIR)
    click = org.page_links(tree, org_pages, manager_pages)
    managers_dir, orgs_dir = private_dir(out / MANAGERS_DIR), private_dir(out / ORGS_DIR)
    with staged() as stage:
        csv = write_csvs(tables, private_dir(out / "csv"), stage)
        private_dir((out / page.PLOTLY_ASSET).parent)
        stage.write(out / page.PLOTLY_ASSET, str(page.plotly_js()).encode())
        managers = write_manager_pages(tables, who, meta, tree, org_pages, out, stage)
        orgs = write_org_pages(tables, who, meta, (org_pages, click, manager_pages), out, stage)
        html = dashboard_html(tables, who, orgpage.titles(tables["people"]), click,
                              manager_pages, _csv_links(csv, out), meta)  # fmt: skip
        dashboard = stage.write(out / "dashboard.html", html.encode())
    _remove_stale(managers_dir, {p.name for p in managers.values()})
    _remove_stale(orgs_dir, {p.name for p in orgs.values()})
    (out / OLD_PLOTLY).unlink(missing_ok=True)
    return ReportFiles(dashboard=dashboard, managers=managers, orgs=orgs, csv=csv)


def check_manager(people: pl.DataFrame, manager: str) -> None:
    """Raise BadInputError unless `manager` is a person of the roster, as the warehouse
    keeps them (a pseudonymised run keeps pseudonyms, not addresses)."""
    if people.filter(pl.col("email") == manager).is_empty():
        raise BadInputError(
            f"cannot render the one-manager view: {manager} is not in the roster the "
            "warehouse holds; expected the email of the manager whose team it is"
        )


def _csv_links(csv: Mapping[str, Path], out: Path) -> list[tuple[str, str]]:
    return [(n, p.relative_to(out).as_posix()) for n, p in csv.items()]


def _render_one_manager(
    tables: Mapping[str, pl.DataFrame], meta: ReportMeta, out: Path, manager: str
) -> ReportFiles:
    """The one-manager view: a self-contained dashboard and the CSV exports, nothing else."""
    with staged() as stage:
        csv = write_csvs(tables, private_dir(out / "csv"), stage)
        html = solo.one_manager_html(tables, names(tables["people"]), manager,
                                     _csv_links(csv, out), meta)  # fmt: skip
        dashboard = stage.write(out / "dashboard.html", html.encode())
    # Pages of an organisation-wide run show other teams: none of them may stay beside
    # this manager's dashboard (nor the plotly.js copy only they loaded).
    for folder in (MANAGERS_DIR, ORGS_DIR):
        _remove_stale(out / folder, set())
    (out / page.PLOTLY_ASSET).unlink(missing_ok=True)
    (out / OLD_PLOTLY).unlink(missing_ok=True)
    for folder in (MANAGERS_DIR, ORGS_DIR, str(Path(page.PLOTLY_ASSET).parent)):
        with suppress(OSError):  # only an empty folder goes: anything else is not ours
            (out / folder).rmdir()
    return ReportFiles(dashboard=dashboard, csv=csv)
