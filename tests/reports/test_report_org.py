"""The leadership view: hierarchy treemap, organisation pages, tile trends, phase panel."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest
import report_fixtures as fx

from reports import ReportFiles, render_reports
from reports.history import history_figure
from reports.kpis import NO_SNAPSHOT, Kpi, line_totals, org_kpis, sparkline_points, trend
from reports.org import ORG_ROOT, branch_values, hierarchy, org_roots, treemap_figure
from reports.orgpage import subtree_tiles, subtrees
from reports.phases import behind_lines, phase_counts, phase_table
from reports.tables import team_table

LINKS = {fx.e("zoe"): "orgs/zoe.html", fx.e("alice"): "orgs/alice.html",
         fx.e("erin"): "managers/erin.html", fx.e("dan"): "managers/dan.html"}  # fmt: skip
PLOTLY_BANNER = "* plotly.js v"
TITLES = {fx.e(w): title for w, title in fx.TITLES.items()}


def treemap(root: str | None = None) -> dict[str, object]:
    fig = treemap_figure(fx.org_rollups(), fx.names_by_email(), TITLES, LINKS, root)
    assert len(fig["data"]) == 1, "one trace whatever the size of the organisation"
    trace: dict[str, object] = fig["data"][0]
    return trace


def test_the_hierarchy_has_one_top_and_organisation_pages_for_managers_of_managers() -> None:
    tree = hierarchy(fx.org_rollups())
    assert tree.tops == [fx.e("zoe")]
    assert org_roots(tree) == [fx.e("alice"), fx.e("zoe")]
    assert tree.subtree(fx.e("alice")) == [fx.e("alice"), fx.e("dan")]
    assert tree.chain(fx.e("dan")) == [fx.e("alice"), fx.e("zoe")]
    assert tree.subtree(fx.e("zoe"), levels=2) == [fx.e("zoe"), fx.e("alice"), fx.e("erin")]


def test_treemap_draws_three_levels_and_says_how_many_managers_it_shows() -> None:
    fig = treemap_figure(fx.org_rollups(), fx.names_by_email(), TITLES, LINKS)
    assert "Showing 4 of 4 managers" in fig["layout"]["title"]["subtitle"]["text"]
    below_dan = fx.org_rollups().filter(pl.col("depth") == 2).with_columns(
        manager_email=pl.lit("x@example.com"), depth=pl.lit(3, pl.Int64),
        parent_email=pl.lit(fx.e("dan")),
    )  # fmt: skip
    rollups = pl.concat([fx.org_rollups(), below_dan])
    fig = treemap_figure(rollups, fx.names_by_email(), TITLES, LINKS)
    assert fig["data"][0]["ids"] == [fx.e(w) for w in ("zoe", "alice", "dan", "erin")]
    assert "Showing 4 of 5 managers" in fig["layout"]["title"]["subtitle"]["text"]


def test_treemap_nodes_are_the_managers_sized_by_people_under_their_managers() -> None:
    t = treemap()
    assert t["ids"] == [fx.e(w) for w in ("zoe", "alice", "dan", "erin")]
    assert t["parents"] == ["", fx.e("zoe"), fx.e("alice"), fx.e("zoe")]
    assert t["values"] == [9, 5, 2, 2]
    assert t["branchvalues"] == "total"  # valid: 9 ≥ 5 + 2 and 5 ≥ 2
    assert t["labels"] == [fx.NAMES[w] for w in ("zoe", "alice", "dan", "erin")]
    go.Figure({"data": [t]})  # raises on any property plotly does not know


def test_treemap_colours_by_coverage_and_switches_to_neglected_share() -> None:
    fig = treemap_figure(fx.org_rollups(), fx.names_by_email(), TITLES, LINKS)
    marker = fig["data"][0]["marker"]
    assert marker["colors"] == pytest.approx([0.14, 0.164, 0.1, 0.075])
    coverage, neglect = fig["layout"]["updatemenus"][0]["buttons"]
    assert coverage["args"][0]["marker.colors"] == [marker["colors"]]
    assert neglect["args"][0]["marker.colors"] == [pytest.approx([2 / 9, 1 / 5, 0.0, 0.5])]


def test_treemap_nodes_carry_the_page_a_click_opens_and_the_hover_figures() -> None:
    custom = treemap()["customdata"]
    assert [row[0] for row in custom] == [LINKS[fx.e(w)] for w in ("zoe", "alice", "dan", "erin")]
    alice = custom[1]
    assert alice[1:] == ["Alice Archer", " · VP Engineering", "5", "5", "16%", "1 (20%)", "4",
                         "click to open their organisation"]  # fmt: skip


def test_history_draws_one_point_per_snapshot_up_to_as_of() -> None:
    fig = history_figure(fx.kpi_history(), fx.AS_OF)
    go.Figure(fig)
    neglected = next(t for t in fig["data"] if t["name"] == "Neglected")
    assert neglected["x"] == ["2026-02-16", "2026-02-23", "2026-03-02"]
    assert neglected["y"] == pytest.approx([2 / 7, 3 / 8, 2 / 9])


def test_a_subtree_treemap_holds_only_that_subtree() -> None:
    t = treemap(fx.e("alice"))
    assert t["ids"] == [fx.e("alice"), fx.e("dan")]
    assert t["parents"] == ["", fx.e("alice")]


def test_several_tops_hang_under_one_organisation_node() -> None:
    rollups = fx.org_rollups().filter(pl.col("manager_email") != fx.e("zoe"))
    rollups = rollups.with_columns(
        pl.when(pl.col("parent_email") == fx.e("zoe")).then(None).otherwise("parent_email")
        .alias("parent_email")
    )  # fmt: skip
    t = treemap_figure(rollups, fx.names_by_email(), {}, LINKS)["data"][0]
    assert t["ids"][0] == ORG_ROOT
    assert t["parents"] == ["", ORG_ROOT, fx.e("alice"), ORG_ROOT]
    assert t["values"] == [7, 5, 2, 2]


def test_branch_values_grow_a_parent_whose_children_count_someone_twice() -> None:
    tree = hierarchy(fx.org_rollups())
    nodes = tree.subtree(fx.e("zoe"))
    people = {fx.e("zoe"): 6, fx.e("alice"): 5, fx.e("dan"): 2, fx.e("erin"): 2}
    assert branch_values(tree, people, nodes)[fx.e("zoe")] == 7


def test_rollup_rows_agree_with_the_lines_of_their_subtree() -> None:
    frames = fx.tables()
    tree = hierarchy(frames["org_rollups"])
    for sub in subtrees(frames, list(tree.parent)):
        totals = line_totals(sub.pairs)
        row = frames["org_rollups"].filter(pl.col("manager_email") == sub.root).row(0, named=True)
        assert (row["lines"], row["reports_met"], row["scheduled"], row["lost"]) == (
            totals.lines,
            totals.met,
            totals.scheduled,
            totals.lost,
        ), sub.root
        assert row["mean_coverage"] == pytest.approx(totals.coverage)
        assert row["people"] == len(sub.people) - 1


def tiles_by_key(tiles: list[Kpi]) -> dict[str, Any]:
    return {t.key: t for t in tiles}


def test_tiles_show_the_change_since_the_previous_snapshot() -> None:
    tiles = tiles_by_key(org_kpis(fx.tables(), fx.meta()))
    changes = {k: t.trend.change for k, t in tiles.items() if t.trend}
    assert changes == {
        "coverage": "▲ 2 pts", "reports_met": "▲ 1", "neglected": "▼ 1",
        "intro_overdue": "no change", "chronic": "no change", "cancel_rate": "▼ 3.6 pts",
        "leverage": "▼ 5×", "verified": "▲ 17 pts",
    }  # fmt: skip
    assert tiles["neglected"].trend.title == "previous snapshot (2026-02-23): 3"
    assert tiles["cancel_rate"].trend.title == "previous snapshot (2026-02-23): 40.0%"
    assert tiles["freshness"].trend is None


def test_a_tile_without_an_earlier_snapshot_says_so() -> None:
    tables = fx.tables()
    tables["kpi_history"] = tables["kpi_history"].filter(pl.col("as_of") == fx.AS_OF)
    tile = tiles_by_key(org_kpis(tables, fx.meta()))["coverage"]
    assert tile.trend.change == tile.trend.title == NO_SNAPSHOT
    assert tile.trend.points == ""  # one point draws no line


def test_sparkline_spans_the_weeks_by_date_and_the_values_by_range() -> None:
    series = [(date(2026, 2, 16), 0.13), (date(2026, 2, 23), 0.12), (date(2026, 3, 2), 0.14)]
    assert sparkline_points(series) == "0.0,14.0 60.0,25.0 120.0,3.0"
    assert sparkline_points([(date(2026, 2, 23), None), *series[1:]]) == "0.0,25.0 120.0,3.0"


def test_sparkline_keeps_only_the_last_twelve_weeks() -> None:
    weeks = pl.date_range(date(2025, 9, 1), date(2026, 2, 23), "1w", eager=True)
    history = pl.DataFrame({"as_of": weeks, "lines": list(range(weeks.len()))})
    t = trend("lines", 99.0, history.to_dicts(), fx.AS_OF, str, str)
    assert len(t.points.split()) == 12  # eleven earlier weeks and today


def test_subtree_tiles_come_from_its_rollup_row_and_history() -> None:
    frames = fx.tables()
    (alice,) = subtrees(frames, [fx.e("alice")])
    tiles = tiles_by_key(subtree_tiles(alice, frames, fx.meta()))
    values = {k: t.value for k, t in tiles.items() if k != "freshness"}
    assert values == {"coverage": "16%", "reports_met": "4 of 5", "neglected": "1",
                      "intro_overdue": "0", "chronic": "0", "cancel_rate": "28.6%",
                      "leverage": "88×", "verified": "50%"}  # fmt: skip
    assert tiles["coverage"].trend.change == "▼ 2 pts"
    assert tiles["coverage"].trend.title == "previous snapshot (2026-02-23): 18%"


def test_phase_counts_and_behind_per_phase() -> None:
    counts = [(c.phase, c.lines, c.behind) for c in phase_counts(fx.pair_metrics())]
    assert counts == [("get_to_know", 3, 2), ("share_context", 1, 1), ("maintain", 5, 5)]


def test_under_served_new_relationships_come_first() -> None:
    order = behind_lines(fx.pair_metrics()).get_column("report_email").to_list()
    assert order == [fx.e(w) for w in fx.BEHIND_ORDER]
    table = phase_table(fx.pair_metrics(), fx.names_by_email(), LINKS, 90)
    grace = table.rows[0]
    assert [c.text for c in grace] == ["Grace Gill", "Erin Ember", "Get to know", "2026-01-20",
                                       "0 of 5.9", "0%"]  # fmt: skip
    assert grace[1].href == LINKS[fx.e("erin")]
    assert table.rows[3][3].text == "2026-01-05"  # dan: share context since his new title


def test_team_table_shows_each_lines_phase_and_adherence() -> None:
    pairs = fx.pair_metrics().filter(pl.col("manager_email") == fx.e("dan"))
    table = team_table(pairs, fx.names_by_email(), fx.meta())
    at = {h: i for i, h in enumerate(table.headers)}
    shown = {r[0].text: (r[at["Phase"]].text, r[at["Adherence"]].text) for r in table.rows}
    assert shown == {
        "Hugo Hale": ("Get to know", "50%"),
        "Ivy Irons": ("Get to know", "⚠ 0% behind"),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return render_reports(fx.tables(), fx.meta(), tmp_path_factory.mktemp("org"))


def test_an_organisation_page_per_manager_of_managers(files: ReportFiles) -> None:
    assert set(files.orgs) == {fx.e("zoe"), fx.e("alice")}
    assert all(p.parent.name == "orgs" for p in files.orgs.values())


def test_an_organisation_page_shows_nobody_outside_it(files: ReportFiles) -> None:
    html = files.orgs[fx.e("alice")].read_text()
    inside = fx.ALICE_ORG | {"alice"}
    assert all(fx.NAMES[w] in html for w in inside)
    outside = [w for w in fx.NAMES if w not in inside]
    assert [w for w in outside if fx.NAMES[w] in html or fx.e(w) in html] == []


def hrefs(page: Path) -> list[str]:
    return re.findall(r'href="([^"#:]+\.html)"', page.read_text())


def test_links_up_and_down_open_pages_that_exist(files: ReportFiles) -> None:
    alice = files.orgs[fx.e("alice")]
    html = alice.read_text()
    up = re.search(r'<a href="([^"]+)" id="up-org">', html)
    assert up and (alice.parent / up[1]).resolve() == files.orgs[fx.e("zoe")].resolve()
    targets = {(alice.parent / h).resolve() for h in hrefs(alice)}
    assert files.managers[fx.e("dan")].resolve() in targets  # down: dan has only a team
    assert files.managers[fx.e("alice")].resolve() in targets  # her direct reports
    for page in [files.dashboard, *files.orgs.values(), *files.managers.values()]:
        missing = [h for h in hrefs(page) if not (page.parent / h).exists()]
        assert missing == [], page.name


def test_treemap_links_open_pages_that_exist(files: ReportFiles) -> None:
    html = files.dashboard.read_text()
    links = set(re.findall(r'\["((?:orgs|managers)/[\w-]+\.html)"', html))
    assert {files.dashboard.parent / link for link in links} == {
        files.orgs[fx.e("zoe")], files.orgs[fx.e("alice")],
        files.managers[fx.e("erin")], files.managers[fx.e("dan")],
    }  # fmt: skip


def test_manager_pages_link_to_their_own_organisation_and_the_one_above(files: ReportFiles) -> None:
    def target(manager: str, anchor: str) -> Path | None:
        page = files.managers[fx.e(manager)]
        found = re.search(rf'<a href="([^"]+)" id="{anchor}">', page.read_text())
        return (page.parent / found[1]).resolve() if found else None

    assert target("alice", "own-org") == files.orgs[fx.e("alice")].resolve()
    assert target("alice", "up-org") == files.orgs[fx.e("zoe")].resolve()
    assert target("dan", "up-org") == files.orgs[fx.e("alice")].resolve()
    assert target("dan", "own-org") is None
    assert target("zoe", "up-org") is None


def test_one_shared_plotly_js_beside_the_self_contained_dashboard(files: ReportFiles) -> None:
    out = files.dashboard.parent
    copies = sorted(str(p.relative_to(out)) for p in out.rglob("*")
                    if p.is_file() and PLOTLY_BANNER in p.read_text(errors="ignore"))  # fmt: skip
    assert copies == ["assets/plotly.min.js", "dashboard.html"]
    for page in [*files.orgs.values(), *files.managers.values()]:
        assert '<script src="../assets/plotly.min.js">' in page.read_text()
