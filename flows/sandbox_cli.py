"""`oneonone sandbox`: serve the synthetic organisation until interrupted."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

from rich.console import Console

from connectors.sandbox.app import Sandbox, start_sandbox

SECRET_VARIABLE = "ONEONONE_SANDBOX_SECRET"


def write_roster_csv(sandbox: Sandbox, path: Path) -> Path:
    """The sandbox roster as a CSV file, so a config can point at it."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "name", "manager_email", "provider", "start_date"])
        for member in sandbox.org.people:
            if member.active:
                writer.writerow(
                    [
                        member.email,
                        member.name,
                        member.manager_email or "",
                        member.provider,
                        (member.reports_since or member.hired_on).isoformat(),
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


def serve_sandbox(directory: Path, port: int, size: int, seed: int, out: Console) -> None:
    """Start the sandbox, write its roster and config, and serve until Ctrl-C."""
    directory = directory.resolve()
    with start_sandbox(directory, seed=seed, size=size, port=port) as sandbox:
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
        out.print("Press Ctrl-C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            out.print("Stopped.")


def _sandbox_secret(sandbox: Sandbox) -> str:
    secret = sandbox.microsoft.client_secret
    assert secret is not None  # the sandbox always registers its app with a secret
    return secret.reveal()
