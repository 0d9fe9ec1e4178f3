"""Polars schemas of the stored and derived frames, read from the Arrow schemas of
warehouse.columns (where the columns are stated once)."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from warehouse.columns import (
    CALL_ARROW_SCHEMA,
    OBSERVATION_ARROW_SCHEMA,
    RAW_ARROW_SCHEMA,
    SNAPSHOT_ARROW_SCHEMA,
)


def polars_schema(schema: pa.Schema) -> dict[str, pl.DataType]:
    """The Polars dtypes of an Arrow schema's columns, in order."""
    return dict(pl.from_arrow(schema.empty_table()).schema)  # type: ignore[union-attr]


OBSERVATION_SCHEMA = polars_schema(OBSERVATION_ARROW_SCHEMA)
RAW_SCHEMA = polars_schema(RAW_ARROW_SCHEMA)
CALL_SCHEMA = polars_schema(CALL_ARROW_SCHEMA)
SNAPSHOT_SCHEMA = polars_schema(SNAPSHOT_ARROW_SCHEMA)
