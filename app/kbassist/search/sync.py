"""What an index update has to do, decided before anything is written, and the writer that does it.

``plan_sync`` compares the files the index knows with the files on disk and lists what to delete and what to
(re)parse, oldest first; ``IdClaims`` settles which file keeps an id that two files carry. Both take plain
values, so the rules are tested without an index. ``KbIndex`` applies the plan through a ``Batch``.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from whoosh.index import FileIndex
from whoosh.writing import NO_MERGE

from kbassist.content.kb_files import CONTENT_DIRS, markdown_files_under, misplaced, translation_of
from kbassist.content.model import KbItem, Problem
from kbassist.search.manifest import Manifest
from kbassist.search.records import FileState
from kbassist.search.schema import to_document

COMMIT_EVERY = 64  # at least this many documents per intermediate commit: search works on what is ready
COMMIT_INTERVAL = 2.0  # ... and at most one intermediate commit per this many seconds (each costs a segment)
WRITER_TIMEOUT = 3.0
# Whoosh's in-memory posting buffer per writer (default 128). 32 cut a 3,000-document build's peak memory from
# 328 to 244 MiB at the same speed; 16 saved little more and was 25% slower.
WRITER_LIMIT_MB = 32


@dataclass(slots=True)
class UpdateReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    rebuilt: bool = False
    stopped: bool = False  # `KbIndex.stop()` ended it early; what was indexed so far is kept
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def touched(self) -> int:
        return self.added + self.changed + self.removed


WriterSearcher = Callable[[Any], AbstractContextManager[Any]]  # a writer -> a searcher of its segments, in use


@dataclass(frozen=True, slots=True)
class Hooks:
    """What an update tells its caller and asks it: how far it is, whether to stop, that a commit is ready."""

    progress: Callable[[int, int, str], None] | None = None  # done, total, current file
    stopping: Callable[[], bool] = lambda: False
    on_commit: Callable[[], None] | None = None  # after an intermediate commit of a live index
    # A searcher of a writer's segments for the documents it replaces (``KbIndex``'s, sharing the open segments
    # of the kept searcher); None: the writer opens its own (every segment again: 40 ms of an edit at 10,000
    # articles).
    searcher_for: WriterSearcher | None = None


@dataclass(frozen=True, slots=True)
class Todo:
    rel: str
    path: Path
    stat: os.stat_result


@dataclass(slots=True)
class SyncPlan:
    removed: list[str] = field(default_factory=list)  # indexed, no longer on disk
    todo: list[Todo] = field(default_factory=list)  # new or changed on disk: oldest first, then by path
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    claims: IdClaims = field(default_factory=lambda: IdClaims({}, {}))

    @property
    def total(self) -> int:
        return len(self.todo) + len(self.removed)


@dataclass(slots=True)
class IdClaims:
    """Who holds each id: the file that held it first (older mtime, then path order) keeps it, in lint and
    index alike. Seeded with the files that stay as they are: all of them in ``holders``, or (an update of
    the few files a watcher reported) each asked of ``staying`` when its id first comes up."""

    holders: dict[str, str]  # id -> rel path
    since: dict[str, tuple[int, str]]  # rel path -> (mtime_ns, rel path): the order of precedence
    staying: Callable[[str], tuple[str, int] | None] | None = None  # id -> (rel path, mtime_ns) of a file staying

    def holder(self, item_id: str) -> str | None:
        """The file holding ``item_id`` now, if any."""
        if self.staying is not None and item_id not in self.holders:
            found = self.staying(item_id)
            if found is not None:
                rel, mtime_ns = found
                self.holders[item_id] = rel
                self.since[rel] = (mtime_ns, rel)
        return self.holders.get(item_id)

    def claim(self, item_id: str, rel: str, mtime_ns: int) -> tuple[bool, str | None]:
        """Whether ``rel`` may hold ``item_id``, and which file (if any) gives it up to it."""
        owner = self.holder(item_id)
        displaced = None
        if owner is not None and owner != rel:
            if self.since[owner] < (mtime_ns, rel):
                return False, None
            displaced = owner
        self.holders[item_id] = rel
        self.since[rel] = (mtime_ns, rel)
        return True, displaced


@dataclass(frozen=True, slots=True)
class Scope:
    """The paths an update of what a file watcher reported looks at: these files, and everything under these
    folders."""

    files: frozenset[str] = frozenset()
    folders: tuple[str, ...] = ()

    def __call__(self, rel: str) -> bool:
        return rel in self.files or rel.startswith(tuple(f"{folder}/" for folder in self.folders))

    def within(self, indexed: Mapping[str, FileState]) -> list[str]:
        """The indexed paths inside the scope (a scope of files alone never walks ``indexed``)."""
        if self.folders:
            prefixes = tuple(f"{folder}/" for folder in self.folders)
            return [rel for rel in indexed if rel in self.files or rel.startswith(prefixes)]
        return sorted(rel for rel in self.files if rel in indexed)


def plan_sync(
    indexed: Mapping[str, FileState],
    on_disk: Mapping[str, Path],
    stat: Callable[[Path], os.stat_result] = os.stat,
    scope: Scope | None = None,
) -> SyncPlan:
    """Compare what the index holds with the files on disk (``rel path -> path``).

    ``scope`` says which paths ``on_disk`` covers (default: all of them); an indexed file outside it is not
    looked at and counts as unchanged (an update of the few paths a file watcher reported). When ``indexed``
    is the index's ``Manifest``, such a plan asks it which file holds an id only for the ids its files carry.
    """
    within = scope.within(indexed) if scope is not None else list(indexed)
    plan = SyncPlan(removed=[rel for rel in within if rel not in on_disk])
    plan.unchanged = len(indexed) - len(within)
    for rel, path in on_disk.items():
        try:
            st = stat(path)
        except OSError as exc:
            plan.problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
            continue
        known = indexed.get(rel)
        if known and known.mtime_ns == st.st_mtime_ns and known.size == st.st_size:
            plan.unchanged += 1
            continue
        plan.todo.append(Todo(rel, path, st))
    plan.todo.sort(key=lambda t: (t.stat.st_mtime_ns, t.rel))
    leaving = {t.rel for t in plan.todo} | set(plan.removed)
    if scope is not None and isinstance(indexed, Manifest):
        plan.claims = IdClaims({}, {}, functools.partial(_staying_holder, indexed, leaving))
        return plan
    staying = {rel: s for rel, s in indexed.items() if rel not in leaving}
    plan.claims = IdClaims(
        holders={s.item_id: rel for rel, s in staying.items()},
        since={rel: (s.mtime_ns, rel) for rel, s in staying.items()},
    )
    return plan


def _staying_holder(indexed: Manifest, leaving: set[str], item_id: str) -> tuple[str, int] | None:
    rel = indexed.holder(item_id)
    return (rel, indexed[rel].mtime_ns) if rel is not None and rel not in leaving else None


def files_under(kb_root: Path, changed: Iterable[str | Path]) -> tuple[dict[str, Path], Scope] | None:
    """The KB files at or under the ``changed`` paths (files, folders, or what was either and is gone), and
    which relative paths that covers; None when the change is the KB folder itself (every file is looked
    at). Paths outside the content folders are not content and are left out."""
    folders: list[str] = []
    files: set[str] = set()
    for raw in changed:
        path = Path(raw)
        try:
            rel = path.relative_to(kb_root).as_posix()
        except ValueError:
            continue  # not in the KB
        if rel == ".":
            return None
        parts = rel.split("/")
        if parts[0] not in CONTENT_DIRS or any(part.startswith(".") for part in parts[1:]):
            continue  # not content, or hidden (content/loader.py)
        if path.suffix == ".md" and not path.is_dir():
            files.add(rel)
        else:
            folders.append(rel)
    on_disk: dict[str, Path] = {}
    for folder in folders:
        on_disk |= {rel: kb_root / rel for rel in markdown_files_under(kb_root, folder)}
    on_disk |= {rel: kb_root / rel for rel in files if (kb_root / rel).is_file()}
    # A translation (``<slug>.<lang>.md``) is read with its macro, never indexed on its own (content/loader.py).
    on_disk = {rel: path for rel, path in on_disk.items() if translation_of(rel) is None}
    return on_disk, Scope(frozenset(files), tuple(folders))


class Deletes(Protocol):
    """What an update deletes through: ``Batch`` here, the builder's deleting writer (``build_coordinator.py``)."""

    def delete(self, rel: str) -> None: ...


class Writes(Deletes, Protocol):
    """What an update writes through in this process: ``Batch``."""

    def write(self, document: dict[str, Any], *, replace: bool = True) -> None: ...


class Identified(Protocol):
    """What deciding whether a parsed file is written needs of it: a ``KbItem``, or a builder worker's summary
    of one (``build_worker.Parsed``)."""

    @property
    def id(self) -> str: ...

    @property
    def signature(self) -> str: ...


class Batch:
    """The writer of one update in this process: deletes by path, adds or replaces; a commit every
    ``COMMIT_EVERY`` documents and ``COMMIT_INTERVAL`` seconds (search works on what is ready), merging only at
    the end."""

    def __init__(
        self, ix: FileIndex, on_commit: Callable[[], None] | None, searcher_for: WriterSearcher | None = None
    ) -> None:
        self.ix = ix
        self.on_commit = on_commit
        self.searcher_for = searcher_for
        self.writer = self._writer()
        self.pending = 0
        self.last_commit = time.perf_counter() - COMMIT_INTERVAL  # the first batch is committed at once

    def _writer(self) -> Any:
        return self.ix.writer(timeout=WRITER_TIMEOUT, limitmb=WRITER_LIMIT_MB)

    def delete(self, rel: str) -> None:
        if self.searcher_for is None:
            self.writer.delete_by_term("path", rel)
        else:
            with self.searcher_for(self.writer) as searcher:
                self.writer.delete_by_term("path", rel, searcher=searcher)
        self.pending += 1

    def add(self, document: dict[str, Any], *, replace: bool) -> None:
        if replace and self.searcher_for is not None:
            # ``update_document`` as Whoosh writes it (delete the live document holding each unique field's
            # value, then add), with the searcher given.
            unique = [name for name, field in self.writer.schema.items() if field.unique and name in document]
            with self.searcher_for(self.writer) as searcher:
                found = {searcher.document_number(**{name: document[name]}) for name in unique}
            for docnum in sorted(d for d in found if d is not None):
                self.writer.delete_document(docnum)
            self.writer.add_document(**document)
        elif replace:
            self.writer.update_document(**document)
        else:
            self.writer.add_document(**document)
        self.pending += 1

    def write(self, document: dict[str, Any], *, replace: bool = True) -> None:
        self.add(document, replace=replace)
        if self.pending >= COMMIT_EVERY and time.perf_counter() - self.last_commit >= COMMIT_INTERVAL:
            # No merging mid-build (merging every batch made a 10k build quadratic); the last commit merges.
            self.writer.commit(mergetype=NO_MERGE)
            self.last_commit = time.perf_counter()
            if self.on_commit:
                self.on_commit()
            self.writer = self._writer()
            self.pending = 0

    def finish(self, *, stopped: bool, optimize: bool) -> None:
        if self.pending and stopped:
            self.writer.commit(mergetype=NO_MERGE)  # quick: merging can wait for the next start
        elif self.pending and optimize:
            self.writer.commit(optimize=True)  # after a bulk load, fewer segments: faster searches
        elif self.pending:
            # An edit is searchable at once; the edits' small segments are merged later, in the background
            # (edit_merge.py): Whoosh's default policy merged in this commit, up to seconds at 10,000 articles.
            self.writer.commit(mergetype=NO_MERGE)
        else:
            self.writer.cancel()

    def cancel(self) -> None:
        if not self.writer.is_closed:
            self.writer.cancel()


def parse_todo(todo: Todo, kb_root: Path) -> KbItem | Problem:
    """The record of one new or changed file, or why it cannot be indexed."""
    from kbassist.content.parser import parse_file  # imported only when a file is parsed (content/kb_files.py)

    return misplaced(todo.rel) or parse_file(todo.path, kb_root)


def apply_todo(
    batch: Writes, todo: Todo, known: FileState | None, claims: IdClaims, report: UpdateReport, kb_root: Path
) -> None:
    """Parse one new or changed file and write it, unless it is broken or another file holds its id."""
    apply_parsed(batch, todo, parse_todo(todo, kb_root), known, claims, report)


def apply_parsed(
    batch: Writes, todo: Todo, result: KbItem | Problem, known: FileState | None, claims: IdClaims, report: UpdateReport
) -> None:
    """Write one parsed file, unless it is broken or another file holds its id."""
    if admit(batch, todo, result, known, claims, report) and not isinstance(result, Problem):
        # A file the index does not hold is added: no document has its path, and one with its id is on its way
        # out (its file is changing or gone, or it was displaced). Replacing would search for both.
        batch.write(to_document(result, todo.stat.st_mtime_ns, todo.stat.st_size), replace=known is not None)


def admit(
    batch: Deletes,
    todo: Todo,
    result: Identified | Problem,
    known: FileState | None,
    claims: IdClaims,
    report: UpdateReport,
) -> bool:
    """Whether one parsed file is to be written (counted as added or changed if so); deletes what it replaces
    or displaces, and reports it when it is broken or another file holds its id."""
    if isinstance(result, Problem):
        report.problems.append(result)
        if known:
            batch.delete(todo.rel)
            report.removed += 1
        return False
    same = known is not None and known.signature == result.signature
    if same:
        report.unchanged += 1  # touched but not changed: the new mtime is recorded so the next scan skips it
    holder = claims.holder(result.id)
    accepted, displaced = claims.claim(result.id, todo.rel, todo.stat.st_mtime_ns)
    if not accepted:
        report.problems.append(Problem(todo.rel, f"duplicate id {result.id!r} (already used by {holder})"))
        if known:
            batch.delete(todo.rel)
        return False
    if displaced is not None:  # this file held the id first: the newer holder gives it up
        batch.delete(displaced)
        report.problems.append(Problem(displaced, f"duplicate id {result.id!r} (already used by {todo.rel})"))
    if not same:
        if known:
            report.changed += 1
        else:
            report.added += 1
    return True
