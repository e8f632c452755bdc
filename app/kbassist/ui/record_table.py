"""A table of dataclass records through a column spec: shown formatted, sorted by the raw values (a count
of 9 before 10, not after it), and written to CSV as they are."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QHeaderView, QTableView, QWidget

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    value: Callable[[Any], Any]  # what the column sorts by (and what CSV gets)
    tip: str = ""
    text: Callable[[Any], str] | None = None  # what a cell says, from its record, when more than its value


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def decimal(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else "never"


def _sort_key(value: Any) -> Any:
    """What a column sorts by: None first, dates by day, numbers as numbers (not as their text)."""
    if value is None:
        return -1.0
    if isinstance(value, dt.date):
        return value.toordinal()
    return value


class RecordTableModel(QAbstractTableModel):
    """Rows of dataclass records shown through a column spec; sorts on raw values, not on their text."""

    def __init__(
        self, columns: Sequence[Column], formats: dict[int, Callable[[Any], str]] | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.formats = formats or {}
        self.records: list[Any] = []

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def raw(self, row: int, column: int) -> Any:
        return self.columns[column].value(self.records[row])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.raw(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            if (text := self.columns[index.column()].text) is not None:
                return text(self.records[index.row()])
            fmt = self.formats.get(index.column())
            return fmt(value) if fmt else ("" if value is None else str(value))
        if role == Qt.ItemDataRole.UserRole:
            return _sort_key(value)
        text_cell = self.columns[index.column()].text is not None  # words, read from the left
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float) and not text_cell:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow([c.header for c in self.columns])
            for row in range(len(self.records)):
                writer.writerow(["" if (v := self.raw(row, c)) is None else v for c in range(len(self.columns))])


def table_view(name: str, model: RecordTableModel, parent: QWidget) -> QTableView:
    """A sortable table over ``model``: rows selected whole, columns sized by hand, the last one stretched."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view
