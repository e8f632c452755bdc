"""The macros a reply is composed of, in order: a list model and the bar that shows it, with the buttons to
add a macro, move one up or down, take it out, and vote on it (helpful / not helpful: KB editors see it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QListView, QMenu, QToolButton, QWidget

from kbassist.content.model import Macro
from kbassist.search.replies import ReplyPart
from kbassist.ui.models import Role
from kbassist.ui.widgets import tool_button

PART_ROWS = 3  # rows the parts list shows before it scrolls: replies of more than three macros were not seen
Index = QModelIndex | QPersistentModelIndex


class ReplyPartsModel(QAbstractListModel):
    """The reply's parts; the panel recomposes the reply whenever they change (``partsChanged``)."""

    partsChanged = Signal()  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: list[ReplyPart] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self._parts)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._parts):
            return None
        part = self._parts[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return part.title  # not numbered: a number would change under a row when another moves
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{part.id} ({part.lang})"
        if role == Role.Id:
            return part.id
        return None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self._parts)

    def set_parts(self, parts: Sequence[ReplyPart]) -> None:
        """The composed reply's parts (their titles in its language); says nothing when only titles changed."""
        self.beginResetModel()
        self._parts = list(parts)
        self.endResetModel()

    def append(self, part: ReplyPart) -> bool:
        if part.id in self.ids:
            return False
        self.beginInsertRows(QModelIndex(), len(self._parts), len(self._parts))
        self._parts.append(part)
        self.endInsertRows()
        self.partsChanged.emit()
        return True

    def move(self, row: int, delta: int) -> bool:
        """Move a part up (-1) or down (+1); False at the ends."""
        target = row + delta
        if not (0 <= row < len(self._parts) and 0 <= target < len(self._parts)):
            return False
        destination = target + 1 if delta > 0 else target  # Qt counts the destination before the move
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
        self._parts.insert(target, self._parts.pop(row))
        self.endMoveRows()
        self.partsChanged.emit()
        return True

    def remove(self, row: int) -> bool:
        """Take a part out; the last one stays (a reply has at least one macro)."""
        if not 0 <= row < len(self._parts) or len(self._parts) == 1:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._parts[row]
        self.endRemoveRows()
        self.partsChanged.emit()
        return True


class PartsBar(QWidget):
    """The parts list with its buttons. ``offers`` says which macros "Add macro" lists (the case's
    suggestions, then favorites); the buttons act on the selected part."""

    addRequested = Signal(object)  # noqa: N815 - the Macro to add
    voted = Signal(str, bool)  # macro id, helpful

    def __init__(self, offers: Callable[[], list[Macro]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offers = offers
        self.model = ReplyPartsModel(self)
        self.view = QListView(self)
        self.view.setObjectName("replyParts")
        self.view.setAccessibleName("Macros in the reply")
        self.view.setModel(self.model)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.add_button = self._tool("add", "Add a suggested macro to the reply (Ctrl+Shift+A)", self.show_offers)
        self.add_button.setObjectName("addMacroButton")
        self.up_button = self._tool("up", "Move the selected macro up", lambda: self._move(-1))
        self.down_button = self._tool("down", "Move the selected macro down", lambda: self._move(1))
        self.remove_button = self._tool("remove", "Take the selected macro out of the reply", self._remove)
        self.helpful = self._tool("thumbs-up", "This macro helped", lambda: self._vote(True))
        self.helpful.setObjectName("macroHelpful")
        self.not_helpful = self._tool("thumbs-down", "This macro was wrong or misleading", lambda: self._vote(False))
        self.not_helpful.setObjectName("macroNotHelpful")
        buttons = QGridLayout()  # two rows of three: no taller than a two-macro list
        buttons.setSpacing(0)
        top = (self.add_button, self.up_button, self.helpful)
        bottom = (self.remove_button, self.down_button, self.not_helpful)
        for line, tools in enumerate((top, bottom)):
            for place, button in enumerate(tools):
                buttons.addWidget(button, line, place, Qt.AlignmentFlag.AlignTop)
        buttons.setRowStretch(2, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.model.modelReset.connect(self._fit)
        self.model.rowsInserted.connect(self._fit)

    def _tool(self, name: str, tip: str, slot: Callable[[], None]) -> QToolButton:
        return tool_button(self, name, tip, slot)

    def _fit(self) -> None:
        """As high as the parts (up to PART_ROWS), so a one-macro reply gives its room to the text."""
        rows = min(max(1, self.model.rowCount()), PART_ROWS)
        height = self.view.sizeHintForRow(0) if self.model.rowCount() else self.fontMetrics().height() + 6
        self.view.setFixedHeight(height * rows + 2 * self.view.frameWidth() + 2)

    def selected_row(self) -> int:
        index = self.view.currentIndex()
        return index.row() if index.isValid() else 0

    def show_offers(self) -> None:
        """A menu of the macros that could be added, keyboard-driven like any menu."""
        menu = QMenu(self)
        menu.setObjectName("addMacroMenu")
        for macro in self.offers():
            if macro.id not in self.model.ids:
                menu.addAction(macro.title, partial(self.addRequested.emit, macro))
        if menu.isEmpty():
            menu.addAction("No other suggested or favorite macro").setEnabled(False)
        menu.popup(self.add_button.mapToGlobal(self.add_button.rect().bottomLeft()))

    def _move(self, delta: int) -> None:
        row = self.selected_row()
        if self.model.move(row, delta):
            self.view.setCurrentIndex(self.model.index(row + delta, 0))

    def _remove(self) -> None:
        self.model.remove(self.selected_row())

    def _vote(self, helpful: bool) -> None:
        ids = self.model.ids
        if ids:
            self.voted.emit(ids[min(self.selected_row(), len(ids) - 1)], helpful)

    def set_enabled(self, on: bool) -> None:
        for widget in (
            self.add_button,
            self.up_button,
            self.down_button,
            self.remove_button,
            self.helpful,
            self.not_helpful,
        ):
            widget.setEnabled(on)
