"""The rendered pages in real headless Chromium: drawn, complete, and nobody else's data."""

from __future__ import annotations

from pathlib import Path

import pytest
import report_fixtures as fx
from browser_kit import (
    column_texts,
    drawn_figures,
    drawn_points,
    open_page,
    screenshot,
    severe,
)
from plotly.offline import get_plotlyjs_version
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from reports import ReportFiles, render_reports
from reports.chronic import CHRONIC_TRACE
from reports.page import PLOTLY_BUNDLE, environment
from reports.tables import Cell, Table
from reports.timeline import NO_SHOW_LABEL

pytestmark = pytest.mark.browser

MAIN_TRACES = {"hierarchy": 1, "history": 4, "chronic": 2, "cadence": 1, "leverage": 2,
               "trends": 5}  # fmt: skip
ORG_TRACES = {"hierarchy": 1, "history": 4, "chronic": 2}
MANAGER_TRACES = {"timeline": 7, "trends": 5}
PLOTLY_BANNER = "* plotly.js v"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return render_reports(fx.tables(), fx.meta(), tmp_path_factory.mktemp("reports"))


def test_dashboard_draws_every_figure_without_console_errors(
    browser: webdriver.Chrome, files: ReportFiles, artifacts: Path
) -> None:
    log = open_page(browser, files.dashboard)
    assert severe(log) == []
    assert drawn_figures(browser) == MAIN_TRACES
    screenshot(browser, artifacts, "dashboard")


OUTSIDE_THEIR_FIGURE = """
var out = [];
document.querySelectorAll("div.figure").forEach(function (fig) {
  var box = fig.querySelector("svg.main-svg").getBoundingClientRect();
  fig.querySelectorAll(".xtick text, .ytick text, .y2tick text, .g-xtitle, .g-ytitle, .g-y2title")
    .forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1 ||
                      r.top < box.top - 1 || r.bottom > box.bottom + 1))
        out.push(fig.id + ": " + t.textContent);
    });
});
return out;
"""


def test_every_tick_label_and_axis_title_fits_inside_its_figure(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    assert browser.execute_script(OUTSIDE_THEIR_FIGURE) == []


TRACE_TYPES = """
return Array.from(document.querySelectorAll("script.fig-spec")).flatMap(function (s) {
  return JSON.parse(s.textContent).data.map(function (t) { return t.type || "scatter"; });
});
"""


def test_the_partial_plotly_bundle_carries_every_trace_type_the_pages_draw(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    pages = [files.dashboard, next(iter(files.orgs.values())), files.managers[fx.e("alice")]]
    drawn: set[str] = set()
    for page in pages:
        open_page(browser, page)
        drawn.update(browser.execute_script(TRACE_TYPES))
    registered = browser.execute_script("return Object.keys(Plotly.PlotSchema.get().traces)")
    assert drawn == {"scatter", "bar", "heatmap", "treemap"}
    assert drawn <= set(registered)


def test_the_partial_plotly_bundle_is_the_version_the_plotly_package_ships() -> None:
    banner = PLOTLY_BUNDLE.read_text(encoding="utf-8")[:200]
    assert f"{PLOTLY_BANNER}{get_plotlyjs_version()}\n" in banner


def test_dashboard_embeds_plotly_js_exactly_once(files: ReportFiles) -> None:
    html = files.dashboard.read_text()
    assert html.count(PLOTLY_BANNER) == 1
    assert "<script src=" not in html  # self-contained: opens offline


def test_neglected_table_lists_exactly_the_neglected_reports(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    expected = [fx.NAMES["grace"], fx.NAMES["carol"]]  # never met first
    assert column_texts(browser, "neglected", 1) == expected


def test_chronic_chart_labels_exactly_the_chronic_cancelers(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    shown = browser.execute_script(
        "var name = arguments[0];"
        "var t = document.getElementById('chronic').data.find("
        "  function (t) { return t.name === name; });"
        "return t.customdata.map(function (r) { return r[0]; });",
        CHRONIC_TRACE,
    )
    assert set(shown) == {fx.e(w) for w in fx.CHRONIC}
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chronic text.bartext'),"
        " function (t) { return t.textContent; });"
    )
    assert sum("chronic" in label for label in labels) == len(fx.CHRONIC)


def test_dashboard_shows_sandbox_banner_and_names_failed_calendars(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    assert browser.find_element(By.ID, "sandbox-banner").is_displayed()
    assert column_texts(browser, "sync-failures", 1) == [fx.e("frank")]
    tile = browser.find_element(By.CSS_SELECTOR, "[data-kpi=freshness]").text
    assert fx.e("frank") in tile


def test_manager_page_shows_their_team_and_nobody_else(
    browser: webdriver.Chrome, files: ReportFiles, artifacts: Path
) -> None:
    log = open_page(browser, files.managers[fx.e("alice")])
    assert severe(log) == []
    assert drawn_figures(browser) == MANAGER_TRACES
    team = {fx.NAMES[w] for w in fx.ALICE_TEAM}
    assert set(column_texts(browser, "team", 1)) == team
    rows = browser.execute_script(
        "return document.getElementById('timeline').data.flatMap(function (t) { return t.y; });"
    )
    assert set(rows) <= team
    page_text = browser.find_element(By.TAG_NAME, "body").text
    outsiders = [n for w, n in fx.NAMES.items() if w not in fx.ALICE_TEAM | {"alice"}]
    assert [n for n in outsiders if n in page_text] == []
    screenshot(browser, artifacts, "manager-alice")


def test_manager_links_on_the_dashboard_open_their_pages(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    link = browser.find_element(By.LINK_TEXT, fx.NAMES["erin"])
    link.click()
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.body.dataset.drawn") == "true"
    )
    assert browser.find_element(By.ID, "manager-name").text == "Erin Ember's team"
    assert set(column_texts(browser, "team", 1)) == {fx.NAMES["frank"], fx.NAMES["grace"]}


def test_table_filter_narrows_the_manager_list(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    browser.find_element(By.CSS_SELECTOR, "#managers-tools input").send_keys("zoe")
    visible = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "#managers tbody tr")]
    assert [v.split(" ")[0] for v in visible if v] == ["Zoe"]


def test_a_click_in_the_hierarchy_opens_that_organisation_with_its_tiles_and_phases(
    browser: webdriver.Chrome, files: ReportFiles, artifacts: Path
) -> None:
    open_page(browser, files.dashboard)
    label = next(
        t
        for t in browser.find_elements(By.CSS_SELECTOR, "#hierarchy g.slice text.slicetext")
        if (t.get_attribute("textContent") or "").startswith(fx.NAMES["alice"])
    )
    browser.get_log("browser")
    ActionChains(browser).move_to_element(label).click().perform()
    WebDriverWait(browser, 30).until(
        lambda d: (
            d.execute_script("return document.body.dataset.drawn") == "true"
            and d.find_elements(By.ID, "org-name")
        )
    )
    assert browser.find_element(By.ID, "org-name").text == "Alice Archer's organisation"
    assert severe(browser.get_log("browser")) == []
    assert drawn_figures(browser) == ORG_TRACES
    coverage = browser.find_element(By.CSS_SELECTOR, "[data-kpi=coverage]")
    assert coverage.is_displayed() and "▼ 2 pts" in coverage.text
    assert browser.find_element(By.ID, "phase-counts").is_displayed()
    behind = [fx.NAMES[w] for w in fx.BEHIND_ORDER if w in fx.ALICE_ORG]
    assert column_texts(browser, "behind-phase", 1) == behind
    screenshot(browser, artifacts, "org-alice")


def long_table_page(tmp_path: Path, rows: int) -> tuple[Path, list[str]]:
    """A page of one 50-row-per-page table of `rows` people, each linking to a page."""
    names = [f"Person {i:03d}" for i in range(rows)]
    table = Table(
        "people",
        "People",
        ("Name", "Status"),
        [[Cell(n, href=f"p{i}.html"), Cell("⚠ late", cls="flag")] for i, n in enumerate(names)],
    )
    template = environment().from_string(
        '{% extends "base.html.j2" %}{% from "macros.html.j2" import table %}'
        "{% block body %}{{ table(t) }}{% endblock %}"
    )
    page = tmp_path / "table.html"
    page.write_text(template.render(meta=fx.meta(), generated="now", t=table))
    return page, names


def test_a_long_table_keeps_one_page_of_rows_in_the_html_and_the_rest_as_data(
    tmp_path: Path,
) -> None:
    page, names = long_table_page(tmp_path, 120)
    html = page.read_text()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 50 and names[49] in body and names[50] not in body
    assert "Showing the first 50 of 120 rows" in html.split("<noscript>", 1)[1]


def test_the_pager_shows_every_row_page_by_page_and_filters_them_all(
    browser: webdriver.Chrome, tmp_path: Path
) -> None:
    page, names = long_table_page(tmp_path, 120)
    browser.get(page.as_uri())
    rows = browser.find_elements(By.CSS_SELECTOR, "#people tbody tr")
    assert len(rows) == 50
    assert browser.find_element(By.CSS_SELECTOR, "#people-tools .status").text == "1–50 of 120"
    assert column_texts(browser, "people", 1) == names
    assert browser.find_element(By.CSS_SELECTOR, "#people-tools .status").text == "101–120 of 120"
    browser.find_element(By.CSS_SELECTOR, "#people-tools input").send_keys("person 117")
    (row,) = browser.find_elements(By.CSS_SELECTOR, "#people tbody tr")
    link = row.find_element(By.TAG_NAME, "a")
    assert (link.text, link.get_attribute("href")) == (
        "Person 117",
        (tmp_path / "p117.html").as_uri(),
    )
    flag = row.find_elements(By.TAG_NAME, "td")[1]
    assert (flag.text, flag.get_attribute("class")) == ("⚠ late", "flag")
    assert browser.find_element(By.CSS_SELECTOR, "#people-tools .status").text == "1–1 of 1"


def test_the_verified_tile_and_a_no_show_marker_are_on_the_pages(
    browser: webdriver.Chrome, files: ReportFiles
) -> None:
    open_page(browser, files.dashboard)
    tile = browser.find_element(By.CSS_SELECTOR, "[data-kpi=verified]").text
    assert "Verified 1:1s" in tile and "67%" in tile and "4 of 6" in tile
    assert severe(open_page(browser, files.managers[fx.e("alice")])) == []
    (no_show,) = drawn_points(browser, "timeline", NO_SHOW_LABEL)
    held = drawn_points(browser, "timeline", "Held")
    assert no_show["symbol"] == "hourglass" and held
    assert no_show["d"] not in {p["d"] for p in held}  # a shape of its own
    legend = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline .legendtext")]
    assert NO_SHOW_LABEL in legend
