"""The lists under the case: suggested articles over the macro tabs, and typed search's results in their
place while a search is on. Picking a row says which item was chosen and from where; the window opens it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListView, QStackedWidget, QWidget

from kbassist.content.model import KbItem, Macro
from kbassist.search.engine import SearchHit, Suggestion, Suggestions
from kbassist.ui.macro_lists import MacroLists
from kbassist.ui.models import ResultListModel, Row
from kbassist.ui.search_results import SearchResults
from kbassist.ui.widgets import column, list_view, section_title
from kbassist.usage import Source

SUGGESTIONS_PAGE, SEARCH_PAGE = 0, 1


def _rows(suggested: Iterable[Suggestion]) -> list[Row]:
    return [Row(s.id, s.kind, s.title, s.product, s.why, s.score) for s in suggested]


class ResultsPane(QStackedWidget):
    articleChosen = Signal(object, str)  # noqa: N815 - (KbItem, source: suggestion | search)
    macroChosen = Signal(object, str)  # noqa: N815 - (Macro, source: suggestion | favorite | recent | search)
    missing = Signal(str)  # a listed id that is no longer in the KB

    def __init__(self, lookup: Callable[[str], KbItem | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lookup = lookup
        self.article_model = ResultListModel(self)
        self.article_list = list_view("articleList", "Suggested articles", self.article_model, self)
        # After the article list: Tab follows creation order, and articles come before macros.
        self.macro_lists = MacroLists(lookup, self)
        self.macro_lists.macroChosen.connect(self.macroChosen)
        self.search = SearchResults(self)
        self.addWidget(self._suggestions_page())
        self.addWidget(self.search)
        for view, model, source in (
            (self.article_list, self.article_model, Source.SUGGESTION),
            (self.search.view, self.search.model, Source.SEARCH),
        ):
            view.activated.connect(partial(self._open_row, model, source=source))
            view.clicked.connect(partial(self._open_row, model, source=source))

    def _suggestions_page(self) -> QWidget:
        page = QWidget(self)
        macro_header = QHBoxLayout()
        macro_header.addWidget(section_title("Macros"))
        macro_header.addStretch(1)
        tabs = self.macro_lists.tabs
        # A narrow pane shortens the tab names ("Favo…") instead of hiding the last tab behind scroll arrows.
        tabs.setElideMode(Qt.TextElideMode.ElideRight)
        tabs.setUsesScrollButtons(False)
        macro_header.addWidget(tabs, 100)
        column(page, section_title("Articles"), (self.article_list, 3), macro_header, (self.macro_lists.view, 2))
        return page

    # ------------------------------------------------------------------ suggestions
    def show_suggestions(self, result: Suggestions | None) -> None:
        """The result's articles and macros; None empties both lists."""
        self.article_model.set_rows(_rows(result.articles) if result else [])
        self.macro_lists.show_suggested(_rows(result.macros) if result else [])

    def open_first(self, result: Suggestions, *, article_open: bool) -> None:
        """A confident result: select its first macro (on the Suggested tab, when none is selected yet) and
        open its first article (when none is open). The window chose that article, not the associate: its open
        is recorded as ``auto``, so the editors' "opened" counts what associates open themselves."""
        macros = self.macro_lists.view
        if self.macro_lists.on_suggested_tab() and result.macros and not macros.currentIndex().isValid():
            self.select(macros, 0)
        if result.articles and not article_open:
            self.select(self.article_list, 0, open_it=True, source=Source.AUTO)

    # ------------------------------------------------------------------ typed search
    def show_search(self, hits: Sequence[SearchHit], query: str) -> None:
        self.search.show_hits(hits, query)
        self.setCurrentIndex(SEARCH_PAGE)

    def end_search(self) -> None:
        self.search.clear()
        self.setCurrentIndex(SUGGESTIONS_PAGE)

    # ------------------------------------------------------------------ moving and opening
    def step(self, view: QListView, delta: int, *, open_it: bool = False) -> None:
        current = view.currentIndex().row() if view.currentIndex().isValid() else -1
        self.select(view, max(0, current + delta), open_it=open_it)

    def select(self, view: QListView, row: int, *, open_it: bool = False, source: Source = Source.SUGGESTION) -> None:
        model = view.model()
        if not 0 <= row < model.rowCount():
            return
        index = model.index(row, 0)
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        view.scrollTo(index)
        if open_it and view is self.article_list:
            self._open_row(self.article_model, index, source)

    def _open_row(self, model: ResultListModel, index: QModelIndex, source: Source) -> None:
        row = model.row_at(index.row())
        if row is None:
            return
        item = self._lookup(row.id)
        if item is None:
            self.missing.emit(row.id)
        elif isinstance(item, Macro):
            self.macroChosen.emit(item, source)
        else:
            self.articleChosen.emit(item, source)
