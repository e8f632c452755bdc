"""Qt models over core results: suggestion and search rows, and KB problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from kbassist.content.model import PRODUCT_LABELS, ItemKind, Problem

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    Id = Qt.ItemDataRole.UserRole + 1
    Kind = Qt.ItemDataRole.UserRole + 2
    Product = Qt.ItemDataRole.UserRole + 3
    Why = Qt.ItemDataRole.UserRole + 4
    Score = Qt.ItemDataRole.UserRole + 5
    Rank = Qt.ItemDataRole.UserRole + 6


@dataclass(frozen=True, slots=True)
class Row:
    """One listed article or macro, whatever produced it (suggestion, search, favorites, recents)."""

    id: str
    kind: ItemKind
    title: str
    product: str
    why: str = ""
    score: float = 0.0


def _tooltip(row: Row) -> str:
    label = PRODUCT_LABELS.get(row.product, row.product)
    return f"{row.title}\n{label} · {row.id}" + (f"\n{row.why}" if row.why else "")


# What each role shows of a row (and its position in the list); a role not here has no data.
_ROW_DATA: dict[int, Callable[[Row, int], Any]] = {
    Qt.ItemDataRole.DisplayRole: lambda row, _n: row.title,
    Qt.ItemDataRole.ToolTipRole: lambda row, _n: _tooltip(row),
    Qt.ItemDataRole.AccessibleTextRole: lambda row, _n: f"{row.title}, {PRODUCT_LABELS.get(row.product, row.product)}",
    Role.Id: lambda row, _n: row.id,
    Role.Kind: lambda row, _n: row.kind,
    Role.Product: lambda row, _n: row.product,
    Role.Why: lambda row, _n: row.why,
    Role.Score: lambda row, _n: row.score,
    Role.Rank: lambda _row, n: n + 1,
}


class ResultListModel(QAbstractListModel):
    """A list of rows replaced as a whole when a new result lands (Zeal's pattern: reset, don't patch)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_rows(self, rows: Iterable[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = _ROW_DATA.get(role)
        if value is None or not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return value(self._rows[index.row()], index.row())

    def roleNames(self) -> dict[int, QByteArray]:
        return {**super().roleNames(), **{r.value: QByteArray(r.name.lower().encode()) for r in Role}}


class ProblemTableModel(QAbstractTableModel):
    HEADERS = ("File", "Severity", "Problem")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []

    def set_problems(self, problems: Sequence[Problem]) -> None:
        self.beginResetModel()
        self._problems = list(problems)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        problem = self._problems[index.row()]
        return (problem.rel_path, problem.severity, problem.reason)[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None
