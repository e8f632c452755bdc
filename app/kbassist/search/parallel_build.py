"""A large update (a first build, a rebuild, hundreds of changed files) on both cores, in a builder process.

Writing into Whoosh is Python work under one GIL: a build used one of the machine's two cores. Here the
update's plan is handed to a builder process, started fresh (``spawn``: no threads of the window come with
it), which parses the files and feeds Whoosh's multiprocess writer (``MpWriter``, two writer processes, each
writing its own segment of every batch). The calling process only relays progress, tells the index that a
commit is searchable, and says stop when the app quits. The builder's memory goes when it ends.

The plan and its rules (``sync.py``: which files, in what order, who keeps an id) are the serial update's;
only the writer differs. Batches grow (512 documents, then three times what came before), so a first build's
first articles are searchable within seconds and a build of 15,000 files ends in four commits and eight
segments, none merged again (merging re-reads every posting: it was half of a 10,000-article build).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import NO_MERGE

from kbassist.search.records import FileState
from kbassist.search.segment_cache import segment_id
from kbassist.search.sync import WRITER_TIMEOUT, Hooks, SyncPlan, UpdateReport, WriterBatch, apply_todo
from kbassist.search.table_store import decode_segment, keep

log = logging.getLogger(__name__)

PARALLEL_FROM = 400  # files to write: fewer are written in the calling process (an edit takes milliseconds)
WRITERS = 2  # Whoosh writer processes, one per core of the 2-core machines the app runs on
FIRST_COMMIT = 512  # documents of a first build searchable early
GROWTH = 3  # each later batch holds this many times what was committed before it
# Whoosh's posting buffer per writer process: 64 MiB kept each writer under ~160 MiB of RSS at 10,000 articles.
PARALLEL_LIMIT_MB = 64
PROGRESS_EVERY = 0.25  # seconds between progress messages from the builder
STOP_POLL = 0.25  # seconds between looks at ``stopping()`` while the builder works


class BuildFailedError(RuntimeError):
    """The builder process failed or ended without a report."""


def worth_it(plan: SyncPlan) -> bool:
    """Whether ``plan`` is large enough to pay for a builder process (about a second to start)."""
    return len(plan.todo) >= PARALLEL_FROM and (os.cpu_count() or 1) >= WRITERS


@dataclass(frozen=True, slots=True)
class Job:
    index_dir: str
    kb_root: str
    plan: SyncPlan
    indexed: dict[str, FileState]
    first_commit: int = FIRST_COMMIT  # read in the calling process (the builder imports this module afresh)


def sync_in_builder(
    index_dir: Path, kb_root: Path, plan: SyncPlan, indexed: Mapping[str, FileState], hooks: Hooks
) -> UpdateReport:
    """Run ``plan`` on the index in ``index_dir`` in a builder process; returns its report."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    job = Job(str(index_dir), str(kb_root), plan, dict(indexed), FIRST_COMMIT)
    builder = context.Process(target=_builder_main, args=(theirs, job), name="kbassist-build")
    builder.start()
    theirs.close()
    try:
        return _relay(ours, builder, hooks)
    finally:
        ours.close()
        builder.join(30)
        if builder.is_alive():
            builder.terminate()
            builder.join(5)


def _relay(conn: Connection, builder: Any, hooks: Hooks) -> UpdateReport:
    """Pass the builder's messages on until its report comes; tell it to stop once ``hooks.stopping()``."""
    told = False
    while True:
        if hooks.stopping() and not told:
            conn.send("stop")
            told = True
        try:
            if not conn.poll(STOP_POLL):
                if not builder.is_alive():
                    raise BuildFailedError(f"the index builder ended (exit code {builder.exitcode}) without a report")
                continue
            kind, payload = conn.recv()
        except (EOFError, OSError) as exc:
            raise BuildFailedError(f"the index builder stopped answering ({exc})") from None
        if kind == "progress" and hooks.progress:
            hooks.progress(*payload)
        elif kind == "commit" and hooks.on_commit:
            hooks.on_commit()
        elif kind == "error":
            raise BuildFailedError(payload)
        elif kind == "done":
            report: UpdateReport = payload
            return report


# ----------------------------------------------------------------------------- in the builder process
def _builder_main(conn: Connection, job: Job) -> None:
    # Whoosh's writer processes start from a server process of their own, never by forking this one.
    methods = multiprocessing.get_all_start_methods()
    multiprocessing.set_start_method("forkserver" if "forkserver" in methods else "spawn", force=True)
    try:
        conn.send(("done", _build(conn, job)))
    except BaseException as exc:  # everything goes back to the caller, which repairs or reports it
        for child in multiprocessing.active_children():
            child.terminate()
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _build(conn: Connection, job: Job) -> UpdateReport:
    plan, kb_root = job.plan, Path(job.kb_root)
    report = UpdateReport(unchanged=plan.unchanged, problems=list(plan.problems))
    ix = whoosh_index.open_dir(job.index_dir)
    before = _segment_ids(ix)
    batch = ParallelBatch(ix, conn, job.first_commit)
    told = time.perf_counter()
    try:
        for rel in plan.removed:
            batch.delete(rel)
            report.removed += 1
        for done, todo in enumerate(plan.todo, len(plan.removed) + 1):
            if conn.poll() and conn.recv() == "stop":
                report.stopped = True
                break
            if time.perf_counter() - told >= PROGRESS_EVERY:
                conn.send(("progress", (done, plan.total, todo.rel)))
                told = time.perf_counter()
            apply_todo(batch, todo, job.indexed.get(todo.rel), plan.claims, report, kb_root)
        batch.finish()
    except BaseException:
        batch.cancel()
        raise
    conn.send(("progress", (plan.total, plan.total, "")))
    if not report.stopped:
        _decode_tables(job.index_dir, [key for key in _segment_ids(ix) if key not in before])
    return report


def _segment_ids(ix: Any) -> list[str]:
    with ix.reader() as reader:
        return [segment_id(r) for r, _offset in reader.leaf_readers() if r.doc_count_all()]


def _decode_tables(index_dir: str, keys: list[str]) -> None:
    """The scoring tables of the segments this build wrote, decoded on both cores and kept beside them, so
    the index maps them instead of decoding them itself (a second or two per thousand documents on one)."""
    with ProcessPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(_decode_table, [index_dir] * len(keys), keys))


def _decode_table(index_dir: str, key: str) -> None:
    with whoosh_index.open_dir(index_dir).reader() as reader:
        for segment, _offset in reader.leaf_readers():
            if segment_id(segment) == key:
                keep(decode_segment(segment), Path(index_dir), segment)


class ParallelBatch(WriterBatch):
    """The builder's writer: Whoosh's multiprocess writer, committed in growing batches, never merged."""

    def __init__(self, ix: Any, conn: Connection, first_commit: int = FIRST_COMMIT) -> None:
        self.ix = ix
        self.conn = conn
        self.first_commit = first_commit
        self.committed = 0
        self.pending = 0
        self.writer = self._writer()

    def _writer(self) -> Any:
        return self.ix.writer(
            procs=WRITERS, multisegment=True, limitmb=PARALLEL_LIMIT_MB, timeout=WRITER_TIMEOUT, batchsize=128
        )

    def write(self, document: dict[str, Any], *, replace: bool = True) -> None:
        self.add(document, replace=replace)
        if self.pending >= max(self.first_commit, GROWTH * self.committed):
            self._commit()
            self.writer = self._writer()

    def _commit(self) -> None:
        self.writer.commit(mergetype=NO_MERGE)
        self.committed += self.pending
        self.pending = 0
        self.conn.send(("commit", None))

    def finish(self) -> None:
        if self.pending:
            self._commit()
        else:
            self.writer.cancel()

    def cancel(self) -> None:
        if not self.writer.is_closed:
            self.writer.cancel()
