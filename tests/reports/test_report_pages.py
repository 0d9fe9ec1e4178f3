"""KPI tiles, table rows, page assembly and the files render_reports writes."""

from __future__ import annotations

import re
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import report_fixtures as fx
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadInputError
from reports import ReportFiles, render_reports
from reports.fmt import hours, pct, slug
from reports.frames import with_unscheduled_call_hours
from reports.kpis import NO_CALL_RECORDS, line_totals, org_kpis, org_tiles, team_kpis
from reports.page import figure_json
from reports.tables import manager_index, neglected_table, team_table


def kpi_values() -> dict[str, str]:
    return {k.key: k.value for k in org_kpis(fx.tables(), fx.meta())}


def test_kpis_summarise_the_fixture_org() -> None:
    assert kpi_values() == {
        "coverage": "14%",
        "reports_met": "6 of 9",
        "neglected": "2",
        "intro_overdue": "1",
        "chronic": "2",
        "cancel_rate": "36.4%",
        "leverage": "90×",
        "verified": "67%",
        "freshness": "2026-03-01 23:00 CET",
    }


def test_tiles_from_org_kpis_equal_the_tiles_summed_from_the_lines() -> None:
    # The values shown before org_kpis existed: sums over pair_metrics, neglected from
    # the warehouse's list. The table's row must not change what a tile shows.
    tables = fx.tables()
    totals = replace(
        line_totals(tables["pair_metrics"]), neglected=tables["neglected_reports"].height
    )
    before = org_tiles(
        totals, tables["chronic_cancelers"], tables["kpi_history"].clear(), fx.meta()
    )
    assert [k.value for k in before] == list(kpi_values().values())


def test_lines_without_data_get_their_own_tile_beside_the_neglected() -> None:
    tables = fx.tables()
    tables["org_kpis"] = tables["org_kpis"].with_columns(no_data_reports=pl.lit(2, pl.Int64))
    tiles = {k.key: k for k in org_kpis(tables, fx.meta())}
    assert tiles["no_data"].value == "2" and tiles["no_data"].alert
    assert "never synced" in tiles["no_data"].detail
    assert "no_data" not in kpi_values(), "no tile while every line has data"


def test_freshness_names_failed_calendars_and_the_share_synced() -> None:
    tile = org_kpis(fx.tables(), fx.meta())[-1]
    assert tile.alert
    assert "9 of 10 calendars synced" in tile.detail
    assert fx.e("frank") in tile.detail


def test_freshness_caps_a_long_list_of_failures() -> None:
    failed = [f"p{i}@example.com" for i in range(25)]
    tile = org_kpis(fx.tables(), replace(fx.meta(), calendars_failed=failed))[-1]
    assert tile.detail.endswith("and 15 more")


def test_kpis_of_an_empty_org_show_dashes_not_errors() -> None:
    empty = {name: frame.clear() for name, frame in fx.tables().items()}
    values = {k.key: k.value for k in org_kpis(empty, fx.meta())}
    assert values["coverage"] == values["cancel_rate"] == values["leverage"] == "—"
    assert values["reports_met"] == "0 of 0"


def test_neglected_table_lists_never_met_first_with_intro_overdue_marked() -> None:
    table = neglected_table(fx.neglected_reports(), {}, fx.meta())
    first, second = table.rows
    assert [first[0].text, first[2].text, first[6].text] == [
        "Grace Gill", "never met", "⚠ intro overdue",
    ]  # fmt: skip
    assert [second[0].text, second[2].text, second[6].text] == ["Carol Cruz", "45", ""]


def test_neglected_table_links_managers_to_their_pages() -> None:
    pages = {fx.e("alice"): "managers/alice.html"}
    table = neglected_table(fx.neglected_reports(), pages, fx.meta())
    assert [row[1].href for row in table.rows] == [None, "managers/alice.html"]


def test_team_table_shows_next_one_on_one_in_org_time_zone() -> None:
    pairs = fx.pair_metrics().filter(pl.col("manager_email") == fx.e("alice"))
    rows = team_table(pairs, fx.names_by_email(), fx.meta()).rows
    bob = next(r for r in rows if r[0].text == "Bob Baker")
    assert bob[5].text == "2026-03-09 10:00 CET"


def test_figure_json_cannot_close_its_script_element() -> None:
    text = str(figure_json({"data": [{"name": "</script><b>x & y"}], "layout": {}}))
    assert "<" not in text and ">" not in text and "&" not in text


@pytest.mark.parametrize(
    ("value", "shown"), [(0.256, "26%"), (None, "—"), (1.0, "100%")], ids=["share", "null", "all"]
)
def test_percentages_are_rounded_whole(value: float | None, shown: str) -> None:
    assert pct(value) == shown


def test_hours_keep_one_decimal_only_when_small() -> None:
    assert (hours(1.5), hours(1234.4)) == ("1.5 h", "1,234 h")


@given(st.emails(), st.emails())
def test_slugs_are_file_safe_and_distinct(a: str, b: str) -> None:
    assert re.fullmatch(r"[a-z0-9-]+", slug(a))
    if a.lower() != b.lower():
        assert slug(a) != slug(b)


def test_missing_column_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    tables = fx.tables()
    tables["pair_metrics"] = tables["pair_metrics"].drop("coverage")
    del tables["sync_state"]
    with pytest.raises(BadInputError, match=r"pair_metrics.*coverage") as caught:
        render_reports(tables, fx.meta(), tmp_path / "out")
    assert "sync_state" in str(caught.value)
    assert not (tmp_path / "out").exists()


@pytest.fixture
def rendered(tmp_path: Path) -> ReportFiles:
    return render_reports(fx.tables(), fx.meta(), tmp_path / "out")


def test_every_file_is_readable_by_the_owner_only(rendered: ReportFiles) -> None:
    out = rendered.dashboard.parent
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_a_csv_is_written_for_every_table(rendered: ReportFiles) -> None:
    assert set(rendered.csv) == set(fx.tables())
    people = pl.read_csv(rendered.csv["people"])
    assert people.height == len(fx.NAMES)


def test_one_page_per_manager_with_an_active_line(rendered: ReportFiles) -> None:
    assert set(rendered.managers) == {fx.e(w) for w in ("alice", "dan", "erin", "zoe")}


def test_manager_page_text_mentions_only_their_team(rendered: ReportFiles) -> None:
    html = rendered.managers[fx.e("alice")].read_text()
    assert all(fx.NAMES[w] in html for w in fx.ALICE_TEAM)
    assert not [n for w, n in fx.NAMES.items() if w not in fx.ALICE_TEAM | {"alice"} and n in html]
    assert fx.e("frank") not in html  # nor the failed calendar of another team
    assert "Hugo" not in html  # dan's report: on alice's organisation page, not her team's


def test_rerender_removes_pages_of_managers_who_left(tmp_path: Path) -> None:
    first = render_reports(fx.tables(), fx.meta(), tmp_path)
    tables = fx.tables()
    tables["pair_metrics"] = tables["pair_metrics"].filter(pl.col("manager_email") != fx.e("erin"))
    second = render_reports(tables, fx.meta(), tmp_path)
    assert not first.managers[fx.e("erin")].exists()
    assert set(second.managers) == {fx.e(w) for w in ("alice", "dan", "zoe")}


def test_rerender_removes_the_page_of_an_organisation_that_is_gone(tmp_path: Path) -> None:
    first = render_reports(fx.tables(), fx.meta(), tmp_path)
    (tmp_path / "managers" / "plotly.min.js").write_text("an earlier version's copy")
    tables = fx.tables()  # dan's reports left: alice manages no manager any more
    gone = pl.col("manager_email").is_in([fx.e("dan")])
    tables["pair_metrics"] = tables["pair_metrics"].filter(~gone)
    tables["org_rollups"] = tables["org_rollups"].filter(~gone)
    second = render_reports(tables, fx.meta(), tmp_path)
    assert set(second.orgs) == {fx.e("zoe")}
    assert not first.orgs[fx.e("alice")].exists()
    assert not (tmp_path / "managers" / "plotly.min.js").exists()


def test_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    tmp_path.joinpath("dashboard.html").write_text("old")
    tmp_path.joinpath("dashboard.html").chmod(0o644)
    files = render_reports(fx.tables(), fx.meta(), tmp_path)
    assert stat.S_IMODE(files.dashboard.stat().st_mode) == 0o600


def tile(tables: dict[str, pl.DataFrame], key: str) -> Any:
    return next(k for k in org_kpis(tables, fx.meta()) if k.key == key)


def test_the_verified_tile_is_the_share_of_online_one_on_ones_both_people_joined() -> None:
    verified = tile(fx.tables(), "verified")
    assert verified.value == "67%"  # 4 of 6 held online 1:1s with call records
    assert verified.detail.startswith("4 of 6 held online 1:1s with call records")
    assert "2 no-shows" in verified.detail
    assert verified.alert  # under 80%


def test_without_call_records_the_verified_tile_says_so_rather_than_zero() -> None:
    tables = fx.tables()
    tables["org_kpis"] = tables["org_kpis"].with_columns(
        attended=pl.lit(0, pl.Int64), no_show=pl.lit(0, pl.Int64),
        attended_rate=pl.lit(None, pl.Float64),
    )  # fmt: skip
    verified = tile(tables, "verified")
    assert verified.value == NO_CALL_RECORDS == "no call records"
    assert "stayed scheduled" in verified.detail
    assert not verified.alert
    every_no_show = tables["org_kpis"].with_columns(attended=pl.lit(0, pl.Int64))
    tables["org_kpis"] = every_no_show.with_columns(no_show=pl.lit(3, pl.Int64))
    assert tile(tables, "verified").value == "0%"  # evidence that nobody both joined is 0%


def test_a_managers_page_has_the_verified_tile_of_their_own_lines() -> None:
    alice = line_totals(fx.pair_metrics().filter(pl.col("manager_email") == fx.e("alice")))
    tiles = {k.key: k.value for k in team_kpis(alice, fx.meta())}
    assert tiles["verified"] == "67%"  # bob's two attended, dan's no-show


def test_the_managers_table_shows_unscheduled_call_hours_beside_their_hours_in_1on1s() -> None:
    managers = with_unscheduled_call_hours(fx.manager_metrics(), fx.pair_metrics())
    table = manager_index(managers, fx.names_by_email(), {})
    column = table.headers.index("Unscheduled calls")
    assert table.headers[column - 1] == "Hours in 1:1s"
    shown = {row[0].text: row[column].text for row in table.rows}
    assert shown == {"Alice Archer": hours(0.75), "Erin Ember": "0.0 h", "Zoe Chief": "1.0 h",
                     "Dan Dorn": "0.0 h"}  # fmt: skip
    unread = fx.pair_metrics().with_columns(unscheduled_call_hours=pl.lit(None, pl.Float64))
    table = manager_index(with_unscheduled_call_hours(fx.manager_metrics(), unread),
                          fx.names_by_email(), {})  # fmt: skip
    assert {row[column].text for row in table.rows} == {"—"}
