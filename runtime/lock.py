"""One writer per warehouse: an advisory lock file taken before anything is written.

DuckDB itself refuses a second writer process, but only once the file is opened and
with a message about file locks. Taking `<warehouse>.lock` first lets a second run
fail fast, name the holder and leave the warehouse, the runs table and the reports
untouched; readers (`sql`, `report`, `explain`) check the same lock before opening.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from core.errors import WarehouseBusyError
from warehouse.files import busy_message, check_path, holder_named, lock_path, make_parent

__all__ = ["lock_path", "warehouse_lock"]

_held: dict[Path, tuple[IO[str], int]] = {}  # lock file → (open file, depth) in this process
_guard = threading.Lock()


@contextmanager
def warehouse_lock(warehouse: Path | str) -> Iterator[None]:
    """Hold the warehouse's write lock; re-entrant within one process (flows nest).

    A warehouse.path that is a directory is refused before the lock file is created.
    """
    if str(warehouse) == ":memory:":
        yield
        return
    check_path(Path(warehouse))
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
        make_parent(path)
        # Owner-only like the warehouse beside it; opened without truncating, so a
        # second run can still read the holder's pid.
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = holder_named(handle)
            handle.close()
            warehouse = path.with_name(path.name.removesuffix(".lock"))
            raise WarehouseBusyError(busy_message(warehouse, holder)) from None
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
