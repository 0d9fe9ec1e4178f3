"""`python merge_child.py WAREHOUSE MAX_ROWS`: the writer merging what is staged beside
it in transactions of about MAX_ROWS rows, as a process, printing each committed
transaction so a test can kill it between two."""

from __future__ import annotations

import sys
from pathlib import Path

from warehouse.db import Warehouse
from warehouse.staging import staging_directory
from warehouse.writer import StagedWriter


def main(path: Path, max_rows: int) -> None:
    with Warehouse(path) as warehouse:
        writer = StagedWriter(
            warehouse,
            staging_directory(path.with_name(path.name + ".staging")),
            lambda calendars, rows: print(f"merged {calendars} {rows}", flush=True),
            max_rows,
        )
        print("merging", flush=True)
        writer.merge_leftovers()
        print("done", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
