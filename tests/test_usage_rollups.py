"""The editors' rollups in the local file equal a recomputation from scratch, whatever the order of batches.

The oracle is ``rollup_reference.recompute``: plain loops over the events, sharing no code with the SQL.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import pytest

from kbassist.content.model import Macro
from kbassist.usage import Event, UsageStore, compute_stats
from kbassist.usage.rollup_sql import DAY_TABLES, ITEM_DAYS
from kbassist.usage.rows import INSERT, to_row
from kbassist.usage.schema import MIGRATIONS
from kbassist.usage.stats.period import COUNTERS
from rollup_reference import MIDNIGHT, history, read_tables, recompute

KEYS = {table.name: len(table.keys) for table in DAY_TABLES}
NAMES = tuple(KEYS)


def _tables(store: UsageStore) -> dict[str, dict[tuple[str, ...], tuple[int, ...]]]:
    return read_tables(store.rows, NAMES, KEYS)


def _batches(rng: random.Random, events: list[Event]) -> list[list[Event]]:
    shuffled = events[:]
    rng.shuffle(shuffled)  # a case's events arrive in any order, across batches
    out = []
    while shuffled:
        size = rng.choice([1, 2, 5, 17, 60])
        out.append(shuffled[:size])
        shuffled = shuffled[size:]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_rollups_equal_a_recomputation_after_random_batches(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    events = history(seed)
    with UsageStore(tmp_path / "u.sqlite3") as store:
        for n, batch in enumerate(_batches(rng, events)):
            store.add(batch)
            if n % 3 == 0 or len(batch) > 10:
                assert _tables(store) == recompute(store.events()), f"after batch {n}"
        assert _tables(store) == recompute(events)
        assert set(_tables(store)) == set(NAMES)  # the history fills every table


@pytest.mark.parametrize("seed", range(3))
def test_pruning_counts_what_is_left_of_each_case(tmp_path: Path, seed: int) -> None:
    events = history(100 + seed)
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add(events)
        for cutoff in (MIDNIGHT - 2 * 86400, MIDNIGHT - 600, MIDNIGHT + 1200, MIDNIGHT + 86400 + 3600):
            removed = store.prune(0, now=cutoff)
            kept = [e for e in events if e.ts >= cutoff]
            assert removed == len(events) - len(kept)
            events = kept
            assert _tables(store) == recompute(store.events()) == recompute(kept)
        assert store.prune(0, now=cutoff) == 0


def test_clear_forgets_the_figures_too(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add(history(7))
        store.clear()
        assert store.count() == 0 and _tables(store) == {}
        assert compute_stats(store, []).sessions == 0


def _v3_file(path: Path, events: list[Event]) -> None:
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        for statement in step:
            conn.execute(statement)
    conn.executemany(INSERT, [to_row(e) for e in events])
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_migration_fills_the_rollups_from_the_events_already_recorded(tmp_path: Path) -> None:
    events = history(11)
    _v3_file(tmp_path / "u.sqlite3", events)
    with UsageStore(tmp_path / "u.sqlite3") as store:
        assert store.schema_version == 4
        assert _tables(store) == recompute(events)
        more = history(12, cases=5)
        store.add(more)
        assert _tables(store) == recompute(events + more)


def test_an_old_file_read_only_gets_its_figures_without_being_changed(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite3"
    events = history(13)
    _v3_file(path, events)
    before = path.read_bytes()
    with UsageStore(path) as writable:
        expected = compute_stats(writable, [], today=dt.date(2026, 3, 10)).to_json()
    path.write_bytes(before)
    with UsageStore(path, read_only=True) as store:
        assert store.schema_version == 3
        assert _tables(store) == recompute(events)
        assert compute_stats(store, [], today=dt.date(2026, 3, 10)).to_json() == expected
    assert path.read_bytes() == before


def test_a_case_counts_on_the_day_it_started(tmp_path: Path) -> None:
    """A case opened at 23:50 and answered at 00:10 is a case of the first day, copy and all."""
    first = dt.date(2026, 3, 9)
    evening = dt.datetime.combine(first, dt.time(23, 50)).timestamp()
    macro = Macro("m", "macro", "M", "refunds", (), "", Path("/kb/m.md"), "m.md")
    shown = {"item_id": "m", "item_kind": "macro", "product": "refunds"}
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add(
            [
                Event(session="s", kind="session", ts=evening),
                Event(session="s", kind="shown", ts=evening + 5, rank=1, **shown),  # type: ignore[arg-type]
                Event(session="s", kind="copied", ts=evening + 1200, source="suggestion", edit_ratio=0.1, **shown),  # type: ignore[arg-type]
                Event(session="", kind="search", ts=evening + 1300, terms=("crypto",), result_count=0),
            ]
        )
        on_first = compute_stats(store, [macro], first, first)
        (row,) = on_first.macros
        assert (on_first.sessions, on_first.events, row.copied, row.copy_rate) == (1, 3, 1, 1.0)
        assert row.last_used == first + dt.timedelta(days=1)  # the day it was copied
        assert on_first.gaps == []  # the search outside any case counts on its own day
        on_second = compute_stats(store, [macro], first + dt.timedelta(days=1), None)
        assert (on_second.sessions, on_second.events, on_second.macros) == (0, 1, [])
        assert [g.terms for g in on_second.gaps] == ["crypto"]


def test_item_totals_name_the_item_days_counters() -> None:
    assert ITEM_DAYS.count_names == COUNTERS
