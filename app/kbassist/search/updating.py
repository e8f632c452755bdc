"""One pass of bringing the index in line with the KB folder: plan (``sync.py``), then delete, parse and write.

The files compared are every file of the KB, or only those under the paths a file watcher reported; what the
index holds of each file comes from its records (``records.py``), never from the stored Markdown. A large
plan is written by a builder process on both cores (``parallel_build.py``), a small one here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from whoosh.index import FileIndex

from kbassist.content.kb_files import kb_files
from kbassist.content.model import Problem
from kbassist.search.parallel_build import sync_in_builder, worth_it
from kbassist.search.records import FileState
from kbassist.search.sync import (
    COMMIT_EVERY,
    Batch,
    Hooks,
    SyncPlan,
    UpdateReport,
    apply_todo,
    files_under,
    plan_sync,
)


def sync_files(
    ix: FileIndex,
    kb_root: Path,
    indexed: Mapping[str, FileState],
    hooks: Hooks,
    *,
    changed: Iterable[str | Path] | None = None,
    parallel: bool = True,
) -> UpdateReport:
    """Apply ``plan_sync``'s plan: delete what left, parse and write what is new or changed, oldest first.

    ``changed``: the paths a watcher saw change (None: look at every file); ``parallel``: a large plan may
    be written by a builder process on both cores.
    """
    plan = _plan(kb_root, indexed, changed)
    if parallel and worth_it(plan):
        report = sync_in_builder(Path(ix.storage.folder), kb_root, plan, indexed, hooks)
    else:
        report = _write_here(ix, kb_root, plan, indexed, hooks)
    if not kb_root.is_dir():
        report.problems.append(Problem(".", f"KB folder does not exist: {kb_root}"))
    report.problems.sort(key=lambda p: p.rel_path)
    return report


def _plan(kb_root: Path, indexed: Mapping[str, FileState], changed: Iterable[str | Path] | None) -> SyncPlan:
    scoped = files_under(kb_root, changed) if changed is not None else None
    if scoped is None:
        return plan_sync(indexed, kb_files(kb_root))
    return plan_sync(indexed, scoped[0], scope=scoped[1])


def _write_here(
    ix: FileIndex, kb_root: Path, plan: SyncPlan, indexed: Mapping[str, FileState], hooks: Hooks
) -> UpdateReport:
    report = UpdateReport(unchanged=plan.unchanged, problems=list(plan.problems))
    batch = Batch(ix, hooks.on_commit, hooks.searcher_for)
    try:
        for rel in plan.removed:
            batch.delete(rel)
            report.removed += 1
        for done, todo in enumerate(plan.todo, len(plan.removed) + 1):
            if hooks.stopping():
                report.stopped = True
                break
            if hooks.progress:
                hooks.progress(done, plan.total, todo.rel)
            apply_todo(batch, todo, indexed.get(todo.rel), plan.claims, report, kb_root)
        batch.finish(stopped=report.stopped, optimize=plan.total > COMMIT_EVERY)
    except BaseException:
        batch.cancel()
        raise
    if hooks.progress and plan.total == 0:
        hooks.progress(0, 0, "")
    return report
