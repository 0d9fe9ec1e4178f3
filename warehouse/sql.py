"""Analysts' SQL against the warehouse, strictly read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from core.errors import BadInputError
from warehouse.files import connect, is_damage, unreadable

_READING = {"SELECT", "EXPLAIN"}


def query_read_only(path: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one SELECT on the warehouse file; return column names and rows.

    The file is opened read-only with external access off (no reading or writing other
    files), and anything but a single SELECT/EXPLAIN is refused before it runs.
    """
    config: dict[str, str | bool | int | float | list[str]] = {"enable_external_access": False}
    with connect(Path(path), read_only=True, config=config) as con:
        con.execute("SET TimeZone = 'UTC'")
        try:
            statements = con.extract_statements(sql)
            _check_read_only(statements)
            result = con.execute(sql)
            columns = [d[0] for d in result.description or []]
            return columns, result.fetchall()
        except duckdb.Error as error:
            if is_damage(error):
                raise unreadable(Path(path), error) from None
            raise BadInputError(f"query failed: {error}") from error


def _check_read_only(statements: list[Any]) -> None:
    if len(statements) != 1:
        raise BadInputError(f"expected exactly one SQL statement, got {len(statements)}")
    kind = statements[0].type.name
    if kind not in _READING:
        raise BadInputError(f"the warehouse is read-only here: only SELECT queries run, got {kind}")
