"""A large update (a first build, a rebuild, hundreds of changed files) on both cores, in a builder process.

Reading, parsing and writing into Whoosh are Python work under one GIL: a build in the app's process uses one
of the machine's two cores. Here the update's plan is handed to a builder process, started fresh (``spawn``: no
threads of the window come with it), whose coordinator (``build_coordinator.py``) has two worker processes
(``build_worker.py``) parse the files and write them, each into segments of its own. The calling process only
relays progress, tells the index that a commit is searchable, and says stop when the app quits. The builder's
memory goes when it ends.

The plan and its rules (``sync.py``: which files, in what order, who keeps an id) are the serial update's;
only who parses and writes differs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from kbassist.search.build_coordinator import FIRST_COMMIT, WORKERS, Coordinator
from kbassist.search.records import FileState
from kbassist.search.sync import Hooks, SyncPlan, UpdateReport

PARALLEL_FROM = 400  # files to write: fewer are written in the calling process (an edit takes milliseconds)
STOP_POLL = 0.25  # seconds between looks at ``stopping()`` while the builder works


class BuildFailedError(RuntimeError):
    """The builder process failed or ended without a report."""


def worth_it(plan: SyncPlan) -> bool:
    """Whether ``plan`` is large enough to pay for a builder process (about a second to start)."""
    return len(plan.todo) >= PARALLEL_FROM and (os.cpu_count() or 1) >= WORKERS


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
    methods = multiprocessing.get_all_start_methods()
    # The workers start from a server process of their own, never by forking this one.
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    try:
        conn.send(("done", _build(conn, job, context)))
    except BaseException as exc:  # everything goes back to the caller, which repairs or reports it
        for child in multiprocessing.active_children():
            child.terminate()
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _build(conn: Connection, job: Job, context: Any) -> UpdateReport:
    report = UpdateReport(unchanged=job.plan.unchanged, problems=list(job.plan.problems))
    coordinator = Coordinator(whoosh_index.open_dir(job.index_dir), conn, job, report)
    stop = _StopListener(conn)
    try:
        coordinator.start(context, job.index_dir, job.kb_root)
        coordinator.run(stop.heard)
    except BaseException:
        coordinator.cancel()
        raise
    coordinator.close()
    return report


class _StopListener:
    """Whether the caller said "stop" (it says nothing else)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.stopped = False

    def heard(self) -> bool:
        if not self.stopped and self.conn.poll():
            self.stopped = self.conn.recv() == "stop"
        return self.stopped
