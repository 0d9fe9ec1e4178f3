"""Fixtures shared across test areas."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_kit import ARTIFACTS, CHROMEDRIVER, CHROMIUM, chrome_options
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# A new install's first run backfills `run.history_weeks - 1` weeks before it: one week
# here (what the end-to-end test's week-over-week checks need) instead of eleven; the
# tests of that backfill set the default of 12 themselves.
os.environ.setdefault("ONEONONE_RUN__HISTORY_WEEKS", "2")
# `make test` runs the suite in two worker processes (pytest-xdist): each worker's
# Prefect, and every command it starts, keeps its own database, so two never share one
# SQLite file.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _home = tempfile.mkdtemp(prefix=f"oneonone-prefect-{os.environ['PYTEST_XDIST_WORKER']}-")
    os.environ["PREFECT_HOME"] = _home
    atexit.register(shutil.rmtree, _home, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """One temporary Prefect API for the whole session (it takes ~15 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def _prefect_events_stream_closed_after_each_test() -> Iterator[None]:
    """A flow run in-process leaves Prefect's events worker connected to the session's API;
    its websocket pings every 20 s with the global `random`, which makes a Hypothesis test
    that happens to draw meanwhile fail as flaky. Draining the worker closes the socket (a
    later flow starts a new one)."""
    yield
    events = sys.modules.get("prefect.events.worker")
    if events is not None:
        events.EventsWorker.drain_all(timeout=30, at_exit=False)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """A session-wide Chromium; missing binaries fail the test run with the reason."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists() and shutil.which(Path(binary).name) is None:
            pytest.fail(
                f"{binary} is missing: install Debian's chromium and chromium-driver "
                "(apt-get install chromium chromium-driver) to run the browser tests",
                pytrace=False,
            )
    profile = tmp_path_factory.mktemp("chromium-profile")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chrome_options(profile))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ under the repo root (git-ignored) for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
