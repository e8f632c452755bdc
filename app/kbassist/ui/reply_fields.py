"""Fields for the placeholders of a reply the case did not fill: one per name however many parts use it,
each typed by what its name says it holds, with what the case offers (its dates, its cards) to pick from."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import QDate, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from kbassist.search.replies import ReplyField
from kbassist.ui.theme import icon

# What a typed value of each kind must look like (the validator) — loose enough for every locale's amounts.
PATTERNS: dict[str, str] = {
    "amount": r"^\D{0,4}\s?\d[\d,. ]*(\s?[A-Za-z€$£¥]{1,3})?$",
    "object_id": r"^[a-z]+_[A-Za-z0-9_]+$",
    "number": r"^\d{1,6}$",
    "email": r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
}


class DateField(QLineEdit):
    """A date typed freely or picked from a calendar; empty until the associate chooses one. A picked date
    goes in as ISO, which the reply writes in its own language.

    (A QDateEdit always holds some date, so an untouched field would look filled while the reply
    still says {{deadline_date}}.)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.menu = QMenu(self)
        holder = QWidgetAction(self.menu)
        holder.setDefaultWidget(self.calendar)
        self.menu.addAction(holder)
        self.calendar.clicked.connect(self._picked)
        pick = self.addAction(icon("calendar"), QLineEdit.ActionPosition.TrailingPosition)
        pick.setToolTip("Pick a date")
        pick.triggered.connect(lambda: self.menu.popup(self.mapToGlobal(self.rect().bottomLeft())))

    def _picked(self, day: QDate) -> None:
        self.menu.close()
        self.setText(day.toString("yyyy-MM-dd"))
        self.editingFinished.emit()


def editor_for(spec: ReplyField, parent: QWidget) -> QLineEdit:
    """A field typed by what the placeholder's name says it holds, with the reply's example as its hint and
    what the case offers one click away."""
    editor = DateField(parent) if spec.type == "date" else QLineEdit(parent)
    if spec.type in PATTERNS:
        editor.setValidator(QRegularExpressionValidator(QRegularExpression(PATTERNS[spec.type]), editor))
    editor.setPlaceholderText(spec.hint)
    editor.setObjectName(f"placeholder_{spec.name}")
    editor.setAccessibleName(spec.label)
    if spec.candidates:
        offers = QMenu(editor)
        for candidate in spec.candidates:
            offers.addAction(candidate.label, partial(_take, editor, candidate.value))
        pick = editor.addAction(icon("new-case"), QLineEdit.ActionPosition.LeadingPosition)
        pick.setToolTip("What the case says: " + "; ".join(c.label for c in spec.candidates))
        pick.triggered.connect(lambda: offers.popup(editor.mapToGlobal(editor.rect().bottomLeft())))
    return editor


def _take(editor: QLineEdit, value: str) -> None:
    editor.setText(value)
    editor.editingFinished.emit()


class PlaceholderForm(QFrame):
    """The fields under the reply; hidden when the case filled everything."""

    fieldChanged = Signal(str, str)  # noqa: N815 - (placeholder name, value typed)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placeholderForm")
        self.title = QLabel("")
        self.form = QFormLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        self.fields: dict[str, QLineEdit] = {}
        self.hide()

    def clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        self.hide()

    def show_fields(self, specs: Sequence[ReplyField], typed: dict[str, str]) -> None:
        """One row per field; what the associate already typed stays in its field. The same names in the same
        order keep their editors (and the focus), so a fill never pulls the field from under the cursor."""
        if [s.name for s in specs] == list(self.fields):
            for spec in specs:
                self.fields[spec.name].setPlaceholderText(spec.hint)
            return
        self.clear()
        for spec in specs:
            editor = editor_for(spec, self)
            editor.setText(typed.get(spec.name, ""))
            editor.editingFinished.connect(lambda n=spec.name, e=editor: self.fieldChanged.emit(n, e.text().strip()))
            self.form.addRow(spec.label, editor)
            self.fields[spec.name] = editor
        self.title.setText(f"Fill {len(specs)} placeholder(s) the case did not give:")
        self.setVisible(bool(specs))
