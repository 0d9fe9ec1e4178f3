"""The end of a sync says how long it waited on provider limits and on retries."""

from __future__ import annotations

import re
from pathlib import Path

from cli_kit import oneonone

AS_OF = "2026-11-16"
WAITED = re.compile(r"waited (\d+\.\d) s on provider limits, (\d+\.\d) s on retries\.")


def test_sync_reports_the_time_spent_waiting_on_a_limit_it_hit(tmp_path: Path) -> None:
    env = {
        "ONEONONE_SANDBOX_SIZE": "40",  # the smallest org: 18 Google calendars
        "ONEONONE_WAREHOUSE__PATH": str(tmp_path / "w.duckdb"),
        # 17 requests a minute for the project (a sliding minute, as Google counts): the
        # last of the 18 full syncs waits for the first to leave the window
        "ONEONONE_GOOGLE__REQUESTS_PER_MINUTE": "17",
    }
    result = oneonone("sync", "--as-of", AS_OF, env=env)

    assert result.returncode == 0, result.stderr
    found = WAITED.search(result.stdout)
    assert found is not None, result.stdout
    assert float(found.group(1)) > 0
    assert float(found.group(2)) == 0  # the sandbox answered every request at once
