"""The reply: a macro filled from the case, fields for what the case didn't say, edit, copy."""

from __future__ import annotations

import re
from collections.abc import Mapping

from PySide6.QtCore import QDate, QMimeData, QRegularExpression, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QPalette,
    QRegularExpressionValidator,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from kbassist.content.model import PRODUCT_LABELS, Macro
from kbassist.content.placeholders import PLACEHOLDER, field_type, fill, label, placeholder_names
from kbassist.content.render import EMPHASIS, reply_html, reply_plain
from kbassist.content.stripe import ID_KINDS
from kbassist.ui.theme import icon
from kbassist.ui.widgets import column, title_block, title_label
from kbassist.usage import Source, edit_ratio

_PREFIX_FOR = {k.placeholder: k.prefix for k in reversed(ID_KINDS)}


class ReplyHighlighter(QSyntaxHighlighter):
    """The reply reads as it will arrive: emphasis shown bold or italic with its markers faded, and
    unfilled ``{{placeholders}}`` standing out so none is sent by mistake.

    The markers stay in the text because the associate edits it; copying turns them into real
    formatting (HTML) or drops them (plain text).
    """

    def __init__(self, document: QTextDocument, marker_color: QColor) -> None:
        super().__init__(document)
        self.placeholder = QTextCharFormat()
        self.placeholder.setBackground(QColor("#ffd0d0"))
        self.placeholder.setForeground(QColor("#900000"))
        self.placeholder.setFontWeight(700)
        self.marker = QTextCharFormat()
        self.marker.setForeground(marker_color)

    def highlightBlock(self, text: str) -> None:
        for match in EMPHASIS.finditer(text):
            strong = match.group(2) is not None
            width = 2 if strong else 1
            emphasis = QTextCharFormat()
            if strong:
                emphasis.setFontWeight(700)
            else:
                emphasis.setFontItalic(True)
            self.setFormat(match.start(), match.end() - match.start(), emphasis)
            self.setFormat(match.start(), width, self.marker)
            self.setFormat(match.end() - width, width, self.marker)
        for match in PLACEHOLDER.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self.placeholder)


DATE_FORMAT = "MMMM d, yyyy"


class DateField(QLineEdit):
    """A date typed freely or picked from a calendar; empty until the associate chooses one.

    (A QDateEdit always holds some date, so an untouched field would look filled while the reply
    still says {{deadline_date}}.)
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("e.g. " + QDate.currentDate().addDays(7).toString(DATE_FORMAT))
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        menu = QMenu(self)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(self.calendar)
        menu.addAction(holder)
        def picked(day: QDate) -> None:
            menu.close()
            self._picked(day)

        self.calendar.clicked.connect(picked)
        pick = self.addAction(icon("calendar"), QLineEdit.ActionPosition.TrailingPosition)
        pick.setToolTip("Pick a date")
        pick.triggered.connect(lambda: menu.popup(self.mapToGlobal(self.rect().bottomLeft())))

    def _picked(self, date: QDate) -> None:
        self.setText(date.toString(DATE_FORMAT))
        self.editingFinished.emit()


def _editor_for(name: str, parent: QWidget) -> QWidget:
    """A field typed by what the placeholder's name says it holds."""
    kind = field_type(name)
    if kind == "date":
        return DateField(parent)
    line = QLineEdit(parent)
    patterns = {
        "amount": (r"^\D{0,4}\s?\d[\d,. ]*(\s?[A-Za-z]{3})?$", "e.g. $120.00"),
        "object_id": (r"^[a-z]+_[A-Za-z0-9_]+$", f"e.g. {_PREFIX_FOR.get(name, 'xx_')}…"),
        "number": (r"^\d{1,6}$", "digits only"),
        "email": (r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", "name@example.com"),
    }
    if kind in patterns:
        pattern, hint = patterns[kind]
        line.setValidator(QRegularExpressionValidator(QRegularExpression(pattern), line))
        line.setPlaceholderText(hint)
    return line


class MacroPanel(QWidget):
    copied = Signal(str, float, list)  # macro id, edit ratio, the names of the placeholders left unfilled
    previewed = Signal(str)  # macro id
    favoriteToggled = Signal(str, bool)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._macro: Macro | None = None
        self._values: dict[str, str] = {}  # from the case and the associate's settings
        self._manual: dict[str, str] = {}  # typed into the placeholder fields
        self._user_edited = False
        self._programmatic = False
        self._fields: dict[str, QWidget] = {}

        self.title = title_label("No macro selected", "macroTitle", grow=1)
        self.meta = QLabel("")
        self.favorite = QToolButton(self)
        self.favorite.setObjectName("favoriteButton")
        self.favorite.setCheckable(True)
        self.favorite.setAutoRaise(True)
        self.favorite.setIcon(icon("star"))
        self.favorite.setToolTip("Add to favorites (Ctrl+D)")
        self.favorite.setAccessibleName("Favorite macro")
        self.favorite.toggled.connect(self._favorite_toggled)

        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("macroPreview")
        self.preview.setAccessibleName("Reply preview")
        self.preview.setPlaceholderText("Select a macro to see the reply filled from the case.")
        self.preview.textChanged.connect(self._text_edited)
        self._highlighter = ReplyHighlighter(
            self.preview.document(), self.palette().color(QPalette.ColorRole.PlaceholderText)
        )
        self._build_form_frame()
        buttons = self._build_buttons()

        header = QHBoxLayout()
        header.addLayout(title_block(self.title, self.meta), 1)
        header.addWidget(self.favorite, 0, Qt.AlignmentFlag.AlignTop)
        column(self, header, (self.preview, 1), self.form_frame, buttons)
        self._set_enabled(False)

    def _build_form_frame(self) -> None:
        """Fields for the placeholders the case did not fill, under the reply; hidden when there are none."""
        self.form_frame = QFrame(self)
        self.form_frame.setObjectName("placeholderForm")
        self.form_title = QLabel("")
        self.form = QFormLayout()
        form_layout = QVBoxLayout(self.form_frame)
        form_layout.addWidget(self.form_title)
        form_layout.addLayout(self.form)
        self.form_frame.hide()

    def _build_buttons(self) -> QHBoxLayout:
        """The status line (what is left to fill), Reset and Copy reply."""
        self.status = QLabel("")
        self.status.setObjectName("macroStatus")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Discard your edits and fill the macro again")
        self.reset_button.clicked.connect(self.reset)
        self.copy_button = QPushButton(icon("copy"), "Copy reply")
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setAccessibleName("Copy reply")
        self.copy_button.setToolTip("Copy the reply as plain text and HTML (Ctrl+Shift+C)")
        self.copy_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_reply)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.copy_button)
        return buttons

    # ------------------------------------------------------------------ state
    @property
    def macro(self) -> Macro | None:
        return self._macro

    def text(self) -> str:
        return self.preview.toPlainText()

    def unfilled(self) -> list[str]:
        return placeholder_names(self.text())

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.copy_button, self.reset_button, self.favorite, self.preview):
            widget.setEnabled(on)

    def set_favorite(self, on: bool) -> None:
        self.favorite.blockSignals(True)
        self.favorite.setChecked(on)
        self.favorite.setIcon(icon("star-filled" if on else "star"))
        self.favorite.blockSignals(False)

    def show_macro(
        self, macro: Macro, values: Mapping[str, str], source: Source = Source.SUGGESTION, favorite: bool = False
    ) -> None:
        self._macro = macro
        self._values = dict(values)
        self._manual = {}
        self.title.setText(macro.title)
        self.meta.setText(f"{PRODUCT_LABELS.get(macro.product, macro.product)} · {macro.id}")
        self.set_favorite(favorite)
        self._set_enabled(True)
        self._regenerate()
        self._build_form()
        self.previewed.emit(macro.id)

    def update_values(self, values: Mapping[str, str]) -> None:
        """New case values (the case was edited); an associate's own edits are never overwritten."""
        self._values = dict(values)
        if self._macro is not None and not self._user_edited:
            self._regenerate()
            self._build_form()

    def clear(self) -> None:
        self._macro = None
        self.title.setText("No macro selected")
        self.meta.setText("")
        self._set_text("")
        self._clear_form()
        self.form_frame.hide()
        self._set_enabled(False)
        self.status.setText("")

    def reset(self) -> None:
        if self._macro is not None:
            self._manual = {}
            self._regenerate()
            self._build_form()

    def _generated(self) -> str:
        assert self._macro is not None
        return fill(self._macro.body, {**self._values, **self._manual}).text.strip()

    def _regenerate(self) -> None:
        self._set_text(self._generated())
        self._user_edited = False
        self._update_status()

    def _set_text(self, text: str) -> None:
        self._programmatic = True
        self.preview.setPlainText(text)
        self._programmatic = False

    def _text_edited(self) -> None:
        if not self._programmatic:
            self._user_edited = True
            self._update_status()

    def _update_status(self) -> None:
        missing = self.unfilled()
        if self._macro is None:
            self.status.setText("")
        elif missing:
            self.status.setText(f"⚠ {len(missing)} placeholder(s) to fill")
        else:
            self.status.setText("✓ Ready to copy")

    # ------------------------------------------------------------------ placeholder fields
    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields.clear()

    def _build_form(self) -> None:
        self._clear_form()
        assert self._macro is not None
        from_case = fill(self._macro.body, self._values).unfilled
        for name in from_case:
            editor = _editor_for(name, self.form_frame)
            editor.setObjectName(f"placeholder_{name}")
            editor.setAccessibleName(label(name))
            if isinstance(editor, QLineEdit):
                editor.setText(self._manual.get(name, ""))
                editor.editingFinished.connect(lambda n=name, e=editor: self._field_done(n, e.text()))
            self.form.addRow(label(name), editor)
            self._fields[name] = editor
        self.form_title.setText(f"Fill {len(from_case)} placeholder(s) the case did not give:")
        self.form_frame.setVisible(bool(from_case))

    def field(self, name: str) -> QWidget | None:
        return self._fields.get(name)

    def set_field(self, name: str, value: str) -> None:
        """Fill one placeholder as if typed into its field."""
        self._field_done(name, value)
        editor = self._fields.get(name)
        if isinstance(editor, QLineEdit) and editor.text() != value:
            editor.setText(value)

    def _field_done(self, name: str, value: str) -> None:
        value = value.strip()
        if not value or self._manual.get(name) == value:
            return
        old = self._manual.get(name)
        self._manual[name] = value
        if not self._user_edited:
            self._regenerate()
            return
        # The associate edited the text: put the value where the placeholder (or the old value) stands.
        text = self.text()
        pattern = re.compile(r"\{\{\s*" + re.escape(name) + r"\s*(?:\|[^{}]*)?\}\}")
        text = pattern.sub(lambda _m: value, text)
        if old:
            text = text.replace(old, value)
        self._programmatic = True
        cursor = self.preview.textCursor()
        position = cursor.position()
        self.preview.setPlainText(text)
        cursor.setPosition(min(position, len(text)))
        self.preview.setTextCursor(cursor)
        self._programmatic = False
        self._update_status()

    # ------------------------------------------------------------------ copy
    def copy_reply(self, *, confirm: bool = True) -> bool:
        """Plain text and HTML on the clipboard; asks first when placeholders are still unfilled."""
        if self._macro is None:
            return False
        final = self.text().strip()
        missing = self.unfilled()
        if missing and confirm:
            answer = QMessageBox.warning(
                self,
                "Unfilled placeholders",
                f"The reply still has {len(missing)} unfilled placeholder(s): {', '.join(missing)}.\n\nCopy it anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        mime = QMimeData()
        mime.setText(reply_plain(final))
        mime.setHtml(reply_html(final))
        QGuiApplication.clipboard().setMimeData(mime)
        ratio = edit_ratio(self._generated(), final)
        self.status.setText("✓ Copied to the clipboard" + (f" — {len(missing)} unfilled!" if missing else ""))
        self.copied.emit(self._macro.id, ratio, list(missing))
        return True

    def _favorite_toggled(self, on: bool) -> None:
        self.favorite.setIcon(icon("star-filled" if on else "star"))
        if self._macro is not None:
            self.favoriteToggled.emit(self._macro.id, on)
