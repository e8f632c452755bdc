"""What a typed search found: the list, its title, and when a query counts as searched.

A query is recorded once the associate stops typing (or clears the box, or closes the window), not on
every keystroke: "r", "re", "ref" are not three searches.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from kbassist.content.model import ItemKind
from kbassist.search.engine import SearchHit
from kbassist.ui.debounce import debouncer
from kbassist.ui.models import ResultListModel, Row
from kbassist.ui.widgets import column, list_view, section_title

SEARCH_SETTLE_MS = 1500  # a query is recorded once the associate stops typing


def hit_row(hit: SearchHit) -> Row:
    """A search hit as a list row: macros are marked, since one list holds both kinds."""
    title = ("▤ " if hit.kind is ItemKind.MACRO else "") + hit.title
    return Row(hit.id, hit.kind, title, hit.product, hit.kind.value, hit.score)


class SearchResults(QWidget):
    searchSettled = Signal(str, int)  # noqa: N815 - (query, how many results it had)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ResultListModel(self)
        self.view = list_view("searchResults", "Search results", self.model, self)
        self.title = section_title("Search results")
        column(self, self.title, (self.view, 1))
        self._settle = debouncer(self, SEARCH_SETTLE_MS, self.record)
        self._pending: tuple[str, int] | None = None

    def show_hits(self, hits: Sequence[SearchHit], query: str) -> None:
        self.model.set_rows(hit_row(h) for h in hits)
        self.title.setText(f"Search results for “{query}”: {len(hits)}" if hits else f"No results for “{query}”")
        self._pending = (query, len(hits))
        self._settle.start()

    def clear(self) -> None:
        self.record()
        self.model.set_rows([])

    def record(self) -> None:
        """Say the query on screen was searched, once (``searchSettled``), if it has not been said yet."""
        if self._pending is not None:
            query, count = self._pending
            self._pending = None
            self.searchSettled.emit(query, count)
