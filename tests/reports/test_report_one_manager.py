"""The one-manager view: the dashboard is one manager's team page, and nothing else is."""

from __future__ import annotations

import html as markup
import re
import stat
from pathlib import Path

import polars as pl
import pytest
import report_fixtures as fx

from core.errors import BadInputError
from reports import ReportFiles, render_reports
from reports.tables import team_table

MANAGERS = ("alice", "dan", "erin", "zoe")  # everyone with an active line
JOINED, UNSCHEDULED = "Both joined (call records)", "Unscheduled calls"
# Ids of the organisation's panels: the treemap and its list, phases across managers,
# the cadence heatmap across managers, the managers' index.
ORG_PANELS = ("hierarchy", "hierarchy-section", "top-orgs", "phases-section", "phase-counts",
              "behind-phase", "cadence", "managers-section", "managers")  # fmt: skip


@pytest.fixture(scope="module")
def org_files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return render_reports(fx.tables(), fx.meta(), tmp_path_factory.mktemp("org"))


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ReportFiles]:
    """Each manager's one-manager render of the whole fixture, in a folder of its own."""
    return {
        who: render_reports(fx.tables(), fx.meta(), tmp_path_factory.mktemp(who), manager=fx.e(who))
        for who in MANAGERS
    }


def body(page: Path) -> str:
    """The page after its <head> (which inlines plotly.js, whose text may hold any word)."""
    return page.read_text().split("</head>", 1)[1]


def tiles(page: Path) -> dict[str, str]:
    """Tile key → the value it shows."""
    found = re.findall(r'data-kpi="([\w-]+)">\s*<div class="label">[^<]*</div>'
                       r'<div class="value">([^<]*)</div>', page.read_text())  # fmt: skip
    return {key: markup.unescape(value) for key, value in found}


def test_the_main_page_tiles_are_the_team_pages_figures(
    org_files: ReportFiles, one: dict[str, ReportFiles]
) -> None:
    for who in MANAGERS:
        team_page = tiles(org_files.managers[fx.e(who)])
        main = tiles(one[who].dashboard)
        assert main.pop("freshness"), who  # the main page's own tile
        assert main == team_page, who
    assert tiles(one["alice"].dashboard)["reports_met"] == "3 of 3"  # bob, carol and dan
    assert tiles(one["erin"].dashboard)["neglected"] == "1"  # grace, never met


def test_the_main_page_says_whose_team_it_is(one: dict[str, ReportFiles]) -> None:
    page = one["alice"].dashboard.read_text()
    assert re.search(r"<title>[^<]*Alice Archer's team[^<]*</title>", markup.unescape(page))
    assert '<h1 id="manager-name">Alice Archer\'s team</h1>' in page


def test_the_main_page_shows_the_team_its_neglected_reports_and_its_panels(
    one: dict[str, ReportFiles],
) -> None:
    page = body(one["erin"].dashboard)
    for panel in ("team", "timeline", "neglected", "chronic", "leverage", "trends", "data"):
        assert f'id="{panel}"' in page, panel
    rows = page.split('<table id="team"', 1)[1].split("</tbody>", 1)[0]
    assert all(f">{fx.NAMES[w]}<" in rows for w in ("frank", "grace"))  # no script needed
    neglected = page.split('id="neglected"', 1)[1].split("</table>", 1)[0]
    assert fx.NAMES["grace"] in neglected and "never met" in neglected
    assert '<th scope="col">Manager</th>' not in neglected  # one manager: no such column


def test_no_organisation_panel_is_on_the_main_page(one: dict[str, ReportFiles]) -> None:
    for who in MANAGERS:
        page = body(one[who].dashboard)
        assert [p for p in ORG_PANELS if f'id="{p}"' in page] == [], who
        assert "Organisation dashboard" not in page and "orgs/" not in page, who


def test_no_other_page_is_written(one: dict[str, ReportFiles]) -> None:
    files = one["zoe"]  # zoe has an organisation: still no organisation page
    out = files.dashboard.parent
    assert (files.managers, files.orgs) == ({}, {})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")) == ["dashboard.html"]
    assert '<script src="' not in files.dashboard.read_text()  # plotly.js inlined: offline


def local_links(page: Path) -> list[str]:
    """Every href of the page, in its HTML or in the rows of its paged tables."""
    text = body(page)
    return re.findall(r'href="([^"]*)"', text) + re.findall(r'"href":"([^"]*)"', text)


def test_every_link_opens_a_file_or_a_section_that_exists(one: dict[str, ReportFiles]) -> None:
    for who in MANAGERS:
        page = one[who].dashboard
        links = local_links(page)
        ids = set(re.findall(r'id="([^"]+)"', page.read_text()))
        sections = [link[1:] for link in links if link.startswith("#")]
        files = [link for link in links if not link.startswith("#")]
        assert [s for s in sections if s not in ids] == [], who
        assert [f for f in files if not (page.parent / f).is_file()] == [], who
        assert {f"csv/{name}.csv" for name in one[who].csv} <= set(files), who


def test_nobody_outside_the_team_is_on_the_main_page(one: dict[str, ReportFiles]) -> None:
    page = body(one["alice"].dashboard)
    inside = fx.ALICE_TEAM | {"alice"}
    assert all(fx.NAMES[w] in page for w in inside)
    outside = [w for w in fx.NAMES if w not in inside]
    assert [w for w in outside if fx.NAMES[w] in page or fx.e(w) in page] == []
    assert "4 of 4 calendars synced" in page  # the team's, not the organisation's ten


def test_trends_and_history_come_from_the_managers_rows_only_when_they_are_the_teams(
    one: dict[str, ReportFiles],
) -> None:
    # dan manages no manager: his roll-up history is his team's (hugo met since 23 Feb).
    dan = body(one["dan"].dashboard)
    assert 'id="history"' in dan
    met = dan.split('data-kpi="reports_met"', 1)[1].split('data-kpi="', 1)[0]
    assert '<span class="change">▲ 1</span>' in met
    assert "previous snapshot (2026-02-23): 0" in met
    # alice's roll-ups count dan's reports too: no trend rather than another population's.
    alice = body(one["alice"].dashboard)
    assert 'id="history"' not in alice and 'class="trend"' not in alice


def test_a_one_manager_warehouse_shows_what_the_organisation_shows_of_that_team(
    one: dict[str, ReportFiles], tmp_path: Path
) -> None:
    files = render_reports(fx.one_team("dan"), fx.meta(), tmp_path, manager=fx.e("dan"))
    alone, within = tiles(files.dashboard), tiles(one["dan"].dashboard)
    assert alone.pop("freshness") == within.pop("freshness")
    assert alone == within
    team = re.compile(r'<table id="team".*?</table>', re.S)
    assert team.findall(files.dashboard.read_text()) == team.findall(
        one["dan"].dashboard.read_text()
    )
    assert "1 of 1 calendars synced" in body(files.dashboard)  # only dan's calendar is read


def test_an_organisation_run_then_a_one_manager_run_leaves_no_stale_page(tmp_path: Path) -> None:
    first = render_reports(fx.tables(), fx.meta(), tmp_path)
    assert first.orgs and first.managers
    second = render_reports(fx.tables(), fx.meta(), tmp_path, manager=fx.e("erin"))
    assert [p.name for p in tmp_path.rglob("*.html")] == ["dashboard.html"]
    assert not (tmp_path / "assets").exists()  # only the pages now gone loaded that copy
    assert "Erin Ember's team" in second.dashboard.read_text()
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {f"{t}.csv" for t in fx.tables()}
    for path in [tmp_path, *tmp_path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    third = render_reports(fx.tables(), fx.meta(), tmp_path)  # and back to the organisation
    assert set(third.orgs) == set(first.orgs) and all(p.exists() for p in third.orgs.values())


def test_a_manager_without_reports_yet_gets_an_empty_team_page(tmp_path: Path) -> None:
    files = render_reports(fx.tables(), fx.meta(), tmp_path, manager=fx.e("bob"))
    shown = tiles(files.dashboard)
    assert (shown["reports_met"], shown["coverage"]) == ("0 of 0", "—")
    team = body(files.dashboard).split('id="team"', 1)[1].split("</section>", 1)[0]
    assert "None." in team and "Bob Baker's team" in files.dashboard.read_text()


def test_the_team_table_shows_who_joined_when_call_records_were_read() -> None:
    alice = fx.pair_metrics().filter(pl.col("manager_email") == fx.e("alice"))
    table = team_table(alice, fx.names_by_email(), fx.meta())
    joined, hours = table.headers.index(JOINED), table.headers.index(UNSCHEDULED)
    shown = {row[0].text: (row[joined].text, row[hours].text) for row in table.rows}
    assert shown == {"Bob Baker": ("2 of 2", "0.5 h"), "Dan Dorn": ("⚠ 0 of 1, 1 no-show", "0.2 h"),
                     "Carol Cruz": ("—", "0.0 h")}  # fmt: skip
    unread = alice.with_columns(
        attended=pl.lit(0, pl.Int64), no_show=pl.lit(0, pl.Int64),
        unscheduled_call_hours=pl.lit(None, pl.Float64),
    )  # fmt: skip
    headers = team_table(unread, fx.names_by_email(), fx.meta()).headers
    assert JOINED not in headers and UNSCHEDULED not in headers


def test_a_manager_not_in_the_roster_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    stranger = "stranger@example.com"
    with pytest.raises(BadInputError, match=stranger):
        render_reports(fx.tables(), fx.meta(), tmp_path / "out", manager=stranger)
    assert not (tmp_path / "out").exists()
