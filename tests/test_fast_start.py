"""The commands that run no flow start without Prefect and the dashboard's libraries;
a sync loads neither the build nor the sign-in flows.

`--help`, `sql`, `explain` and `doctor` run one after another in one fresh Python
process, through the console entry point, each to its end; after each, the test reads
which of the heavy packages that process has loaded so far.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from warehouse import Warehouse

FLOW_ONLY = ("prefect",)  # what only a flow needs
DASHBOARD_ONLY = ("polars", "pyarrow", "plotly")  # what `sql` and `--help` never need

CHILD = """
import json, sys
from cli.app import main
from runtime import heap

heap.leave = lambda code: None  # several commands in one process: each must return

commands, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
seen = []
for args in commands:
    sys.argv = ["oneonone", *args]
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    loaded = sorted(name for name in heavy if name in sys.modules)
    seen.append({"args": args, "code": code, "loaded": loaded})
print(json.dumps(seen))
"""


def run_in_one_process(commands: list[list[str]], cwd: Path) -> list[dict[str, object]]:
    """Run each command's `main` in turn in a fresh interpreter; what each left loaded."""
    env = {
        **os.environ,
        "COLUMNS": "200",
        "PREFECT_API_URL": "",
        "ONEONONE_SANDBOX_SIZE": "40",  # doctor probes the embedded sandbox: keep it small
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(commands), json.dumps(FLOW_ONLY + DASHBOARD_ONLY)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_commands_without_a_flow_never_import_prefect(tmp_path: Path) -> None:
    Warehouse(tmp_path / "oneonone.duckdb").close()  # an empty warehouse, schema only
    commands = [
        ["--help"],
        ["sql", "select 1"],
        ["explain", "nobody@example.com"],
        ["doctor"],
    ]
    seen = run_in_one_process(commands, tmp_path)

    assert [entry["args"] for entry in seen] == commands
    # Each ran to its end: help, a query, a pair looked up and not found, every check.
    assert [entry["code"] for entry in seen] == [0, 0, 2, 0]
    help_, sql, explain, doctor = (entry["loaded"] for entry in seen)
    assert help_ == [] and sql == []  # neither Prefect nor Polars, Arrow or Plotly
    for loaded in (explain, doctor):
        assert isinstance(loaded, list)
        assert not set(FLOW_ONLY) & set(loaded), loaded


def _without_api(prefect_home: Path) -> dict[str, str]:
    """The environment of a machine with no Prefect API: no PREFECT_API_URL, and a
    Prefect home of its own (what its profiles say is up to the test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    prefect_home.mkdir(exist_ok=True)
    return {**env, "PREFECT_HOME": str(prefect_home), "ONEONONE_SANDBOX_SIZE": "40"}


def run_without_api(
    commands: list[list[str]], heavy: list[str], cwd: Path
) -> tuple[list[dict[str, object]], str]:
    """Run each command's `main` in turn in a fresh interpreter on a machine with no
    Prefect API (see `_without_api`): which of `heavy` each left loaded, and the output."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(commands), json.dumps(heavy)],
        cwd=cwd,
        env=_without_api(cwd / "prefect-home"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1])), done.stdout


def test_a_weekly_run_without_an_api_never_imports_prefect(tmp_path: Path) -> None:
    # `oneonone run` syncs, backfills, builds and renders in-process: the same flows,
    # and not one import of Prefect.
    (seen,), _ = run_without_api([["run"]], list(FLOW_ONLY), tmp_path)
    assert seen["code"] == 0
    assert seen["loaded"] == []
    assert (tmp_path / "out" / "dashboard.html").is_file()


ASK = """
import sys
from runtime.engine import api_configured
print(api_configured(), "prefect" in sys.modules)
"""


def _ask(cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", ASK], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_an_api_named_in_a_prefect_profile_is_honoured(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    env = _without_api(home)
    # Prefect's own default profiles name no API: no server, and Prefect stays unloaded.
    (home / "profiles.toml").write_text('active = "local"\n\n[profiles.local]\n')
    assert _ask(tmp_path, env) == "False False"
    # `prefect config set PREFECT_API_URL=...` writes it in the active profile.
    (home / "profiles.toml").write_text(
        'active = "local"\n\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n'
    )
    assert _ask(tmp_path, env) == "True True"
    # A prefect.toml in the working directory may name one too: Prefect decides.
    (home / "profiles.toml").unlink()
    (tmp_path / "prefect.toml").write_text('[api]\nurl = "http://127.0.0.1:4200/api"\n')
    assert _ask(tmp_path, env) == "True True"
    # And the environment, empty or not.
    (tmp_path / "prefect.toml").unlink()
    assert _ask(tmp_path, {**env, "PREFECT_API_URL": "http://127.0.0.1:4200/api"}) == "True True"
    assert _ask(tmp_path, {**env, "PREFECT_API_URL": ""}) == "False False"


IMPORTS = """
import json, sys
import cli.app, flows.sync
print(json.dumps(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def test_a_sync_loads_neither_the_build_nor_the_sign_in_libraries(tmp_path: Path) -> None:
    # The metrics build (Polars and pyarrow.compute among others) and Google's sign-in
    # flow (oauthlib) load when used: a weekly sync of service accounts needs neither.
    heavy = ["warehouse.rebuild", "polars", "pyarrow.compute", "google_auth_oauthlib", "oauthlib"]
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS, *heavy],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_whole_sync_loads_neither_prefect_nor_the_builds_libraries(tmp_path: Path) -> None:
    # Not only the imports: a first sync and one with nothing changed, run to their end
    # (staging and merging included), load none of them either.
    heavy = [*FLOW_ONLY, "warehouse.rebuild", "polars", "pyarrow.compute"]
    (first, again), output = run_without_api([["sync"], ["sync"]], heavy, tmp_path)
    assert first["code"] == again["code"] == 0
    assert first["loaded"] == again["loaded"] == []
    assert "Synced 39 calendars, 0 failed" in output
