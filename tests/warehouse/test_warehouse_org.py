"""Org roll-ups and org KPIs from literal pair_metrics frames (pure Polars)."""

from __future__ import annotations

import math
import random
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from core.errors import BadInputError
from reports.kpis import line_totals
from warehouse.org import ORG_KPI_SCHEMA, ORG_ROLLUP_SCHEMA, org_kpis, org_rollups

LINE_SCHEMA = {
    "manager_email": pl.String,
    "report_email": pl.String,
    "held": pl.Int64,
    "scheduled": pl.Int64,
    "cancelled": pl.Int64,
    "declined": pl.Int64,
    "held_hours": pl.Float64,
    "coverage": pl.Float64,
    "leverage_hours": pl.Float64,
    "neglected": pl.Boolean,
    "intro_overdue": pl.Boolean,
    "data": pl.String,
    "behind_phase": pl.Boolean,
    "attended": pl.Int64,
    "no_show": pl.Int64,
}
CANCELER_SCHEMA = {"person_email": pl.String, "chronic": pl.Boolean}

# ceo → vp1, vp2; vp1 → m1, m2; m1 → a, b; m2 → c; vp2 → d, e.
# manager, report, held, scheduled, cancelled, declined, held_hours, coverage,
# leverage_hours, neglected, intro_overdue, data, behind_phase, attended, no_show
ORG = pl.DataFrame(
    [
        ("ceo", "vp1", 4, 5, 1, 0, 2.0, 0.5, 160.0, False, False, "ok", False, 3, 1),
        # covered from before W
        ("ceo", "vp2", 0, 2, 1, 1, 0.0, 0.1, 40.0, True, False, "ok", True, 0, 0),
        ("vp1", "m1", 6, 6, 0, 0, 3.0, 0.8, 320.0, False, False, "ok", False, 4, 0),
        ("vp1", "m2", 0, 0, 0, 0, 0.0, None, 0.0, None, None, "none", None, 0, 0),  # no data
        ("m1", "a", 2, 4, 2, 0, 1.0, 0.3, 80.0, False, False, "partial", True, 1, 1),
        ("m1", "b", 0, 0, 0, 0, 0.0, 0.0, 0.0, True, True, "ok", True, 0, 0),  # not yet met
        # met in person: no call evidence
        ("m2", "c", 3, 4, 0, 1, 1.5, 0.6, 120.0, False, False, "ok", False, 0, 0),
        ("vp2", "d", 5, 5, 0, 0, 2.5, 0.9, 400.0, False, False, "ok", False, 5, 0),
        ("vp2", "e", 1, 3, 0, 2, 0.5, 0.2, 40.0, True, False, "ok", None, 0, 1),
    ],
    schema=LINE_SCHEMA,
    orient="row",
)
CANCELERS = pl.DataFrame(
    [("a", True), ("vp2", True), ("ceo", True), ("m1", False), ("d", False)],
    schema=CANCELER_SCHEMA,
    orient="row",
)


def test_a_three_level_org_rolls_up_every_subtree_as_computed_by_hand() -> None:
    # fmt: off
    expected = pl.DataFrame(
        [
            # manager, parent, depth, direct, people, lines, met, neglected, intro,
            # no_data, chronic, behind, scheduled, lost, cancel_rate, coverage, held h,
            # leverage h, attended, no_show, attended_rate (null: no call evidence below)
            ("ceo", None, 0, 2, 9, 9, 6, 3, 1, 1, 2, 3, 29, 8, 8 / 29, 3.4 / 8, 10.5, 1160.0,
             13, 3, 13 / 16),
            ("vp1", "ceo", 1, 2, 5, 5, 3, 1, 1, 1, 1, 2, 14, 3, 3 / 14, 1.7 / 4, 5.5, 520.0,
             5, 1, 5 / 6),
            ("vp2", "ceo", 1, 2, 2, 2, 2, 1, 0, 0, 0, 0, 8, 2, 0.25, 1.1 / 2, 3.0, 440.0,
             5, 1, 5 / 6),
            ("m1", "vp1", 2, 2, 2, 2, 1, 1, 1, 0, 1, 2, 4, 2, 0.5, 0.3 / 2, 1.0, 80.0,
             1, 1, 0.5),
            ("m2", "vp1", 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 4, 1, 0.25, 0.6, 1.5, 120.0,
             0, 0, None),
        ],
        schema=ORG_ROLLUP_SCHEMA,
        orient="row",
    )
    # fmt: on
    assert_frame_equal(org_rollups(ORG, CANCELERS), expected)


def test_org_kpis_of_the_three_level_org_as_computed_by_hand() -> None:
    # lines, met, neglected, intro, no_data, chronic (every one, the top included),
    # behind, scheduled, lost, cancel_rate, coverage, held h, leverage h,
    # attended, no_show, attended_rate,
    # leverage ratio (lines with held hours only: vp2's 40 h is left out)
    row = (9, 6, 3, 1, 1, 3, 3, 29, 8, 8 / 29, 3.4 / 8, 10.5, 1160.0, 13, 3, 13 / 16,
           1120.0 / 10.5)  # fmt: skip
    expected = pl.DataFrame([row], schema=ORG_KPI_SCHEMA, orient="row")
    assert_frame_equal(org_kpis(ORG, CANCELERS), expected)


def test_org_kpis_agree_with_the_dashboards_headline_totals() -> None:
    kpis = org_kpis(ORG, CANCELERS).row(0, named=True)
    tiles = line_totals(ORG)
    assert (kpis["lines"], kpis["reports_met"], kpis["neglected_reports"]) == (
        tiles.lines, tiles.met, tiles.neglected,
    )  # fmt: skip
    assert (kpis["intro_overdue_reports"], kpis["no_data_reports"]) == (tiles.intro, tiles.no_data)
    assert (kpis["scheduled"], kpis["lost"]) == (tiles.scheduled, tiles.lost)
    assert kpis["mean_coverage"] == pytest.approx(tiles.coverage)
    assert kpis["held_hours"] == pytest.approx(tiles.held_hours)
    assert kpis["leverage_ratio"] == pytest.approx(tiles.leverage_hours / tiles.held_hours)
    assert (kpis["attended"], kpis["no_show"]) == (tiles.attended, tiles.no_show)


def test_an_org_without_lines_has_no_rollups_and_one_row_of_empty_kpis() -> None:
    empty = pl.DataFrame(schema=LINE_SCHEMA)
    no_one = pl.DataFrame(schema=CANCELER_SCHEMA)
    assert_frame_equal(org_rollups(empty, no_one), pl.DataFrame(schema=ORG_ROLLUP_SCHEMA))
    kpis = org_kpis(empty, no_one)
    assert kpis.schema == pl.Schema(ORG_KPI_SCHEMA)
    assert kpis.row(0, named=True) == {
        **dict.fromkeys(ORG_KPI_SCHEMA, 0),
        "held_hours": 0.0,
        "leverage_hours": 0.0,
        "cancel_rate": None,
        "mean_coverage": None,
        "leverage_ratio": None,
        "attended_rate": None,
    }


def test_a_management_cycle_is_refused_naming_its_people() -> None:
    cycle = ORG.vstack(
        ORG.head(1).with_columns(manager_email=pl.lit("a"), report_email=pl.lit("ceo"))
    )
    with pytest.raises(BadInputError, match=r"management cycle: a, ceo, m1, vp1$"):
        org_rollups(cycle, CANCELERS)


# Random forests: person i reports to an earlier person or to no one.
LINE_FIGURES = st.fixed_dictionaries(
    {
        "held": st.integers(0, 6),
        "scheduled": st.integers(0, 8),
        "cancelled": st.integers(0, 3),
        "declined": st.integers(0, 3),
        "held_hours": st.sampled_from([0.0, 0.5, 1.25, 3.0]),
        "coverage": st.one_of(st.none(), st.floats(0, 1)),
        "leverage_hours": st.sampled_from([0.0, 8.0, 40.0, 112.0]),
        "neglected": st.one_of(st.none(), st.booleans()),
        "intro_overdue": st.one_of(st.none(), st.booleans()),
        "data": st.sampled_from(["ok", "partial", "none"]),
        "behind_phase": st.one_of(st.none(), st.booleans()),
        "attended": st.integers(0, 4),
        "no_show": st.integers(0, 2),
    }
)


@st.composite
def forests(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    size = draw(st.integers(2, 30))
    parents = [draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
               for i in range(size)]  # fmt: skip
    rows = [
        {"manager_email": f"p{parent:02d}", "report_email": f"p{i:02d}", **draw(LINE_FIGURES)}
        for i, parent in enumerate(parents)
        if parent is not None
    ]
    lines = pl.DataFrame(rows, schema=LINE_SCHEMA)
    in_lines = sorted({*lines["manager_email"], *lines["report_email"]})
    chronic = [(email, draw(st.booleans())) for email in in_lines]
    return lines, pl.DataFrame(chronic, schema=CANCELER_SCHEMA, orient="row")


SUMMED = ("lines", "reports_met", "neglected_reports", "intro_overdue_reports", "no_data_reports",
          "chronic_cancelers", "behind_phase", "scheduled", "lost", "attended",
          "no_show")  # fmt: skip


def _own(lines: pl.DataFrame, chronic: set[str]) -> dict[str, dict[str, Any]]:
    """Each manager's own direct lines' figures (the subtree's first level only)."""
    return {
        row["manager_email"]: row
        for row in lines.group_by("manager_email")
        .agg(
            lines=pl.len(),
            reports_met=(pl.col("held") > 0).sum(),
            neglected_reports=pl.col("neglected").fill_null(False).sum(),
            intro_overdue_reports=pl.col("intro_overdue").fill_null(False).sum(),
            no_data_reports=(pl.col("data") == "none").sum(),
            chronic_cancelers=pl.col("report_email").is_in(sorted(chronic)).sum(),
            behind_phase=pl.col("behind_phase").fill_null(False).sum(),
            scheduled=pl.col("scheduled").sum(),
            lost=(pl.col("cancelled") + pl.col("declined")).sum(),
            attended=pl.col("attended").sum(),
            no_show=pl.col("no_show").sum(),
            held_hours=pl.col("held_hours").sum(),
            leverage_hours=pl.col("leverage_hours").sum(),
        )
        .iter_rows(named=True)
    }


def _subtree_lines(lines: pl.DataFrame, manager: str) -> list[dict[str, Any]]:
    """The lines below `manager`, found by walking each line's chain of managers."""
    parent = dict(zip(lines["report_email"], lines["manager_email"], strict=True))
    below = []
    for line in lines.iter_rows(named=True):
        boss: str | None = line["manager_email"]
        while boss is not None and boss != manager:
            boss = parent.get(boss)
        if boss == manager:
            below.append(line)
    return below


@settings(max_examples=60, deadline=None)
@given(forests(), st.randoms(use_true_random=False))
def test_every_subtree_is_its_own_lines_plus_its_managers_subtrees(
    forest: tuple[pl.DataFrame, pl.DataFrame], shuffler: random.Random
) -> None:
    lines, cancelers = forest
    rollups = org_rollups(lines, cancelers)
    chronic = set(cancelers.filter("chronic")["person_email"])
    own = _own(lines, chronic)
    by_manager = {row["manager_email"]: row for row in rollups.iter_rows(named=True)}
    assert set(by_manager) == set(lines["manager_email"])
    for manager, row in by_manager.items():
        reports = lines.filter(pl.col("manager_email") == manager)["report_email"].to_list()
        children = [by_manager[r] for r in reports if r in by_manager]
        for column in SUMMED:
            assert row[column] == own[manager][column] + sum(c[column] for c in children), column
        for column in ("held_hours", "leverage_hours"):
            total = own[manager][column] + sum(c[column] for c in children)
            assert row[column] == pytest.approx(total), column
        assert row["people"] == sum(1 + by_manager.get(r, {"people": 0})["people"] for r in reports)
        assert row["direct_reports"] == len(reports)
        assert all(c["depth"] == row["depth"] + 1 and c["parent_email"] == manager
                   for c in children)  # fmt: skip
        assert (row["depth"] == 0) == (row["parent_email"] is None)
        covered = [
            x["coverage"] for x in _subtree_lines(lines, manager) if x["coverage"] is not None
        ]
        expected = math.fsum(covered) / len(covered) if covered else None
        assert row["mean_coverage"] == pytest.approx(expected)
        rate = row["lost"] / row["scheduled"] if row["scheduled"] else None
        assert row["cancel_rate"] == pytest.approx(rate)
        evidence = row["attended"] + row["no_show"]
        attended = row["attended"] / evidence if evidence else None
        assert row["attended_rate"] == pytest.approx(attended)

    shuffled = org_rollups(
        lines.sample(fraction=1.0, shuffle=True, seed=shuffler.randrange(2**32)),
        cancelers.sample(fraction=1.0, shuffle=True, seed=shuffler.randrange(2**32)),
    )
    assert_frame_equal(shuffled, rollups, check_exact=False)


@settings(max_examples=60, deadline=None)
@given(forests())
def test_the_whole_org_is_the_sum_of_its_top_managers_subtrees(
    forest: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    lines, cancelers = forest
    kpis = org_kpis(lines, cancelers).row(0, named=True)
    tops = org_rollups(lines, cancelers).filter(pl.col("depth") == 0)
    chronic = set(cancelers.filter("chronic")["person_email"])
    for column in SUMMED:
        if column == "chronic_cancelers":  # the top managers report to no one in the org
            tops_chronic = len(chronic & set(tops["manager_email"]))
            assert kpis[column] == tops[column].sum() + tops_chronic
        else:
            assert kpis[column] == tops[column].sum(), column
    assert kpis["held_hours"] == pytest.approx(tops["held_hours"].sum())
    assert kpis["leverage_hours"] == pytest.approx(tops["leverage_hours"].sum())
    assert tops["people"].sum() == lines["report_email"].n_unique() == lines.height
