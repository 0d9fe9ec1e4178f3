"""The DuckDB warehouse: raw observations, roster history and the metric tables."""

from warehouse.db import Warehouse
from warehouse.explain import explain_pair
from warehouse.sql import query_read_only

__all__ = ["Warehouse", "explain_pair", "query_read_only"]
