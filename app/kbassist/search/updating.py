"""One pass of bringing the index in line with the KB folder: plan (``sync.py``), then delete, parse and write.

The files compared are every file of the KB, or only those under the paths a file watcher reported; what the
index holds of each file comes from its records (``records.py``), never from the stored Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from whoosh.index import FileIndex

from kbassist.content.loader import iter_kb_files
from kbassist.content.model import Problem
from kbassist.search.sync import COMMIT_EVERY, Batch, FileState, UpdateReport, apply_todo, files_under, plan_sync

Progress = Callable[[int, int, str], None]  # done, total, current file


def sync_files(
    ix: FileIndex,
    kb_root: Path,
    indexed: Mapping[str, FileState],
    progress: Progress | None,
    stopping: Callable[[], bool],
    *,
    on_commit: Callable[[], None] | None = None,
    changed: Iterable[str | Path] | None = None,
) -> UpdateReport:
    """Apply ``plan_sync``'s plan: delete what left, parse and write what is new or changed, oldest first.

    ``changed``: the paths a watcher saw change (None: look at every file); ``on_commit`` runs after each
    intermediate commit of a live index, so searches see what is ready.
    """
    scoped = files_under(kb_root, changed) if changed is not None else None
    if scoped is None:
        on_disk = {p.relative_to(kb_root).as_posix(): p for p in iter_kb_files(kb_root)}
        plan = plan_sync(indexed, on_disk)
    else:
        plan = plan_sync(indexed, scoped[0], scope=scoped[1])
    report = UpdateReport(unchanged=plan.unchanged, problems=list(plan.problems))
    if not kb_root.is_dir():
        report.problems.append(Problem(".", f"KB folder does not exist: {kb_root}"))
    batch = Batch(ix, on_commit)
    try:
        for rel in plan.removed:
            batch.delete(rel)
            report.removed += 1
        for done, todo in enumerate(plan.todo, len(plan.removed) + 1):
            if stopping():
                report.stopped = True
                break
            if progress:
                progress(done, plan.total, todo.rel)
            apply_todo(batch, todo, indexed.get(todo.rel), plan.claims, report, kb_root)
        batch.finish(stopped=report.stopped, optimize=plan.total > COMMIT_EVERY)
    except BaseException:
        batch.cancel()
        raise
    if progress and plan.total == 0:
        progress(0, 0, "")
    report.problems.sort(key=lambda p: p.rel_path)
    return report
