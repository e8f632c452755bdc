"""Small widget makers the panes share, so every list, title and splitter in the window looks alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QHelpEvent, QPainter
from PySide6.QtWidgets import (
    QLabel,
    QLayout,
    QListView,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from kbassist.ui.delegates import ResultDelegate
from kbassist.ui.models import ResultListModel
from kbassist.ui.theme import icon

Part = QWidget | QLayout | tuple[QWidget, int]  # a (widget, stretch) pair takes a share of the spare room


def section_title(text: str) -> QLabel:
    """The bold heading over a part of the window ("Case", "Articles", "Macros")."""
    label = QLabel(text)
    label.setProperty("class", "sectionTitle")
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def title_label(text: str, name: str, grow: float) -> QLabel:
    """A pane's wrapping bold title, ``grow`` points larger than the text around it."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() + grow)
    font.setBold(True)
    label.setFont(font)
    return label


class _Elider(QObject):
    """Paints its label's one line cut short with "…" where the pane is narrower, and shows the whole line
    as a tooltip then. An event filter rather than a QLabel subclass, so any pane's label can take it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, QLabel):
            return False
        if event.type() == QEvent.Type.Paint:
            rect = watched.contentsRect()
            text = watched.fontMetrics().elidedText(watched.text(), Qt.TextElideMode.ElideRight, rect.width())
            painter = QPainter(watched)
            style, palette = watched.style(), watched.palette()
            style.drawItemText(
                painter, rect, int(watched.alignment()), palette, watched.isEnabled(), text, watched.foregroundRole()
            )
            painter.end()
            return True
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent) and not watched.toolTip():
            if watched.fontMetrics().horizontalAdvance(watched.text()) > watched.contentsRect().width():
                QToolTip.showText(event.globalPos(), watched.text(), watched)
            return True
        return False


def elide(label: QLabel) -> QLabel:
    """``label`` gives up the end of its one line ("…") rather than hold its pane, and the window, wider
    than the screen: an article's id line alone asked for 632 px at a 1.4x desktop font."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance("M" * ELIDED_MIN_CHARS))
    label.installEventFilter(_Elider(label))
    return label


ELIDED_MIN_CHARS = 6  # an elided line keeps at least a word's start, never shrinks to the "…" alone


def title_block(title: QLabel, meta: QLabel) -> QVBoxLayout:
    """A pane's title with its one line of details (product, id) tight under it, cut short when narrow."""
    elide(meta)
    block = QVBoxLayout()
    block.setSpacing(0)
    block.addWidget(title)
    block.addWidget(meta)
    return block


def list_view(name: str, accessible: str, model: ResultListModel, parent: QWidget) -> QListView:
    """A two-line result list (title, then product and why), as every list in the window is."""
    view = QListView(parent)
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setModel(model)
    view.setItemDelegate(ResultDelegate(view))
    view.setUniformItemSizes(True)
    view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
    return view


def column(parent: QWidget, *parts: Part) -> QVBoxLayout:
    """``parts`` top to bottom on ``parent``, edge to edge."""
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, tuple):
            layout.addWidget(*part)
        elif isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return layout


def splitter(
    name: str, orientation: Qt.Orientation, widgets: Sequence[QWidget], stretch: Sequence[int], parent: QWidget
) -> QSplitter:
    """A named splitter (its position is saved under that name) sharing spare room by ``stretch``."""
    split = QSplitter(orientation, parent)
    split.setObjectName(name)
    for widget in widgets:
        split.addWidget(widget)
    for i, factor in enumerate(stretch):
        split.setStretchFactor(i, factor)
    return split


def tool_button(parent: QWidget, name: str, tip: str, slot: Callable[[], None]) -> QToolButton:
    """A flat icon button whose tooltip is also its accessible name (a screen reader says what it does)."""
    button = QToolButton(parent)
    button.setIcon(icon(name))
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setAutoRaise(True)
    button.clicked.connect(slot)
    return button
