"""A real Prefect server, a process worker and deployments from prefect.yaml, driven
through the `prefect` CLI and the server's REST API, each in its own Prefect home."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PROJECT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, api_url: str) -> dict[str, str]:
    """The environment of every Prefect process of the test: its own home and API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONEONONE_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="5",
        PREFECT_LOGGING_LEVEL="INFO",
        PWD=str(PROJECT),
    )
    return env


@dataclass
class PrefectServer:
    api_url: str
    env: dict[str, str]
    logs: Path

    def cli(self, *args: str, timeout: float = 120) -> str:
        """Run a `prefect` command against this server; fail with its output."""
        done = subprocess.run(
            [PREFECT, "--no-prompt", *args],
            cwd=PROJECT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """One REST call; a 503 (SQLite busy under load) is retried a few times."""
        for _ in range(10):
            response = httpx.request(method, self.api_url + path, json=body, timeout=30)
            if response.status_code != 503:
                break
            time.sleep(1)
        response.raise_for_status()
        return response.json()

    def run_deployment(self, name: str, parameters: dict[str, Any], env: dict[str, str]) -> str:
        """Create a flow run of a deployment now; its id."""
        deployment = self.api("GET", f"/deployments/name/{name}")
        run = self.api(
            "POST",
            f"/deployments/{deployment['id']}/create_flow_run",
            {"parameters": parameters, "job_variables": {"env": env}},
        )
        return str(run["id"])

    def wait(self, flow_run_id: str, timeout: float) -> dict[str, Any]:
        """Poll a flow run until it reaches a terminal state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/flow_runs/{flow_run_id}")
            if run["state"]["type"] in TERMINAL:
                return dict(run)
            time.sleep(1)
        raise AssertionError(f"flow run {flow_run_id} not finished after {timeout} s: {run}")

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        body = {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
        return list(self.api("POST", "/artifacts/filter", body))


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a long-running Prefect process with its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_healthy(api_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the Prefect server exited while starting"
        try:
            if httpx.get(api_url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"Prefect server not healthy after {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we started: terminate, then kill if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
