"""Headless Chromium (Debian's chromium + chromedriver) for the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.common.by import By
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


def column_texts(browser: webdriver.Chrome, table_id: str, column: int) -> list[str]:
    cells = browser.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr td:nth-child({column})")
    return [c.get_attribute("textContent") or "" for c in cells]
