"""The organisation as a hierarchy: each manager's whole subtree, and the whole org.

Pure Polars over `pair_metrics` (one row per active reporting line) and `cancelers`.
The hierarchy is the active lines themselves (report → manager). A manager's
organisation is every line whose manager is that manager or one of their direct or
indirect reports; `org_rollups` sums or averages the line figures over it, and
`org_kpis` over every line. Both use the same per-lines aggregations
(`line_aggregations`), with the meaning of the dashboard's headline tiles.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from core.errors import BadInputError

# The figures over a set of lines, in both tables' order.
_FIGURES: Final[dict[str, pl.DataType]] = {
    "lines": pl.Int64(),
    "reports_met": pl.Int64(),
    "neglected_reports": pl.Int64(),
    "intro_overdue_reports": pl.Int64(),
    "no_data_reports": pl.Int64(),
    "chronic_cancelers": pl.Int64(),
    "behind_phase": pl.Int64(),
    "scheduled": pl.Int64(),
    "lost": pl.Int64(),
    "cancel_rate": pl.Float64(),
    "mean_coverage": pl.Float64(),
    "held_hours": pl.Float64(),
    "leverage_hours": pl.Float64(),
    "attended": pl.Int64(),
    "no_show": pl.Int64(),
    "attended_rate": pl.Float64(),
}
ORG_ROLLUP_SCHEMA: Final[dict[str, pl.DataType]] = {
    "manager_email": pl.String(),
    "parent_email": pl.String(),
    "depth": pl.Int64(),
    "direct_reports": pl.Int64(),
    "people": pl.Int64(),
    **_FIGURES,
}
ORG_KPI_SCHEMA: Final[dict[str, pl.DataType]] = {**_FIGURES, "leverage_ratio": pl.Float64()}
_LINE = "_line"  # a line's row number in pair_metrics
_ANCESTOR = "_ancestor"  # a manager above a line (its own manager included)
_CHRONIC = "_chronic"  # the line's report is a chronic canceler


def line_aggregations() -> list[pl.Expr]:
    """Sums and means over a set of active lines (whole org, or grouped).

    `_held_leverage` is the leverage of the lines with held hours, the numerator of
    `leverage_ratio` (`with_rates`); a line covered only by a 1:1 before the window
    has leverage but no hours to divide it by.
    """
    held = pl.col("held_hours").fill_null(0) > 0
    return [
        pl.len().cast(pl.Int64).alias("lines"),
        (pl.col("held").fill_null(0) > 0).sum().cast(pl.Int64).alias("reports_met"),
        _count("neglected").alias("neglected_reports"),
        _count("intro_overdue").alias("intro_overdue_reports"),
        (pl.col("data") == "none").sum().cast(pl.Int64).alias("no_data_reports"),
        _count("behind_phase").alias("behind_phase"),
        pl.col("scheduled").fill_null(0).sum().cast(pl.Int64).alias("scheduled"),
        (pl.col("cancelled").fill_null(0) + pl.col("declined").fill_null(0))
        .sum()
        .cast(pl.Int64)
        .alias("lost"),
        pl.col("coverage").mean().cast(pl.Float64).alias("mean_coverage"),
        pl.col("held_hours").fill_null(0).sum().cast(pl.Float64).alias("held_hours"),
        pl.col("leverage_hours").fill_null(0).sum().cast(pl.Float64).alias("leverage_hours"),
        pl.col("leverage_hours").fill_null(0).filter(held).sum().cast(pl.Float64)
        .alias("_held_leverage"),
        pl.col("attended").fill_null(0).sum().cast(pl.Int64).alias("attended"),
        pl.col("no_show").fill_null(0).sum().cast(pl.Int64).alias("no_show"),
    ]  # fmt: skip


def with_rates(totals: pl.DataFrame) -> pl.DataFrame:
    """`line_aggregations` plus cancel_rate (lost / scheduled), leverage_ratio
    (leverage of the lines with held hours / held hours) and attended_rate (attended /
    (attended + no_show): the held 1:1s with call evidence that both people joined),
    each null at a 0 denominator."""
    evidence = pl.col("attended") + pl.col("no_show")
    return totals.with_columns(
        cancel_rate=pl.when(pl.col("scheduled") > 0).then(pl.col("lost") / pl.col("scheduled")),
        attended_rate=pl.when(evidence > 0).then(pl.col("attended") / evidence),
        leverage_ratio=pl.when(pl.col("held_hours") > 0).then(
            pl.col("_held_leverage") / pl.col("held_hours")
        ),
    )


def _count(flag: str) -> pl.Expr:
    return pl.col(flag).fill_null(False).sum().cast(pl.Int64)


def org_kpis(pairs: pl.DataFrame, cancelers: pl.DataFrame) -> pl.DataFrame:
    """The whole organisation's headline figures, one row (every chronic canceler)."""
    chronic = cancelers.get_column("chronic").fill_null(False).sum()
    totals = with_rates(pairs.select(line_aggregations()))
    return totals.with_columns(chronic_cancelers=pl.lit(chronic, pl.Int64)).select(
        pl.col(name).cast(dtype) for name, dtype in ORG_KPI_SCHEMA.items()
    )


def org_rollups(pairs: pl.DataFrame, cancelers: pl.DataFrame) -> pl.DataFrame:
    """One row per manager with an active line, over every line of their subtree.

    Sorted by depth (0: no manager of their own on an active line), then email.
    """
    chronic = cancelers.filter(pl.col("chronic").fill_null(False)).get_column("person_email")
    lines = pairs.with_row_index(_LINE).with_columns(
        pl.col("report_email").is_in(chronic.implode()).alias(_CHRONIC)
    )
    above = ancestors(lines)
    subtree = above.join(lines, on=_LINE)
    totals = with_rates(
        subtree.group_by(_ANCESTOR).agg(
            *line_aggregations(),
            people=pl.col("report_email").n_unique().cast(pl.Int64),
            chronic_cancelers=pl.col("report_email").filter(_CHRONIC).n_unique().cast(pl.Int64),
        )
    ).rename({_ANCESTOR: "manager_email"})
    return (
        _positions(lines, above)
        .join(totals, on="manager_email", how="left")
        .select(pl.col(name).cast(dtype) for name, dtype in ORG_ROLLUP_SCHEMA.items())
        .sort("depth", "manager_email")
    )


def ancestors(lines: pl.DataFrame) -> pl.DataFrame:
    """(_line, _ancestor) for every line and every manager above it: its own manager,
    that manager's manager, and so on, by one join per level of the tree.

    A pair already found is not followed again and no chain is longer than the number
    of lines, so the walk ends on any input; a cycle (which roster validation refuses)
    is an error naming the people in it.
    """
    edges = lines.select("report_email", up="manager_email").unique()
    found = lines.select(_LINE, pl.col("manager_email").alias(_ANCESTOR))
    frontier = found
    for _ in range(lines.height):
        step = frontier.join(edges, left_on=_ANCESTOR, right_on="report_email")
        frontier = step.select(_LINE, pl.col("up").alias(_ANCESTOR)).join(
            found, on=[_LINE, _ANCESTOR], how="anti"
        )
        if frontier.is_empty():
            break
        found = pl.concat([found, frontier])
    _refuse_cycles(found, lines)
    return found


def _refuse_cycles(found: pl.DataFrame, lines: pl.DataFrame) -> None:
    """A line whose report is above itself is part of a management cycle."""
    looped = (
        found.join(lines.select(_LINE, "report_email"), on=_LINE)
        .filter(pl.col(_ANCESTOR) == pl.col("report_email"))
        .get_column("report_email")
    )
    if not looped.is_empty():
        people = ", ".join(sorted(set(looped.to_list())))
        raise BadInputError(f"the active reporting lines form a management cycle: {people}")


def _positions(lines: pl.DataFrame, above: pl.DataFrame) -> pl.DataFrame:
    """Per manager with an active line: their manager (the first by email when the
    lines give more than one), depth (how many managers are above them) and direct
    reports (their own active lines); `above` is `ancestors(lines)`."""
    managers = lines.group_by("manager_email").agg(direct_reports=pl.len().cast(pl.Int64))
    depths = (
        above.join(lines.select(_LINE, "report_email"), on=_LINE)
        .group_by("report_email")
        .agg(depth=pl.col(_ANCESTOR).n_unique().cast(pl.Int64))
    )
    parents = lines.group_by("report_email").agg(parent_email=pl.col("manager_email").min())
    return (
        managers.join(parents, left_on="manager_email", right_on="report_email", how="left")
        .join(depths, left_on="manager_email", right_on="report_email", how="left")
        .with_columns(pl.col("depth").fill_null(0))
    )
