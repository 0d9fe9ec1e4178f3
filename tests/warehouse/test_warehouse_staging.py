"""Staged batches and the bulk merge on a real DuckDB: equal to storing calendar by
calendar, idempotent, atomic per transaction, crash-safe under SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pytest
from wh_factory import SYNC, M, R, at, batch, copy_on, obs, stub

from connectors.model import CalendarBatch
from core.errors import BadInputError
from warehouse.db import Warehouse
from warehouse.frames import OBSERVATION_SCHEMA
from warehouse.staging import (
    CALENDARS_SCHEMA,
    StagedFile,
    batch_rows,
    calendars_table,
    merge_groups,
    stage,
    staged_files,
    staging_directory,
    write_staged,
)
from warehouse.writer import StagedWriter

D0 = date(2029, 11, 5)
R2 = "r2@x.org"
HERE = Path(__file__).parent
FILES, PER_FILE = 5, 40_000  # one transaction per file: each takes a while to commit
ROOT = HERE.parent.parent


def _rounds() -> list[tuple[datetime, list[CalendarBatch]]]:
    """Three sync rounds of three calendars: first syncs in full, then an update, a
    stub, a removal and a dropped id, then nothing changed."""
    one, two, three = (obs(at(D0 + timedelta(days=7 * k))) for k in range(3))
    on_r = [copy_on(o, R) for o in (one, two, three)]
    other = obs(at(D0), pair=(M, R2), series="s2", calendar=R2, provider="microsoft")
    first = [
        batch([one, two, three]),
        batch(on_r, calendar=R),
        batch([other], calendar=R2, provider="microsoft"),
    ]
    moved = obs(at(D0 + timedelta(days=1)), original_start=at(D0))
    second = [
        batch([moved, stub(two)], full=False, cursor="c2", removed=[three.event_id]),
        batch(on_r[:2], calendar=R, cursor="c2"),
        batch([], calendar=R2, provider="microsoft", full=False, cursor="c2"),
    ]
    third = [
        batch([], full=False, cursor="c3"),
        batch([], calendar=R, full=False, cursor="c3"),
        batch([], calendar=R2, provider="microsoft", full=False, cursor="c3"),
    ]
    return [(SYNC, first), (SYNC + timedelta(days=7), second), (SYNC + timedelta(days=14), third)]


def _stored(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {
        name: wh.table(name).sort(wh.table(name).columns, nulls_last=True)
        for name in ("raw_observations", "sync_state")
    }


def _equal(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> bool:
    return all(left[name].equals(right[name]) for name in left)


def test_bulk_merge_of_many_calendars_equals_storing_them_one_by_one(tmp_path: Path) -> None:
    one_by_one, bulk = Warehouse(":memory:"), Warehouse(":memory:")
    directory = staging_directory(tmp_path / "staging")
    for seen, batches in _rounds():
        for b in batches:
            one_by_one.store_calendar(b, seen)
        files = [stage(directory, batches[:2], seen), stage(directory, batches[2:], seen)]
        assert bulk.merge_staged(files) == sum(len(b.observations) for b in batches)
        assert _equal(_stored(bulk), _stored(one_by_one))
    assert list(directory.iterdir()) == []  # merged files are deleted
    state = {r["calendar_email"]: r for r in bulk.table("sync_state").iter_rows(named=True)}
    assert state[M]["cursor"] == "c3" and state[M]["events"] == 3  # removed ids stay, marked
    assert state[M]["last_full_sync"] == SYNC and state[R]["last_full_sync"] == SYNC + timedelta(7)


def test_a_staged_file_merged_twice_changes_nothing(tmp_path: Path) -> None:
    wh = Warehouse(":memory:")
    directory = staging_directory(tmp_path / "staging")
    for seen, batches in _rounds()[:2]:
        staged = stage(directory, batches, seen)
        kept = shutil.copy(staged.path, tmp_path / "kept.parquet")
        wh.merge_staged([staged])
        once = _stored(wh)
        shutil.copy(kept, staged.path)
        wh.merge_staged([staged])
        assert _equal(_stored(wh), once)


def test_a_failing_transaction_commits_no_rows_and_no_cursor(tmp_path: Path) -> None:
    wh = Warehouse(":memory:")
    directory = staging_directory(tmp_path / "staging")
    seen, batches = _rounds()[0]
    good = stage(directory, batches[:1], seen)
    rows = pl.DataFrame(batch_rows(batches[1:2])).with_columns(state=pl.lit(None, pl.String))
    bad = write_staged(directory, rows.to_arrow(), calendars_table(batches[1:2], seen))
    with pytest.raises(duckdb.ConstraintException):
        wh.merge_staged([good, bad])
    assert wh.table("raw_observations").is_empty() and wh.table("sync_state").is_empty()
    assert good.path.exists() and bad.path.exists()  # kept for the next run


def test_the_next_writer_merges_what_a_killed_run_staged_and_drops_partial_files(
    tmp_path: Path,
) -> None:
    directory = staging_directory(tmp_path / "staging")
    (seen, first), (later, second) = _rounds()[:2]
    stage(directory, first, seen)
    stage(directory, second, later)  # the same calendars again: merged after, not beside
    (directory / "half-written.staged.parquet.partial").write_bytes(b"PAR1")
    reference = Warehouse(":memory:")
    for seen_at, batches in ((seen, first), (later, second)):
        for b in batches:
            reference.store_calendar(b, seen_at)
    wh = Warehouse(":memory:")
    writer = StagedWriter(wh, staging_directory(directory))
    writer.merge_leftovers()
    assert writer.transactions == 2
    assert _equal(_stored(wh), _stored(reference))
    writer.finish()
    assert not directory.exists()


def test_merge_groups_never_hold_a_calendar_twice_and_stay_near_the_row_budget() -> None:
    a, b, c = ("google", "a@x.org"), ("google", "b@x.org"), ("microsoft", "c@x.org")
    files = [
        StagedFile(Path("1"), (a, b), 10),
        StagedFile(Path("2"), (c,), 10),
        StagedFile(Path("3"), (a,), 10),  # a again: a new group
        StagedFile(Path("4"), (b,), 95),  # over the budget with 3: a new group
        StagedFile(Path("5"), (c,), 0),
    ]
    groups = merge_groups(files, max_rows=100)
    assert [[f.path.name for f in g] for g in groups] == [["1", "2"], ["3"], ["4", "5"]]


def test_staged_files_are_the_owners_alone(tmp_path: Path) -> None:
    directory = staging_directory(tmp_path / "staging")
    seen, batches = _rounds()[0]
    staged = stage(directory, batches, seen)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(staged.path.stat().st_mode) == 0o600
    assert staged_files(directory)[0].calendars == staged.calendars


def _big_staging(directory: Path, calendars: int, per_calendar: int) -> None:
    """Staged files of many rows, generated column-wise (fast), one calendar each."""
    seen = datetime(2030, 1, 1, tzinfo=UTC)
    first = datetime(2029, 6, 1, tzinfo=UTC)
    for k in range(calendars):
        email = f"p{k:04d}@x.org"
        i = pl.int_range(per_calendar, eager=True)
        start = pl.Series([first] * per_calendar) + pl.duration(minutes=30 * i)
        rows = pl.DataFrame({"i": i}).select(
            provider=pl.lit("google"),
            calendar_email=pl.lit(email),
            event_id=pl.format("e{}", pl.col("i")),
            series_key=pl.lit("s"),
            organizer_email=pl.lit(email),
            participants=pl.concat_list(pl.lit(email), pl.lit("boss@x.org")),
            declined_by=pl.lit([], pl.List(pl.String)),
            state=pl.lit("live"),
            start=start,
            end=start + timedelta(minutes=30),
        )
        rows = rows.with_columns(
            *(pl.lit(None).alias(c) for c in OBSERVATION_SCHEMA if c not in rows.columns)
        ).select(pl.col(c).cast(t) for c, t in OBSERVATION_SCHEMA.items())
        rows = rows.with_columns(recurring=pl.lit(True), has_agenda=pl.lit(False))
        calendar = pa.Table.from_pylist(
            [
                {
                    "provider": "google",
                    "calendar_email": email,
                    "cursor": f"t{k}",
                    "full": True,
                    "removed_ids": [],
                    "observed_at": seen,
                }
            ],
            schema=CALENDARS_SCHEMA,
        )
        write_staged(directory, rows.to_arrow(), calendar)


def _merge_child(warehouse: Path) -> subprocess.Popen[str]:
    """The writer in a child process, one transaction per staged file of _big_staging."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    return subprocess.Popen(
        [sys.executable, str(HERE / "merge_child.py"), str(warehouse), str(PER_FILE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_writer_killed_mid_merge_then_rerun_equals_an_uninterrupted_merge(
    tmp_path: Path,
) -> None:
    crashed, reference = tmp_path / "crashed.duckdb", tmp_path / "reference.duckdb"
    for path in (crashed, reference):
        _big_staging(staging_directory(path.with_name(path.name + ".staging")), FILES, PER_FILE)
    child = _merge_child(crashed)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "merging"
    first = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)  # the second transaction is under way
    _, errors = child.communicate(timeout=60)
    assert first.startswith("merged "), errors
    left = staged_files(crashed.with_name(crashed.name + ".staging"))
    assert 0 < len(left) < FILES, "the kill should land between the first and the last merge"
    for path in (crashed, reference):
        rerun = _merge_child(path)
        out, errors = rerun.communicate(timeout=300)
        assert rerun.returncode == 0 and out.strip().endswith("done"), errors
    with Warehouse(crashed) as left_wh, Warehouse(reference) as right_wh:
        assert _equal(_stored(left_wh), _stored(right_wh))
        assert left_wh.table("raw_observations").height == FILES * PER_FILE


def test_a_naive_datetime_is_refused_naming_the_event_and_nothing_is_staged(
    tmp_path: Path,
) -> None:
    directory = staging_directory(tmp_path / "staging")
    naive = replace(obs(at(D0)), start=datetime(2029, 11, 5, 9, 0))
    with pytest.raises(BadInputError, match=f"start of event {naive.event_id}.*timezone-aware"):
        stage(directory, [batch([naive])], SYNC)
    assert list(directory.iterdir()) == []


def test_the_last_copy_of_an_id_wins_in_the_order_last_seen() -> None:
    first, second = obs(at(D0)), obs(at(D0 + timedelta(days=7)))
    moved = replace(first, start=at(D0 + timedelta(days=1)))
    rows = batch_rows([batch([first, second]), batch([moved], full=False)])
    assert rows.column("event_id").to_pylist() == [second.event_id, first.event_id]
    assert rows.column("start").to_pylist() == [second.start, moved.start]
