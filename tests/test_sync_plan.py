"""The update plan and the id rule as plain values: which files an update touches, in what order, and
which of two files keeps an id."""

from __future__ import annotations

import os
from pathlib import Path

from kbassist.search.records import FileState
from kbassist.search.sync import IdClaims, plan_sync


class _Stats:
    def __init__(self, table: dict[str, tuple[int, int] | OSError]) -> None:
        self.table = table

    def __call__(self, path: Path) -> os.stat_result:
        value = self.table[path.name]
        if isinstance(value, OSError):
            raise value
        mtime_ns, size = value
        return _Stat(mtime_ns, size)  # type: ignore[return-value]  # the two fields the plan reads


class _Stat:
    def __init__(self, mtime_ns: int, size: int) -> None:
        self.st_mtime_ns = mtime_ns
        self.st_size = size


def test_the_plan_lists_removed_changed_and_new_files_oldest_first() -> None:
    indexed = {
        "a.md": FileState("sig-a", 100, 10, "id-a"),
        "b.md": FileState("sig-b", 100, 10, "id-b"),
        "gone.md": FileState("sig-g", 100, 10, "id-g"),
    }
    on_disk = {"a.md": Path("a.md"), "b.md": Path("b.md"), "new.md": Path("new.md"), "bad.md": Path("bad.md")}
    stat = _Stats({"a.md": (100, 10), "b.md": (300, 12), "new.md": (200, 5), "bad.md": PermissionError(13, "no")})
    plan = plan_sync(indexed, on_disk, stat)  # type: ignore[arg-type]
    assert plan.removed == ["gone.md"]
    assert [t.rel for t in plan.todo] == ["new.md", "b.md"]  # by mtime, not by name
    assert plan.unchanged == 1
    assert [p.rel_path for p in plan.problems] == ["bad.md"]
    assert plan.total == 3
    assert plan.claims.holders == {"id-a": "a.md"}  # only files that stay as they are hold ids at the start


def test_of_two_files_with_one_id_the_older_keeps_it_whichever_comes_first() -> None:
    claims = IdClaims(holders={"x": "kept.md"}, since={"kept.md": (100, "kept.md")})
    assert claims.claim("x", "newer.md", 200) == (False, None)
    assert claims.holders["x"] == "kept.md"
    assert claims.claim("x", "older.md", 50) == (True, "kept.md")
    assert claims.holders["x"] == "older.md"
    assert claims.claim("x", "same-time-later-path.md", 50) == (False, None)  # same mtime: path order
    assert claims.claim("y", "new.md", 10) == (True, None)
