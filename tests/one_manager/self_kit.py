"""A manager's own run against the sandbox, through the `oneonone` command: sign in the
way a person does (a browser for Google, a code for Microsoft), then run."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from connectors.sandbox.app import Sandbox

ONEONONE = str(Path(sys.executable).with_name("oneonone"))
ENV = {"COLUMNS": "200", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": ""}


@dataclass(frozen=True)
class Me:
    """One manager's configuration and where their run writes."""

    config: Path
    warehouse: Path
    out: Path


def team_csv(org_roster: Path, manager: str, path: Path) -> Path:
    """The manager's reports as a CSV, the organisation roster's rows for them (their
    start dates and titles)."""
    lines = org_roster.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines[1:] if line.split(",")[2] == manager]
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return path


def self_config(sandbox: Sandbox, folder: Path, provider: str, reports_csv: Path | None) -> Me:
    """A `roster.source = "self"` configuration that reaches the sandbox."""
    folder.mkdir(parents=True, exist_ok=True)
    google, microsoft = sandbox.google_signin, sandbox.microsoft_signin
    listed = f'path = "{reports_csv}"' if reports_csv else ""
    text = f"""[roster]
source = "self"
provider = "{provider}"
{listed}

[google]
oauth_client_file = "{google.client_file}"
api_endpoint = "{google.api_endpoint}"

[microsoft]
client_id = "{microsoft.client_id}"
tenant_id = "{microsoft.tenant_id}"
authority = "{microsoft.authority}"
graph_endpoint = "{microsoft.graph_endpoint}"

[login]
store = "file"
directory = "{folder / "tokens"}"

[warehouse]
path = "{folder / "me.duckdb"}"

[report]
out_dir = "{folder / "out"}"

[http]
ca_bundle = "{sandbox.http.ca_bundle}"
"""
    config = folder / "me.toml"
    config.write_text(text, encoding="utf-8")
    return Me(config, folder / "me.duckdb", folder / "out")


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


def login_google(me: Me, ca_bundle: Path) -> subprocess.CompletedProcess[str]:
    """`oneonone login google --no-browser`, the address it shows opened by a browser
    that trusts the sandbox (the sandbox consents as its browser user)."""
    child = _start("login", "google", "--no-browser", "--config", str(me.config))
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
