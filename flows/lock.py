"""One writer per warehouse: an advisory lock file taken before anything is written.

DuckDB itself refuses a second writer process, but only once the file is opened and
with a message about file locks. Taking `<warehouse>.lock` first lets a second run
fail fast, name the holder and leave the warehouse, the runs table and the reports
untouched.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from connectors.errors import WarehouseBusyError

_held: dict[Path, tuple[IO[str], int]] = {}  # lock file → (open file, depth) in this process
_guard = threading.Lock()


def lock_path(warehouse: Path) -> Path:
    """The lock file that guards `warehouse`."""
    return warehouse.with_name(warehouse.name + ".lock")


@contextmanager
def warehouse_lock(warehouse: Path | str) -> Iterator[None]:
    """Hold the warehouse's write lock; re-entrant within one process (flows nest)."""
    if str(warehouse) == ":memory:":
        yield
        return
    path = lock_path(Path(warehouse).absolute())
    _acquire(path)
    try:
        yield
    finally:
        _release(path)


def _acquire(path: Path) -> None:
    with _guard:
        if path in _held:
            handle, depth = _held[path]
            _held[path] = (handle, depth + 1)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            handle.close()
            raise WarehouseBusyError(_busy_message(path, holder)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        _held[path] = (handle, 1)


def _release(path: Path) -> None:
    with _guard:
        handle, depth = _held[path]
        if depth > 1:
            _held[path] = (handle, depth - 1)
            return
        del _held[path]
        handle.close()  # closing the file releases the flock


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    pid = handle.read().strip()
    return f"pid {pid}" if pid.isdigit() else "another process"


def _busy_message(path: Path, holder: str) -> str:
    warehouse = path.with_name(path.name.removesuffix(".lock"))
    return (
        f"another oneonone run is writing {warehouse} ({holder}) — try again when it"
        " finishes; nothing was changed"
    )
