"""The one writer of a sync: merges what the sync tasks staged, many calendars at once.

Tasks run concurrently and only write staged files (warehouse.staging); the writer
merges them in groups of about MERGE_ROWS rows or MERGE_CALENDARS calendars, one
transaction per group, so the warehouse is written by one connection and a round
commits a few times, not once per calendar.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from warehouse.db import Warehouse
from warehouse.staging import StagedFile, merge_groups, staged_files

MERGE_ROWS = 200_000  # rows per transaction: a few hundred MB at most in DuckDB
MERGE_CALENDARS = 5_000  # calendars per transaction when they bring few rows


class StagedWriter:
    """Collects staged files as tasks finish and merges them into `warehouse`."""

    def __init__(
        self,
        warehouse: Warehouse,
        directory: Path,
        on_merge: Callable[[int, int], None] | None = None,
        max_rows: int = MERGE_ROWS,
    ) -> None:
        """`on_merge(calendars, rows)` is told of every committed transaction."""
        self.max_rows = max_rows
        self.warehouse = warehouse
        self.directory = directory
        self.on_merge = on_merge
        self.pending: list[StagedFile] = []
        self.pending_rows = 0
        self.pending_calendars = 0
        self.merged_rows = 0
        self.transactions = 0

    def merge_leftovers(self) -> int:
        """Merge files a killed run staged but did not merge (oldest first); rows merged."""
        before = self.merged_rows
        self._merge(staged_files(self.directory))
        return self.merged_rows - before

    def add(self, staged: StagedFile | None) -> None:
        """Take a task's staged file; merge once enough is pending."""
        if staged is None:
            return
        self.pending.append(staged)
        self.pending_rows += staged.rows
        self.pending_calendars += len(staged.calendars)
        if self.pending_rows >= self.max_rows or self.pending_calendars >= MERGE_CALENDARS:
            self.flush()

    def flush(self) -> None:
        """Merge everything pending."""
        pending, self.pending = self.pending, []
        self.pending_rows = self.pending_calendars = 0
        self._merge(pending)

    def finish(self) -> None:
        """Merge everything pending and remove the staging directory if it is empty."""
        self.flush()
        with suppress(OSError):  # not empty: files someone else put there stay
            self.directory.rmdir()

    def _merge(self, files: list[StagedFile]) -> None:
        for group in merge_groups(files, self.max_rows):
            rows = self.warehouse.merge_staged(group)
            self.merged_rows += rows
            self.transactions += 1
            if self.on_merge is not None:
                self.on_merge(sum(len(f.calendars) for f in group), rows)
