"""Non-visual glue between widgets and the core: suggest, search, and keep the index fresh.

Each controller runs core calls on its own worker thread (``ui/tasks.py``). Suggestions and searches use
the runner's ``latest`` mode: the newest case text and the newest query always win, and older answers are
dropped, never shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QFileSystemWatcher, QObject, Signal

from kbassist.search.engine import SearchEngine, TypedResults
from kbassist.search.index import UpdateReport
from kbassist.ui.debounce import debouncer
from kbassist.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
WATCH_DEBOUNCE_MS = 600


class _NewestWins(QObject):
    """A controller whose requests supersede each other; an empty request clears what is shown."""

    cleared = Signal()

    def __init__(self, engine: SearchEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = TaskRunner(1, self, latest=True)

    @property
    def dropped(self) -> int:
        """Answers that came back after a newer request (for tests and diagnostics)."""
        return self.runner.dropped

    def cancel(self) -> None:
        self.runner.cancel()

    def _cleared_if_blank(self, text: str) -> bool:
        """Nothing to ask for: drop what is under way and say the results are gone."""
        if text.strip():
            return False
        self.cancel()
        self.cleared.emit()
        return True


class SuggestController(_NewestWins):
    suggestionsReady = Signal(object, str)  # noqa: N815 - (Suggestions, case text they are for)
    failed = Signal(str)

    def __init__(
        self, engine: SearchEngine, agent: Callable[[], dict[str, str]], parent: QObject | None = None
    ) -> None:
        super().__init__(engine, parent)
        self._agent = agent

    def request(self, case_text: str) -> None:
        if self._cleared_if_blank(case_text):
            return
        agent = self._agent()
        self.runner.submit(
            lambda: self.engine.suggest(case_text, agent),
            lambda result: self.suggestionsReady.emit(result, case_text),
            lambda exc: self.failed.emit(f"Suggestions failed: {exc}"),
        )


class SearchController(_NewestWins):
    resultsReady = Signal(object, object, str)  # noqa: N815 - (hits, did-you-mean or None, query)
    answered = Signal(object)  # TypedResults: the hits, and the corrected query they are for when corrected

    def request(self, query: str, product: str = "", exact: bool = False) -> None:
        """Search ``query``; a misspelt query is answered for its correction unless ``exact``."""
        if self._cleared_if_blank(query):
            return

        def work() -> TypedResults:
            return self.engine.search_typed(query, product=product or None, limit=50, exact=exact)

        def deliver(result: TypedResults) -> None:
            self.resultsReady.emit(result.hits, result.did_you_mean, query)
            self.answered.emit(result)

        self.runner.submit(work, deliver, lambda exc: log.error("%s", exc))


class IndexController(QObject):
    """Keeps the index in line with the KB folder: at start, when files change, and on demand."""

    progress = Signal(int, int)  # done, total
    stateChanged = Signal(str)  # noqa: N815 - a sentence for the status bar
    updated = Signal(object)  # UpdateReport

    def __init__(self, engine: SearchEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = TaskRunner(1, self)  # one writer at a time
        self.running = False
        self._again = False
        self.last_report: UpdateReport | None = None
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._changed)
        self.watcher.fileChanged.connect(self._changed)
        self._reported: set[str] | None = set()  # paths the watcher reported since; None: look at every file
        self._debounce = debouncer(self, WATCH_DEBOUNCE_MS, self._start)
        # The KB's files are listed and watched after the first update (``_done``), not here: a window on a
        # KB of 15,000 files opens first.

    def _watch(self, files: bool) -> None:
        """Watch the KB's folders (new, removed, renamed files) and, when ``files``, each file (edits in
        place), as the core lists them; the KB folder itself too, for an articles/ or macros/ folder that
        appears."""
        wanted = [self.engine.kb_root, *self.engine.kb_folders(), *(self.engine.kb_files() if files else ())]
        current = set(self.watcher.directories()) | set(self.watcher.files())
        new = [str(p) for p in wanted if str(p) not in current and p.exists()]
        if new:
            self.watcher.addPaths(new)

    def _changed(self, path: str) -> None:
        if self._reported is not None:
            self._reported.add(path)  # the update reads only these
        self._debounce.start()

    def stop(self) -> None:
        """Quit-time: no more updates; one that is running ends at the next file, keeping its work."""
        self._debounce.stop()
        self.runner.close()
        self.engine.stop_updates()

    def warm_up(self) -> None:
        """Read what a first suggestion needs before the first case comes (``SearchEngine.warm_up``), on this
        controller's thread, ahead of the start-up check: a suggestion that comes meanwhile runs on its own
        thread and uses what is read so far (the index reads each value once)."""
        self.runner.submit(self.engine.warm_up, None, lambda exc: log.info("warm-up: %s", exc))

    def update(self) -> None:
        """Bring the index in line with every file of the KB (at start, and when asked)."""
        self._reported = None
        self._start()

    def _start(self) -> None:
        if self.running:
            self._again = True  # one more pass when this one ends, to pick up what changed meanwhile
            return
        self.running = True
        self.stateChanged.emit("Indexing…")
        changed, self._reported = self._reported, set()

        def progress(done: int, total: int, _rel: str) -> None:
            self.progress.emit(done, total)  # emitted from the worker; delivered queued to the UI thread

        def work() -> UpdateReport:
            report = self.engine.update(progress, changed)
            # What the window keeps of each item (``KbSwitcher``), made here rather than on the UI thread.
            self.engine.summaries()
            self.engine.prepare_dense(progress)  # vectors of new or changed files; until then, lexical only
            return report

        self.runner.submit(work, self._done, self._failed)

    def _done(self, report: UpdateReport) -> None:
        first = self.last_report is None
        self.running = False
        self.last_report = report
        self._watch(files=first or bool(report.added) or report.rebuilt)
        self.updated.emit(report)
        self.stateChanged.emit(self._describe(report))
        if self._again:
            self._again = False
            self._start()

    def _failed(self, exc: Exception) -> None:
        self.running = False
        self._reported = None  # what was reported is not indexed: the next update looks at every file
        self.stateChanged.emit(f"Indexing failed: {exc}")

    @staticmethod
    def _describe(report: UpdateReport) -> str:
        if report.stopped:
            return "Indexing stopped"
        if report.rebuilt:
            return f"Index rebuilt in {report.seconds:.1f}s"
        if report.touched:
            return f"Index updated: {report.added} added, {report.changed} changed, {report.removed} removed"
        return "Index up to date"
