"""The warehouse file through the CLI: owner-only, refused when it is a directory, damaged
or being written by a run, always with one message and the file left as it was."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from wh_factory import BASIC_ROSTER, SYNC, R, at, batch, obs, roster

from warehouse.db import Warehouse
from warehouse.params import BuildContext

ONEONONE = Path(sys.executable).with_name("oneonone")
AS_OF = date(2030, 1, 8)
HEADER = 3 * 4096  # DuckDB's file header; block n starts at HEADER + n * block size


def oneonone(warehouse: Path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """The console script, run as a user would, on `warehouse` (default config otherwise)."""
    env = {
        **os.environ,
        "ONEONONE_WAREHOUSE__PATH": str(warehouse),
        "ONEONONE_REPORT__OUT_DIR": str(warehouse.parent / "out"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "400",  # one line per message, as a log file would have it
    }
    return subprocess.run(
        [str(ONEONONE), *args], env=env, capture_output=True, text=True, timeout=120, umask=umask
    )


def filled(path: Path) -> Path:
    """A real warehouse file: a roster, a year of weekly 1:1s, built."""
    weeks = [obs(at(date(2029, 1, 1) + timedelta(weeks=n))) for n in range(52)]
    with Warehouse(path) as wh:
        wh.snapshot_roster(roster(BASIC_ROSTER), date(2029, 1, 1))
        wh.store_calendar(batch(weeks), SYNC)
        wh.build(BuildContext(as_of=AS_OF))
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- owner-only files -------------------------------------------------------------------


def test_cli_creates_the_warehouse_its_lock_and_its_directories_owner_only(
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "new" / "deeper" / "w.duckdb"
    done = oneonone(warehouse, "build", "--as-of", AS_OF.isoformat(), umask=0o022)
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "deeper") == 0o700
    assert mode(warehouse) == mode(warehouse.with_name("w.duckdb.lock")) == 0o600


def test_warehouse_wal_is_owner_only_and_the_umask_is_restored_after(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    before = os.umask(0o022)
    try:
        with Warehouse(path) as wh:
            wh.store_calendar(batch([obs(at(date(2029, 1, 1)))]), SYNC)
            wal = path.with_name("w.duckdb.wal")
            assert wal.exists(), "a committed write stays in the WAL until checkpoint"
            assert (mode(path), mode(wal)) == (0o600, 0o600)
    finally:
        assert os.umask(before) == 0o022, "closing the warehouse restores the umask"


def test_warehouse_readable_by_others_is_warned_about_and_left_alone(tmp_path: Path) -> None:
    warehouse = filled(tmp_path / "w.duckdb")
    warehouse.chmod(0o644)
    done = oneonone(warehouse, "sql", "select count(*) from runs")
    assert done.returncode == 0, done.stderr
    assert f"{warehouse} is readable by other users (mode 0644)" in one_line(done.stderr)
    assert mode(warehouse) == 0o644


# --- a warehouse.path that is a directory -----------------------------------------------

# The query reads every raw row: a reader meets a damaged block only where it reads.
COMMANDS = {
    "sql": ("sql", "select count(*), max(event_id), max(participants) from raw_observations"),
    "build": ("build", "--as-of", AS_OF.isoformat()),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_warehouse_path_that_is_a_directory_is_refused_and_nothing_is_written(
    tmp_path: Path, command: str
) -> None:
    directory = tmp_path / "warehouse"
    directory.mkdir()
    done = oneonone(directory, *COMMANDS[command])
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"warehouse.path: {directory} is a directory" in one_line(done.stderr)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["warehouse"]


# --- a damaged warehouse ----------------------------------------------------------------


def _raw_block(path: Path) -> int:
    """Where the stored raw observations start in the file."""
    with duckdb.connect(str(path), read_only=True) as con:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
        (block,) = con.execute(
            "SELECT min(block_id) FROM pragma_storage_info('raw_observations') WHERE block_id >= 0"
        ).fetchone() or (None,)
    assert block_size is not None and block is not None
    return HEADER + block * block_size[0]


def not_duckdb(data: bytes, raw_at: int) -> bytes:
    return b"event_id,participants\n" * (len(data) // 22)


def truncated(data: bytes, raw_at: int) -> bytes:
    return data[:raw_at]  # ends where the raw observations begin


def garbage_in_the_middle(data: bytes, raw_at: int) -> bytes:
    middle = raw_at + 1000
    return data[:middle] + b"\xa5" * 4096 + data[middle + 4096 :]


CORRUPTIONS: dict[str, Callable[[bytes, int], bytes]] = {
    "not-duckdb": not_duckdb,
    "truncated": truncated,
    "garbage": garbage_in_the_middle,
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, int]:
    path = filled(tmp_path_factory.mktemp("pristine") / "w.duckdb")
    return path.read_bytes(), _raw_block(path)


@pytest.fixture(params=list(CORRUPTIONS))
def corrupt(request: pytest.FixtureRequest, tmp_path: Path, pristine: tuple[bytes, int]) -> Path:
    path = tmp_path / "w.duckdb"
    path.write_bytes(CORRUPTIONS[request.param](*pristine))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_corrupt_warehouse_is_refused_by_name_and_left_unchanged(
    corrupt: Path, command: str
) -> None:
    before = corrupt.read_bytes()
    done = oneonone(corrupt, *COMMANDS[command])
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = one_line(done.stderr)
    assert f"{corrupt} is not readable as a DuckDB warehouse" in message
    assert "nothing was changed" in message
    assert corrupt.read_bytes() == before
    assert not corrupt.with_name("w.duckdb.wal").exists()


# --- reading while a run writes ---------------------------------------------------------

# The child holds the lock and the open file until the test closes its stdin.
HOLD_RUN = """
import sys
from runtime.lock import warehouse_lock
from warehouse import Warehouse
with warehouse_lock(sys.argv[1]), Warehouse(sys.argv[1]):
    print("writing", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A warehouse a child process is writing as a run does: lock held, file open."""
    warehouse = filled(tmp_path / "w.duckdb")
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "writing"
        yield warehouse, child.pid
    finally:
        child.communicate(timeout=30)  # closes stdin: the "run" ends and releases the lock


@pytest.mark.parametrize(
    "args",
    [("sql", "select 1"), ("report", "--as-of", "2030-01-08"), ("explain", R)],
    ids=["sql", "report", "explain"],
)
def test_reading_while_a_run_writes_names_the_run_and_changes_nothing(
    running: tuple[Path, int], args: tuple[str, ...]
) -> None:
    warehouse, pid = running
    before = warehouse.read_bytes()
    done = oneonone(warehouse, *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    message = one_line(done.stderr)
    assert f"another oneonone run is writing {warehouse} (pid {pid})" in message
    assert "try again when it finishes" in message
    assert warehouse.read_bytes() == before
    assert not (warehouse.parent / "out").exists()
