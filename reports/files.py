"""Output files: owner-only, written whole or not at all, in folders we may create.

Reports are written to temporary files beside their targets and renamed into place only
once every one of them is complete, so a full disk leaves the previous set untouched
instead of an export cut mid-row beside a stale dashboard.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from core.errors import BadInputError, OutputError

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".part"


def check_out_dir(path: Path) -> None:
    """Raise BadInputError unless `path` is, or can be created as, a writable directory.

    Nothing is created: this runs before a sync so a bad `report.out_dir` stops the run
    before the warehouse is touched.
    """
    # os.path.exists answers False where Path.exists raises (a folder we may not search).
    existing = next(p for p in (path, *path.parents) if os.path.exists(p))
    problem = _unusable(existing)
    if problem and existing == path:
        raise BadInputError(f"report.out_dir: {path} {problem}; expected a writable directory")
    if problem:
        raise BadInputError(f"report.out_dir: {path} cannot be created: {existing} {problem}")


def _unusable(folder: Path) -> str | None:
    if not folder.is_dir():
        return "is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK):
        return "is not writable"
    return None


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents owner-only; existing folders keep their mode.

    An existing folder may be shared (/tmp, a home directory): tightening it would lock
    others out, and the files written into it are owner-only anyway.
    """
    for folder in reversed([p for p in (path, *path.parents) if not os.path.exists(p)]):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by someone else: not ours to change
        folder.chmod(DIR_MODE)  # mkdir's mode is narrowed by the umask
    return path


class Stage:
    """Files written under temporary names, to be renamed onto their targets together."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def write(self, path: Path, data: bytes) -> Path:
        """Write `data` for `path` (renamed into place when the stage commits)."""
        self._pending.append((_write_temp(path, data), path))
        return path

    def commit(self) -> None:
        """Rename every file into place (a rename needs no space, so it does not run out)."""
        for index, (temp, path) in enumerate(self._pending):
            try:
                os.replace(temp, path)
            except OSError as error:
                self._pending = self._pending[index:]
                self.discard()
                raise _unwritable(path, error) from error
        self._pending = []

    def discard(self) -> None:
        """Remove the temporary files; the targets are left as they were."""
        for temp, _ in self._pending:
            temp.unlink(missing_ok=True)
        self._pending = []


@contextmanager
def staged() -> Iterator[Stage]:
    """A Stage committed when the block ends, discarded when it raises."""
    stage = Stage()
    try:
        yield stage
    except BaseException:
        stage.discard()
        raise
    stage.commit()


def write_private(path: Path, data: bytes) -> Path:
    """Write one owner-only file atomically: the old content or the new, never a part."""
    with staged() as stage:
        return stage.write(path, data)


def _write_temp(path: Path, data: bytes) -> Path:
    try:
        # mkstemp creates the file owner-only, so it is never readable by others.
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as error:
        raise _unwritable(path, error) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # exact, whatever the umask
            handle.write(data)
            # No fsync: the failure guarded against is a full disk, which write() and
            # close() report; syncing thousands of manager pages one by one would be slow.
    except OSError as error:
        with suppress(OSError):
            os.unlink(name)
        raise _unwritable(path, error) from error
    return Path(name)


def _unwritable(path: Path, error: OSError) -> OutputError:
    reason = error.strerror or str(error)
    return OutputError(f"could not write {path}: {reason}; the previous files are left whole")
