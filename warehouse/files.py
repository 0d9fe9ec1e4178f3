"""The warehouse on disk: owner-only files, checks before opening, errors that say why.

The DuckDB file and its `.wal` hold names, emails, reporting lines and the whole 1:1
history, so oneonone creates them (and any directory it makes for them) owner-only and
warns about an existing one other users can read. A file that is a directory, damaged,
or being written by a run is refused with one message, before anything is written.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb

from core.errors import BadInputError, WarehouseBusyError

PRIVATE_UMASK = 0o077
_log = logging.getLogger("oneonone")
_warned: set[Path] = set()  # warn once per file and process, not at every open of a run
_verified: set[Path] = set()  # warehouses read in full once by this process


class _Umask:
    """A process-wide umask shared by overlapping scopes (nested opens, threads)."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.depth = 0
        self.saved = 0


_umask = _Umask()


@contextmanager
def owner_only() -> Iterator[None]:
    """Files and directories created inside are owner-only; the umask is restored after.

    DuckDB creates the `.wal` (and spill files) itself whenever it writes, so no mode
    can be passed to it: the umask is the one lever. It is process-wide, so scopes are
    counted and the first umask comes back when the last overlapping scope ends.
    """
    with _umask.guard:
        if _umask.depth == 0:
            _umask.saved = os.umask(PRIVATE_UMASK)
        _umask.depth += 1
    try:
        yield
    finally:
        with _umask.guard:
            _umask.depth -= 1
            if _umask.depth == 0:
                os.umask(_umask.saved)


def lock_path(warehouse: Path) -> Path:
    """The lock file a run holds while it writes `warehouse`."""
    return warehouse.with_name(warehouse.name + ".lock")


def check_path(warehouse: Path) -> None:
    """Refuse a warehouse.path that is a directory, before anything is created."""
    if warehouse.is_dir():
        raise BadInputError(
            f"warehouse.path: {warehouse} is a directory; expected the path of the"
            f" warehouse file, e.g. {warehouse / 'oneonone.duckdb'}"
        )


def make_parent(warehouse: Path) -> None:
    """Create the warehouse's missing directories, owner-only."""
    with owner_only():
        warehouse.parent.mkdir(parents=True, exist_ok=True)


def busy_message(warehouse: Path, holder: str) -> str:
    """What a command says when a run holds `warehouse` (`holder`: "pid N" or similar)."""
    return (
        f"another oneonone run is writing {warehouse} ({holder}) — try again when it"
        " finishes; nothing was changed"
    )


def holder_of(lock: Path) -> str | None:
    """Who holds `lock` ("pid N") when another process does: a run writing the warehouse."""
    try:
        handle = open(lock, encoding="utf-8")  # noqa: SIM115 (closed below, after the probe)
    except FileNotFoundError:
        return None
    with handle:
        try:
            # A shared probe, released at once. A writer starting in that instant is
            # told the warehouse is busy; retrying works.
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = holder_named(handle)
            # This process holding it is a step of its own run, not another writer.
            return None if holder == f"pid {os.getpid()}" else holder
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def holder_named(handle: IO[str]) -> str:
    """The holder as it wrote itself into the lock file: "pid N", else "another process"."""
    handle.seek(0)
    pid = handle.read().strip()
    return f"pid {pid}" if pid.isdigit() else "another process"


def connect(
    warehouse: Path,
    read_only: bool,
    config: dict[str, str | bool | int | float | list[str]] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file after checking it; a writer first reads every stored
    value once.

    A directory, a missing file (read-only), a run writing it or a damaged file raise
    an error naming the file; nothing is written. A new file is created owner-only. A
    reader is not made to read everything (a second per 100 MB): it cannot damage the
    file, and a damaged block it reads fails its query (see `is_damage`).
    """
    check_path(warehouse)
    if read_only and not warehouse.is_file():
        raise BadInputError(f"no warehouse at {warehouse}: run `oneonone run` or `sync` first")
    holder = holder_of(lock_path(warehouse.absolute()))
    if holder is not None:
        raise WarehouseBusyError(busy_message(warehouse, holder))
    _warn_if_shared(warehouse)
    if not read_only:
        make_parent(warehouse)
    try:
        with owner_only():
            con = duckdb.connect(str(warehouse), read_only=read_only, config=config or {})
    except duckdb.ConnectionException:
        raise  # another connection of this process with other settings: a bug, not input
    except duckdb.Error as error:
        raise _open_error(warehouse, error) from None
    if read_only:
        return con
    try:
        _read_everything_once(con, warehouse)
    except duckdb.Error as error:
        con.close()
        raise unreadable(warehouse, error) from None
    return con


def is_damage(error: duckdb.Error) -> bool:
    """Whether a query failed on a damaged block of the file (DuckDB's checksums)."""
    text = str(error).lower()
    return isinstance(error, duckdb.IOException) or "checksum" in text or "corrupt" in text


def unreadable(warehouse: Path, error: duckdb.Error) -> BadInputError:
    """The error for a file DuckDB cannot read: what is wrong and that nothing changed."""
    reason = str(error).splitlines()[0]
    return BadInputError(
        f"warehouse.path: {warehouse} is not readable as a DuckDB warehouse ({reason});"
        " nothing was changed. Restore it from a backup, or set warehouse.path to a new"
        " file to sync afresh"
    )


def _open_error(warehouse: Path, error: duckdb.Error) -> Exception:
    if "Could not set lock" not in str(error):
        return unreadable(warehouse, error)
    holder = holder_of(lock_path(warehouse.absolute()))  # a run may have started since
    if holder is not None:
        return WarehouseBusyError(busy_message(warehouse, holder))
    return WarehouseBusyError(
        f"{warehouse} is open for writing in another process ({str(error).splitlines()[0]})"
        " — try again when it is closed; nothing was changed"
    )


def _read_everything_once(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Read every stored value, the first time this process opens `warehouse`.

    DuckDB checks a block's checksum only when it reads the block, and a writer meeting
    a damaged one halfway would already have written. Damage is what a file suffers at
    rest, so one read per process suffices: a run opens the warehouse several times, and
    a full read costs about a second per 100 MB.
    """
    key = warehouse.resolve()
    if key in _verified:
        return
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal"
    ).fetchall()
    for schema, table in tables:
        query = f"SELECT bit_xor(hash(COLUMNS(*))) FROM {_quote(schema)}.{_quote(table)}"
        con.execute(query).fetchall()
    _verified.add(key)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _warn_if_shared(warehouse: Path) -> None:
    for file in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o044 and file not in _warned:
            _warned.add(file)
            _log.warning(
                "%s is readable by other users (mode %04o) although it holds names, emails"
                " and 1:1 history; make it owner-only with `chmod 600 %s`",
                file,
                mode,
                file,
            )
