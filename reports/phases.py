"""Relationships by phase: lines per phase, how many are behind, the under-served first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from reports import fmt
from reports.tables import Cell, Table


@dataclass(frozen=True)
class PhaseCount:
    """Active lines in one phase and how many of them are behind it."""

    phase: str
    label: str
    lines: int
    behind: int

    @property
    def share_behind(self) -> str:
        return fmt.pct(self.behind / self.lines if self.lines else None)


def phase_counts(pairs: pl.DataFrame) -> list[PhaseCount]:
    """One count per phase, in the order relationships go through them."""
    grouped = pairs.group_by("phase").agg(
        pl.len().alias("lines"), pl.col("behind_phase").fill_null(False).sum().alias("behind")
    )
    found = {r["phase"]: r for r in grouped.iter_rows(named=True)}
    return [
        PhaseCount(p, label, found.get(p, {}).get("lines", 0), found.get(p, {}).get("behind", 0))
        for p, label in fmt.PHASES
    ]


def behind_lines(pairs: pl.DataFrame) -> pl.DataFrame:
    """Lines behind their phase: new relationships (get to know) first, then the others.

    Within each group the lowest adherence comes first, then the most 1:1s expected.
    """
    return (
        pairs.filter(pl.col("behind_phase").fill_null(False))
        .with_columns((pl.col("phase") != "get_to_know").alias("_later"))
        .sort(
            ["_later", "adherence", "expected_in_window", "report_email"],
            descending=[False, False, True, False],
            nulls_last=True,
        )
        .drop("_later")
    )


def phase_table(
    pairs: pl.DataFrame,
    names: Mapping[str, str],
    pages: Mapping[str, str],
    window_days: int,
    limit: int = 500,
) -> Table:
    """The under-served lines with manager (linked), phase, held vs expected, adherence;
    the first `limit` (the most under-served: the CSV export of pair_metrics has all)."""
    rows = behind_lines(pairs)
    cells = [
        [
            Cell(names.get(r["report_email"], r["report_email"]), cls="person"),
            Cell(names.get(r["manager_email"], r["manager_email"]),
                 href=pages.get(r["manager_email"])),
            Cell(fmt.phase(r["phase"])),
            Cell(fmt.day(r["phase_since"]) if r["phase_since"] else "before the history"),
            Cell(f"{r['held'] or 0} of {fmt.number(r['expected_in_window'], 1)}"),
            Cell(fmt.pct(r["adherence"]), cls="flag", sort=r["adherence"]),
        ]
        for r in rows.head(limit).iter_rows(named=True)
    ]  # fmt: skip
    headers = ("Report", "Manager", "Phase", "In phase since",
               f"Held of expected, {window_days} days", "Adherence")  # fmt: skip
    caption = "Relationships behind their phase (new relationships first)"
    return Table("behind-phase", caption, headers, cells, total=rows.height)
