"""What a build runs with, from the configuration: kept apart from the flows so that
`oneonone explain` computes a pair's metrics without loading Prefect."""

from __future__ import annotations

from datetime import date, timedelta

from runtime.config import Config
from warehouse.params import BuildContext


def build_context(config: Config, as_of: date) -> BuildContext:
    """The as_of, org calendar, metric and phase parameters a build runs with."""
    return BuildContext(
        as_of=as_of,
        org=config.org.calendar(),
        params=config.metrics.params(),
        phases=config.phases.params(),
        history_start=as_of - timedelta(days=config.sync.history_days),
    )
