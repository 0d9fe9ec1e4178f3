"""Headless Chromium (Debian's chromium + chromedriver) for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def chrome_options(profile: Path) -> webdriver.ChromeOptions:
    """Headless, offline-quiet Chromium with browser console logging enabled."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def open_page(browser: webdriver.Chrome, path: Path) -> list[dict[str, Any]]:
    """Load a page, wait until every figure is drawn, return the console log."""
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(path.as_uri())
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.body.dataset.drawn") == "true"
    )
    return list(browser.get_log("browser"))


def screenshot(browser: webdriver.Chrome, artifacts: Path, name: str) -> None:
    """Save the whole page as a PNG in test-artifacts/."""
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1400, min(int(height) + 120, 12000))
    assert browser.save_screenshot(str(artifacts / f"{name}.png"))
    browser.set_window_size(1400, 1000)


def drawn_figures(browser: webdriver.Chrome) -> dict[str, int]:
    """Figure id → number of traces, for figures that have an SVG drawn."""
    return browser.execute_script(
        "var out = {};"
        "document.querySelectorAll('div.figure').forEach(function (d) {"
        "  if (d.querySelector('svg.main-svg') && d.data) out[d.id] = d.data.length; });"
        "return out;"
    )


def severe(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["level"] == "SEVERE"]


PAGE_THROUGH = """
var id = arguments[0], column = arguments[1];
var box = document.getElementById(id + "-tools");
var prev = box.querySelector(".prev"), next = box.querySelector(".next");
while (!prev.disabled) prev.click();
var texts = [];
for (;;) {
  document.querySelectorAll("#" + id + " tbody tr").forEach(function (tr) {
    if (tr.cells.length >= column) texts.push(tr.cells[column - 1].textContent);
  });
  if (next.disabled) return texts;
  next.click();
}
"""


def column_texts(browser: webdriver.Chrome, table_id: str, column: int) -> list[str]:
    """A column's cells in every row the filter lets through, read page by page.

    Only the page shown is in the DOM: this presses the table's Previous button back
    to the first page, then Next until it is disabled.
    """
    return list(browser.execute_script(PAGE_THROUGH, table_id, column))


DRAWN_POINTS = """
var gd = document.getElementById(arguments[0]), name = arguments[1], out = [];
gd.querySelectorAll(".scatterlayer .trace").forEach(function (g) {
  var cd = g.__data__, trace = cd && cd[0] && cd[0].trace;
  if (trace && trace.name === name)
    g.querySelectorAll("path.point").forEach(function (p) {
      out.push({symbol: trace.marker.symbol, d: p.getAttribute("d")});
    });
});
return out;
"""


def drawn_points(
    browser: webdriver.Chrome, figure_id: str, trace_name: str
) -> list[dict[str, str]]:
    """The markers plotly drew in the SVG for one trace of a figure: each with its
    trace's symbol and its path."""
    return list(browser.execute_script(DRAWN_POINTS, figure_id, trace_name))
