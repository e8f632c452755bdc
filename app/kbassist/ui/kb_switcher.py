"""The KB the window is on: its engine, the items it holds, and the three controllers that run work on it.

Switching KB (Settings → KB folder) stops the workers, closes the engine, opens the new folder's and builds
fresh controllers. The window listens to this object's signals, which carry the controllers' own, so it is
wired once and stays wired across a switch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from kbassist.content.model import ItemSummary, KbItem
from kbassist.search.engine import SearchEngine
from kbassist.search.index import UpdateReport
from kbassist.ui.controllers import IndexController, SearchController, SuggestController

SHUTDOWN_WAIT_MS = 30_000  # a running index build stops at its next file; this is only a backstop


class KbSwitcher(QObject):
    suggestionsReady = Signal(object, str)  # noqa: N815 - SuggestController's signals, whichever is current
    suggestionsCleared = Signal()  # noqa: N815
    suggestFailed = Signal(str)  # noqa: N815
    resultsReady = Signal(object, object, str)  # noqa: N815 - SearchController's
    searchCleared = Signal()  # noqa: N815
    progress = Signal(int, int)  # IndexController's
    stateChanged = Signal(str)  # noqa: N815
    updated = Signal(object)  # UpdateReport, once ``items`` are the KB's new ones

    def __init__(
        self,
        engine: SearchEngine,
        factory: Callable[[Path], SearchEngine],
        agent: Callable[[], dict[str, str]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._agent = agent
        self.items: list[ItemSummary] = []  # every item in brief, as of the last index update
        self._ids_by_path: dict[str, str] = {}
        self._open(engine)

    def _open(self, engine: SearchEngine) -> None:
        self.engine = engine
        self.suggest = SuggestController(engine, self._agent, self)
        self.searcher = SearchController(engine, self)
        self.index = IndexController(engine, self)
        for signal, relay in (
            (self.suggest.suggestionsReady, self.suggestionsReady),
            (self.suggest.cleared, self.suggestionsCleared),
            (self.suggest.failed, self.suggestFailed),
            (self.searcher.resultsReady, self.resultsReady),
            (self.searcher.cleared, self.searchCleared),
            (self.index.progress, self.progress),
            (self.index.stateChanged, self.stateChanged),
        ):
            signal.connect(relay)
        self.index.updated.connect(self._updated)

    def _updated(self, report: UpdateReport) -> None:
        if self.engine.closed:  # the report of an update that ended as the window closed
            return
        self.items = self.engine.summaries()
        self._ids_by_path = {i.rel_path: i.id for i in self.items}
        self.updated.emit(report)

    def get(self, item_id: str) -> KbItem | None:
        """An article or macro of the KB open now (panes hold this, not the engine a switch replaces)."""
        return self.engine.get(item_id)

    def search(self, query: str, product: str = "") -> None:
        """Typed search on the KB open now; the hits come as ``resultsReady``."""
        self.searcher.request(query, product)

    def item_by_path(self, rel_path: str) -> KbItem | None:
        """The item a KB-relative path holds (a link between articles), as of the last index update."""
        item_id = self._ids_by_path.get(rel_path)
        return self.engine.get(item_id) if item_id else None

    def switch(self, kb_root: Path) -> bool:
        """Close this KB and open ``kb_root``; False, with nothing changed, when that folder does not exist."""
        if not kb_root.is_dir():
            return False
        self.shutdown()
        self.engine.close()
        for controller in (self.suggest, self.searcher, self.index):
            controller.deleteLater()
        self._open(self._factory(kb_root))
        return True

    def shutdown(self) -> None:
        """Stop background work before the core closes: no new jobs, a running index build ends early."""
        self.index.stop()
        for controller in (self.suggest, self.searcher):
            controller.cancel()
            controller.runner.close()
        for runner in (self.suggest.runner, self.searcher.runner, self.index.runner):
            runner.wait(SHUTDOWN_WAIT_MS)
