"""The one-manager main page in real headless Chromium: drawn, offline, only that team."""

from __future__ import annotations

from pathlib import Path

import pytest
import report_fixtures as fx
from browser_kit import column_texts, drawn_figures, open_page, screenshot, severe
from selenium import webdriver

from reports import render_reports

pytestmark = pytest.mark.browser

# dan manages no manager, so his roll-up history is his team's and "Over time" is drawn.
TRACES = {"timeline": 7, "chronic": 2, "leverage": 2, "trends": 5, "history": 4}
DAN_TEAM = {"hugo", "ivy"}


def test_the_one_manager_main_page_draws_offline_without_console_errors(
    browser: webdriver.Chrome, tmp_path: Path, artifacts: Path
) -> None:
    render_reports(fx.tables(), fx.meta(), tmp_path)  # an organisation run first, then dan's
    files = render_reports(fx.tables(), fx.meta(), tmp_path, manager=fx.e("dan"))
    log = open_page(browser, files.dashboard)
    assert severe(log) == []
    assert drawn_figures(browser) == TRACES
    # Self-contained: no script file beside it (the organisation run's copy is gone) and
    # nothing fetched from a network.
    assert browser.execute_script("return document.querySelectorAll('script[src]').length") == 0
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (r) { return r.name; });"
    )
    assert loaded == []
    team = {fx.NAMES[w] for w in DAN_TEAM}
    assert set(column_texts(browser, "team", 1)) == team
    leverage = browser.execute_script("return document.getElementById('leverage').data[0].text;")
    assert set(leverage) == team
    text = browser.find_element("tag name", "body").text
    assert "Dan Dorn's team" in text
    outsiders = [n for w, n in fx.NAMES.items() if w not in DAN_TEAM | {"dan"}]
    assert [n for n in outsiders if n in text] == []
    screenshot(browser, artifacts, "one-manager-dan")
