"""The sandbox as the product uses it: embedded in a run, or served by `oneonone sandbox`.

The embedded sandbox takes two knobs from the environment, for tests and demos that
run whole deployments: `ONEONONE_SANDBOX_SIZE` (people, default 200) and
`ONEONONE_SANDBOX_FAIL` (comma-separated mailboxes whose calendar always answers 404,
to exercise partial runs end to end).
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rich.console import Console

from connectors.sandbox.app import Sandbox, start_sandbox, tune_collector
from connectors.sandbox.server import Fault, Reply

SECRET_VARIABLE = "ONEONONE_SANDBOX_SECRET"
SIZE_VARIABLE = "ONEONONE_SANDBOX_SIZE"
FAIL_VARIABLE = "ONEONONE_SANDBOX_FAIL"


@contextmanager
def embedded_sandbox(as_of: date) -> Iterator[tuple[Sandbox, Path]]:
    """A sandbox anchored on `as_of` for one run, and its roster as a CSV file.

    The roster comes as a CSV file: no single directory can say that a Microsoft
    report's manager is on Google Workspace (the merger case).
    """
    with tempfile.TemporaryDirectory(prefix="oneonone-sandbox-") as folder:
        state = Path(folder)
        size = int(os.environ.get(SIZE_VARIABLE) or 200)
        with start_sandbox(state, anchor=as_of, size=size) as sandbox:
            for email in _listed(os.environ.get(FAIL_VARIABLE, "")):
                fail_mailbox(sandbox, email)
            yield sandbox, write_roster_csv(sandbox, state / "roster.csv")


def _listed(text: str) -> list[str]:
    return [item.strip().lower() for item in text.split(",") if item.strip()]


def fail_mailbox(sandbox: Sandbox, email: str) -> None:
    """Make the sandbox answer 404 to every calendar request for `email`, for good."""
    local, _, domain = email.partition("@")
    who = re.escape(local) + "(@|%40)" + re.escape(domain)
    forever = 1 << 62
    google = {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}}
    graph = {"error": {"code": "MailboxNotEnabledForRESTAPI", "message": "no mailbox"}}
    sandbox.server.add_fault(Fault(f"/calendars/{who}/events", Reply.json(google, 404), forever))
    sandbox.server.add_fault(Fault(f"/users/{who}/calendarView", Reply.json(graph, 404), forever))


def write_roster_csv(sandbox: Sandbox, path: Path) -> Path:
    """The sandbox roster as a CSV file, so a config can point at it."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "manager_email", "provider", "start_date", "title"])
        for member in sandbox.org.people:
            if member.active:
                writer.writerow(
                    [
                        member.email,
                        member.name,
                        member.manager_email or "",
                        member.provider,
                        (member.reports_since or member.hired_on).isoformat(),
                        member.title or "",
                    ]
                )
    return path


def sandbox_config(sandbox: Sandbox, roster: Path) -> str:
    """A configuration file that reaches the running sandbox."""
    google, microsoft = sandbox.google, sandbox.microsoft
    return f"""[roster]
source = "csv"
path = "{roster}"

[google]
service_account_file = "{google.service_account_file}"
admin_subject = "{google.admin_subject}"
api_endpoint = "{google.api_endpoint}"

[microsoft]
tenant_id = "{microsoft.tenant_id}"
client_id = "{microsoft.client_id}"
client_secret = "env:{SECRET_VARIABLE}"
authority = "{microsoft.authority}"
graph_endpoint = "{microsoft.graph_endpoint}"

[http]
ca_bundle = "{sandbox.http.ca_bundle}"
"""


def one_manager_config(
    sandbox: Sandbox, provider: str, manager: str, roster: Path, folder: Path
) -> str:
    """A configuration for `manager`'s own run (`roster.source = "self"`) on the sandbox,
    its warehouse and dashboard in `folder`; the organisation roster gives the manager's
    name and the reports' start dates and titles (a team CSV written in `folder`)."""
    google, microsoft = sandbox.google_signin, sandbox.microsoft_signin
    return f"""[roster]
source = "self"
provider = "{provider}"
path = "{team_csv(roster, manager, folder)}"

[google]
oauth_client_file = "{google.client_file}"
api_endpoint = "{google.api_endpoint}"

[microsoft]
client_id = "{microsoft.client_id}"
authority = "{microsoft.authority}"
graph_endpoint = "{microsoft.graph_endpoint}"

[warehouse]
path = "{folder / f"me-{provider}.duckdb"}"

[report]
out_dir = "{folder / f"out-me-{provider}"}"

[http]
ca_bundle = "{sandbox.http.ca_bundle}"
"""


def team_csv(roster: Path, manager: str, folder: Path) -> Path:
    """The rows of `manager` and their reports from the roster CSV, as a CSV in `folder`."""
    with roster.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    team = [row for row in rows[1:] if manager in (row[0], row[2])]
    path = folder / f"team-{manager.partition('@')[0]}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([rows[0], *team])
    return path


def _sample_managers(sandbox: Sandbox) -> dict[str, str]:
    """A manager with direct reports on each provider."""
    managers = {p.manager_email for p in sandbox.org.people if p.active and p.manager_email}
    found: dict[str, str] = {}
    for person in sandbox.org.people:
        if person.email in managers and person.active:
            found.setdefault(person.provider, person.email)
    return found


def serve_sandbox(directory: Path, port: int, size: int, seed: int, out: Console) -> None:
    """Start the sandbox, write its roster and config, and serve until Ctrl-C."""
    directory = directory.resolve()
    with start_sandbox(directory, seed=seed, size=size, port=port) as sandbox:
        tune_collector()  # this process serves the sandbox and nothing else
        roster = write_roster_csv(sandbox, directory / "roster.csv")
        config = directory / "oneonone.toml"
        config.write_text(sandbox_config(sandbox, roster), encoding="utf-8")
        secret_file = directory / "secret.env"
        secret_file.write_text(f"export {SECRET_VARIABLE}={_sandbox_secret(sandbox)}\n")
        secret_file.chmod(0o600)
        out.print(f"Sandbox serving {len(sandbox.org.people)} people on {sandbox.server.root}")
        out.print(f"Config written to {config}:\n")
        out.print(config.read_text(), highlight=False, markup=False)
        out.print(f"Then: source {secret_file} && oneonone run --config {config}")
        for provider, manager in _sample_managers(sandbox).items():
            own = directory / f"me-{provider}.toml"
            text = one_manager_config(sandbox, provider, manager, roster, directory)
            own.write_text(text, encoding="utf-8")
            account = f" --account {manager}" if provider == "google" else ""
            out.print(
                f"One manager ({manager}), no admin: oneonone login {provider}{account}"
                f" --config {own} && oneonone run --config {own}"
            )
        out.print(
            "Sign-ins: Google's consent page signs in as the --account given, else the"
            f" Workspace admin; Microsoft's code page is"
            f" {sandbox.server.root}devicelogin (type the code and the manager's address)."
            f" Calendar files: {sandbox.server.root}export/<email>.ics?style=google|outlook"
        )
        out.print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.print("Stopped.")


def _sandbox_secret(sandbox: Sandbox) -> str:
    secret = sandbox.microsoft.client_secret
    assert secret is not None  # the sandbox always registers its app with a secret
    return secret.reveal()
