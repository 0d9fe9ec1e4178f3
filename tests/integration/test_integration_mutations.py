"""Sync → build → mutate the sandbox → incremental sync → build, for both providers.

One org, one warehouse file: every mutation goes to its own quiet pair, so each test
checks one mutation's rows and one test checks that nothing else moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest
from mutation_plan import (
    Key,
    ManagerChange,
    PairPicker,
    Target,
    cancel,
    cancel_cross,
    decline,
    delete,
    move,
    reassign,
    split,
)
from sync_world import all_tables, build_context, differing_tables, open_world, sync_once

from connectors.sandbox.org import generate_org
from warehouse import Warehouse, explain_pair

ANCHOR = date(2026, 11, 16)
FIRST_SYNC = datetime.combine(ANCHOR - timedelta(days=1), time(12), tzinfo=UTC)
MUTATED_AT = datetime.combine(ANCHOR, time(9, 15), tzinfo=UTC)
SECOND_SYNC = datetime.combine(ANCHOR, time(12), tzinfo=UTC)
PROVIDERS = ("google", "microsoft")


@dataclass
class Round:
    """The warehouse before and after the mutations, and what was mutated."""

    before: dict[str, pl.DataFrame]
    repeated: dict[str, pl.DataFrame]  # after a second sync + build with no change
    after: dict[str, pl.DataFrame]
    targets: dict[tuple[str, str], Target]  # (provider, mutation) -> target
    split_series: dict[str, str]  # provider -> series id before the split
    changes: dict[str, ManagerChange]  # provider -> manager change
    warehouse: Path

    def occurrence(self, key: Key, when: str = "after") -> dict[str, object]:
        frame = getattr(self, when)["occurrences"]
        a, b, slot = key
        rows = frame.filter(
            pl.col("person_a") == a, pl.col("person_b") == b, pl.col("scheduled_start") == slot
        )
        assert rows.height == 1, f"{rows.height} occurrences for {key} ({when})"
        return rows.row(0, named=True)


@pytest.fixture(scope="module")
def mutated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Round]:
    root = tmp_path_factory.mktemp("mutations")
    org = generate_org(seed=7, size=60, anchor=ANCHOR)
    path = root / "w.duckdb"
    with open_world(root / "sandbox", org) as world, Warehouse(path) as wh:
        ctx = build_context(ANCHOR)
        sync_once(world, wh, ANCHOR - timedelta(days=1), FIRST_SYNC)
        wh.build(ctx)
        before = all_tables(wh)
        sync_once(world, wh, ANCHOR - timedelta(days=1), FIRST_SYNC + timedelta(hours=1))
        wh.build(ctx)
        repeated = all_tables(wh)
        targets: dict[tuple[str, str], Target] = {}
        splits: dict[str, str] = {}
        changes: dict[str, ManagerChange] = {}
        for provider in PROVIDERS:
            picker = PairPicker(org, provider)
            targets[provider, "cancel"] = cancel(picker, ANCHOR, MUTATED_AT)
            targets[provider, "decline"] = decline(picker, ANCHOR, MUTATED_AT)
            targets[provider, "move"] = move(picker, ANCHOR, MUTATED_AT)
            targets[provider, "delete"] = delete(picker, MUTATED_AT)
            targets[provider, "split"], splits[provider] = split(picker, ANCHOR, MUTATED_AT)
            changes[provider] = reassign(picker, ANCHOR)
        targets["cross", "cancel"] = cancel_cross(org, ANCHOR, MUTATED_AT)
        sync_once(world, wh, ANCHOR, SECOND_SYNC)
        wh.build(ctx)
        yield Round(before, repeated, all_tables(wh), targets, splits, changes, path)


def test_debug(mutated: Round) -> None:
    cols = ["status", "canceled_by", "cancel_lead_hours", "start", "rescheduled", "providers", "series_key", "relation", "manager_email"]
    for name, t in mutated.targets.items():
        b = mutated.occurrence(t.key, "before")
        try:
            a = mutated.occurrence(t.key)
        except AssertionError as e:
            a = {"err": str(e)}
        print(name, t)
        print("  before", {c: b.get(c) for c in cols})
        print("  after ", {c: a.get(c) for c in cols})
    for p, ch in mutated.changes.items():
        print(p, ch)
        print(mutated.after["reporting_lines"].filter(pl.col("report_email") == ch.report))
        for k in ch.dropped[:3]:
            print("  ", {c: mutated.occurrence(k).get(c) for c in cols})
    print(differing_tables(mutated.before, mutated.repeated))
    assert False
