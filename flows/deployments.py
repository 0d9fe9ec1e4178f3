"""The deployments' entrypoints (prefect.yaml): the weekly run and the backfill as
Prefect flows. Importing this module imports Prefect; the CLI runs the same flows
from `flows.pipeline` and `flows.backfill` without it."""

from __future__ import annotations

from flows import backfill, pipeline
from runtime.engine import prefect_flow

weekly_report = prefect_flow(pipeline.weekly_report)
backfill_history = prefect_flow(backfill.backfill_history)
