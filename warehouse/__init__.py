"""The DuckDB warehouse: raw observations, roster history and the metric tables.

The public names load on first use, so that importing a light submodule (the metric
parameters, say) does not load DuckDB and Polars: every command starts faster.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warehouse.db import Warehouse
    from warehouse.explain import explain_pair
    from warehouse.sql import query_read_only

__all__ = ["Warehouse", "explain_pair", "query_read_only"]
_HOME = {
    "Warehouse": "warehouse.db",
    "explain_pair": "warehouse.explain",
    "query_read_only": "warehouse.sql",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'warehouse' has no attribute {name!r}")
    return getattr(import_module(_HOME[name]), name)
