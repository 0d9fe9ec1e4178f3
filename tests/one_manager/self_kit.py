"""A manager's own run against the sandbox, through the `oneonone` command: sign in the
way a person does (a browser for Google, a code for Microsoft), then run."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import polars as pl
from polars.testing import assert_frame_equal

from connectors.sandbox.app import Sandbox
from connectors.sandbox.embedded import one_manager_config
from warehouse import Warehouse

ONEONONE = str(Path(sys.executable).with_name("oneonone"))
ANCHOR = date(2026, 11, 16)
COMPARED = ("pair_metrics", "occurrences", "neglected_reports")
KEYS = {
    "pair_metrics": ["report_email"],
    "occurrences": ["occurrence_id"],
    "neglected_reports": ["report_email"],
}
# What says which calendars were read, not what happened: the line's `data` (one side
# read: partial), an occurrence's `providers` (whose calendars held a copy) and its
# `series_key` (the smallest of the copies' series ids: Graph's differ per mailbox).
ONE_SIDED = ("data", "providers", "series_key")
ENV = {"COLUMNS": "200", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": ""}


@dataclass(frozen=True)
class Me:
    """One manager's configuration and where their run writes."""

    config: Path
    warehouse: Path
    out: Path


def self_config(sandbox: Sandbox, folder: Path, provider: str, manager: str, roster: Path) -> Me:
    """The configuration `oneonone sandbox` writes for one manager's own run, its tokens
    kept in a file under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = one_manager_config(sandbox, provider, manager, roster, folder)
    text += f'\n[login]\nstore = "file"\ndirectory = "{folder / "tokens"}"\n'
    config = folder / "me.toml"
    config.write_text(text, encoding="utf-8")
    return Me(config, folder / f"me-{provider}.duckdb", folder / f"out-me-{provider}")


def oneonone(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ONEONONE, *args],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def login_microsoft(me: Me, email: str, ca_bundle: Path) -> subprocess.CompletedProcess[str]:
    """`oneonone login microsoft`: the person opens the page the command shows and
    enters its code and their address, while the command polls."""
    child = _start("login", "microsoft", "--config", str(me.config))
    assert child.stderr is not None
    shown = []
    for line in child.stderr:
        shown.append(line)
        found = re.search(r"open the page (https://\S+) and enter the code (\w+)", line)
        if found:
            trust = ssl.create_default_context(cafile=str(ca_bundle))
            form = {"otc": found.group(2), "login": email, "action": "approve"}
            entered = httpx.post(found.group(1), data=form, verify=trust)
            assert entered.status_code == 200, entered.text
            break
    return _finish(child, shown)


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ONEONONE, *args],
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(child: subprocess.Popen[str], shown: list[str]) -> subprocess.CompletedProcess[str]:
    out, err = child.communicate(timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, out, "".join(shown) + err)


def login_google(me: Me, ca_bundle: Path, account: str) -> subprocess.CompletedProcess[str]:
    """`oneonone login google --no-browser`, the address it shows opened by a browser
    that trusts the sandbox (the sandbox consents as the account offered)."""
    child = _start(
        "login", "google", "--no-browser", "--account", account, "--config", str(me.config)
    )
    assert child.stderr is not None
    shown = []
    for line in child.stderr:
        shown.append(line)
        found = re.search(r"https://\S+/o/oauth2/auth\?\S+", line)
        if found:
            trust = ssl.create_default_context(cafile=str(ca_bundle))
            consent = httpx.get(found.group(0), verify=trust, follow_redirects=False)
            assert consent.status_code == 302, consent.text
            back = httpx.get(consent.headers["location"], timeout=30)
            assert back.status_code == 200, back.text
            break
    return _finish(child, shown)


@dataclass(frozen=True)
class World:
    sandbox: Sandbox
    warehouse: Path  # the organisation's run's
    roster: Path  # the organisation's roster CSV


def manager_of(sandbox: Sandbox, provider: str) -> str:
    """A manager on `provider` with a planted neglected report if there is one, else the
    one with the most direct reports."""
    people = [p for p in sandbox.org.people if p.active]
    teams = {
        m.email: {p.email for p in people if p.manager_email == m.email}
        for m in people
        if m.provider == provider
    }
    neglected = sandbox.org.truth.neglected
    return max(sorted(teams), key=lambda email: (bool(teams[email] & neglected), len(teams[email])))


def lines_of(warehouse: Path, manager: str) -> dict[str, pl.DataFrame]:
    """The compared tables' rows of `manager`'s lines, in the order of their keys."""
    with Warehouse(warehouse, read_only=True) as wh:
        return {
            name: wh.table(name).filter(pl.col("manager_email") == manager).sort(KEYS[name])
            for name in COMPARED
        }


def assert_same_lines(
    own_warehouse: Path, org_warehouse: Path, manager: str, file: str | None = None
) -> None:
    """Every figure of the manager's lines is the organisation run's. Only the columns
    that say which calendars were read differ (ONE_SIDED): one side of each line was read
    (`partial`), not both (`ok`).

    `file`: the manager's calendar came from an export, which knows some things the API
    does not and misses others (see LEAD_TIMES); those columns are compared where both
    know them.
    """
    own, org = lines_of(own_warehouse, manager), lines_of(org_warehouse, manager)
    assert set(own["pair_metrics"]["data"]) == {"partial"}
    assert set(org["pair_metrics"]["data"]) == {"ok"}
    for name in COMPARED:
        assert own[name].height > 0 or name == "neglected_reports", name
        ignored = (*ONE_SIDED, *(LEAD_TIMES.get(name, ()) if file else ()))
        mine = own[name].drop(*ignored, strict=False)
        theirs = org[name].drop(*ignored, strict=False)
        # Floats to the last bit or so: the two builds add in different orders.
        assert_frame_equal(mine, theirs, check_exact=False, rel_tol=1e-12, abs_tol=0)
    if file == "google":
        _assert_known_where_the_api_knows(own, org)
    elif file == "outlook":
        _assert_known_where_the_file_knows(own, org)


# What a file and the API know differently about cancelled instances. A Google export
# writes a cancelled instance in full, with the time it was last changed (when it was
# cancelled) and its links; the Calendar API sends a bare stub. An Outlook export keeps
# each attendee's answer but not when they gave it; Graph keeps that time.
LEAD_TIMES = {
    "occurrences": ("cancel_lead_hours", "has_agenda", "meeting_key"),
    "pair_metrics": ("late_cancellations",),
}


def _assert_known_where_the_api_knows(
    own: dict[str, pl.DataFrame], org: dict[str, pl.DataFrame]
) -> None:
    """A Google file: the same on every held or scheduled 1:1, and on cancelled ones
    wherever the API's stub said; more late cancellations can only be found."""
    mine, theirs = own["occurrences"], org["occurrences"]
    for column in LEAD_TIMES["occurrences"]:
        for status, a, b in zip(mine["status"], mine[column], theirs[column], strict=True):
            assert a == b or (status == "cancelled" and b in (None, False)), (column, a, b)
    late = own["pair_metrics"]["late_cancellations"] >= org["pair_metrics"]["late_cancellations"]
    assert late.all()


def _assert_known_where_the_file_knows(
    own: dict[str, pl.DataFrame], org: dict[str, pl.DataFrame]
) -> None:
    """An Outlook file: links the same; a lead time the same unless it is a report's
    decline, which the file cannot date (so fewer late cancellations can be found)."""
    mine, theirs = own["occurrences"], org["occurrences"]
    for column in ("has_agenda", "meeting_key"):
        assert mine[column].equals(theirs[column]), column
    leads = mine.select("canceled_by", "report_email", "cancel_lead_hours").rows()
    for (by, report, a), b in zip(leads, theirs["cancel_lead_hours"], strict=True):
        assert a == b or (a is None and by == report), (by, a, b)
    late = own["pair_metrics"]["late_cancellations"] <= org["pair_metrics"]["late_cancellations"]
    assert late.all()
