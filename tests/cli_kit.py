"""Run the installed `oneonone` command as a user does, output captured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ONEONONE = str(Path(sys.executable).with_name("oneonone"))


def oneonone(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`oneonone *args` in a child process; `env` is added to this process's environment."""
    child_env = {
        **os.environ,
        "COLUMNS": "200",  # rich wraps at 80 columns when not on a terminal
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": "",
        **(env or {}),
    }
    return subprocess.run(
        [ONEONONE, *args],
        env=child_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
        check=False,
    )
