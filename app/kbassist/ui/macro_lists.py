"""The macros beside a case: what was suggested for it, the associate's favorites and what they copied
lately, as three tabs over one list. Favorites and recents are kept in Settings; this widget keeps the
lists on screen in step with them and says which macro the associate picked, and from where."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QMenu, QTabBar, QWidget

from kbassist.content.model import KbItem, Macro
from kbassist.ui.models import ResultListModel, Role, Row
from kbassist.ui.widgets import list_view
from kbassist.usage import Source

MAX_RECENT = 12  # recently copied macros kept for the Recent tab
SOURCES = (Source.SUGGESTION, Source.FAVORITE, Source.RECENT)  # by tab


class MacroLists(QObject):
    macroChosen = Signal(object, str)  # noqa: N815 - (Macro, source: suggestion | favorite | recent)
    macroAdded = Signal(object, str)  # noqa: N815 - "Add to reply" from a row's menu: (Macro, source)

    def __init__(self, lookup: Callable[[str], KbItem | None], parent: QWidget) -> None:
        super().__init__(parent)
        self.lookup = lookup
        self.suggested = ResultListModel(self)
        self.favorites = ResultListModel(self)
        self.recent = ResultListModel(self)
        self.view = list_view("macroList", "Macros", self.suggested, parent)
        self.tabs = QTabBar(parent)
        self.tabs.setObjectName("macroTabs")
        for name in ("Suggested", "Favorites", "Recent"):
            self.tabs.addTab(name)
        self.tabs.currentChanged.connect(self._tab_changed)
        self._favorite_ids: list[str] = []
        self._recent_ids: list[str] = []
        self._follow_selection()
        # A right click opens "Add to reply" without making the row the reply (the press would select it).
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        right = isinstance(event, QMouseEvent) and event.button() == Qt.MouseButton.RightButton
        return right and event.type() == QEvent.Type.MouseButtonPress

    def _context_menu(self, pos: QPoint) -> None:
        item_id = self.view.indexAt(pos).data(Role.Id)
        item = self.lookup(item_id) if item_id else None
        if not isinstance(item, Macro):
            return
        menu = QMenu(self.view)
        menu.setObjectName("macroRowMenu")
        menu.addAction("Add to reply", lambda: self.macroAdded.emit(item, self.source))
        menu.popup(self.view.viewport().mapToGlobal(pos))

    @property
    def source(self) -> Source:
        return SOURCES[self.tabs.currentIndex()]

    def on_suggested_tab(self) -> bool:
        return self.tabs.currentIndex() == 0

    def show_suggested(self, rows: Iterable[Row]) -> None:
        self.suggested.set_rows(rows)

    def set_saved(self, favorites: Sequence[str], recent: Sequence[str]) -> None:
        self._favorite_ids, self._recent_ids = list(favorites), list(recent)
        self._refresh()

    def copied(self, macro_id: str) -> tuple[str, ...]:
        """A macro was copied: it heads the Recent tab. Returns the new recent list to keep in Settings."""
        self._recent_ids = [macro_id, *[m for m in self._recent_ids if m != macro_id]][:MAX_RECENT]
        self._refresh()
        return tuple(self._recent_ids)

    def favorite(self, macro_id: str, on: bool) -> tuple[str, ...]:
        """A macro was starred or unstarred. Returns the new favorites to keep in Settings."""
        self._favorite_ids = [f for f in self._favorite_ids if f != macro_id]
        if on:
            self._favorite_ids.insert(0, macro_id)
        self._refresh()
        return tuple(self._favorite_ids)

    def _tab_changed(self, tab: int) -> None:
        self.view.setModel((self.suggested, self.favorites, self.recent)[tab])
        self._follow_selection()
        self._refresh()

    def _follow_selection(self) -> None:
        self.view.selectionModel().currentChanged.connect(lambda index, _previous: self._row_selected(index))

    def _row_selected(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        item_id = index.data(Role.Id)
        item = self.lookup(item_id) if item_id else None
        if isinstance(item, Macro):
            self.macroChosen.emit(item, self.source)

    def _refresh(self) -> None:
        """Rows for the saved list on screen (only that one: the other is rebuilt when its tab opens)."""
        tab = self.tabs.currentIndex()
        if tab == 0:
            return
        model, ids = (self.favorites, self._favorite_ids) if tab == 1 else (self.recent, self._recent_ids)
        rows = []
        for item_id in ids:
            item = self.lookup(item_id)
            if isinstance(item, Macro):
                rows.append(Row(item.id, item.kind, item.title, item.product, ""))
        model.set_rows(rows)
