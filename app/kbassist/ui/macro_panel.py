"""The reply: one or more macros composed in the case's language (one greeting, one sign-off, each shared
placeholder once), filled from the case, fields for what the case didn't say, edit, copy.

The panel keeps no reply logic of its own: ``compose`` (the window's, over ``SearchEngine.compose``) turns
the parts, the language and what the associate typed into a ``Reply``; the panel shows it and keeps the
associate's edits. Edits are kept per case and per set of macros, so switching to another macro and back
finds the text as it was left; a new case forgets them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QToolButton, QWidget

from kbassist.content.model import PRODUCT_LABELS, Macro
from kbassist.content.placeholders import fill, placeholder_names
from kbassist.content.render import reply_html, reply_plain
from kbassist.search.language import LANGUAGE_NAMES
from kbassist.search.replies import LanguageUnavailableError, Reply
from kbassist.search.sensitive import CaseWarning
from kbassist.ui.reply_editor import ReplyEditor, ReplyHighlighter
from kbassist.ui.reply_fields import PlaceholderForm
from kbassist.ui.reply_parts import PartsBar
from kbassist.ui.theme import icon
from kbassist.ui.widgets import column, title_block, title_label
from kbassist.usage import edit_ratio

__all__ = ["Compose", "MacroPanel", "ReplyHighlighter"]

# (macro ids or macros, language or None for the case's, values typed by hand) -> the reply
Compose = Callable[[Sequence[str | Macro], str | None, Mapping[str, str]], Reply]
Key = tuple[tuple[str, ...], str]  # the parts and the language: what an edited text belongs to


class MacroPanel(QWidget):
    copied = Signal(tuple, float, list)  # the reply's macro ids, edit ratio, names of the placeholders left unfilled
    previewed = Signal(str)  # macro id
    favoriteToggled = Signal(str, bool)  # noqa: N815
    voted = Signal(str, bool)  # macro id, helpful

    def __init__(self, compose: Compose | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._compose = compose
        self._macro: Macro | None = None  # the macro last picked in the lists
        self._reply: Reply | None = None
        self._lang: str | None = None  # chosen by the associate; None: the case's
        self._typed: dict[str, str] = {}  # typed into the placeholder fields
        self._kept: dict[Key, str] = {}  # edited texts of this case
        self._offers: list[Macro] = []
        self._tab_start: QWidget | None = None

        self.title = title_label("No macro selected", "macroTitle", grow=1)
        self.meta = QLabel("")
        self.meta.setWordWrap(True)  # a long macro id must not widen the window past a 1366-pixel screen
        self.favorite = QToolButton(self)
        self.favorite.setObjectName("favoriteButton")
        self.favorite.setCheckable(True)
        self.favorite.setAutoRaise(True)
        self.favorite.setIcon(icon("star"))
        self.favorite.setToolTip("Add to favorites (Ctrl+D)")
        self.favorite.setAccessibleName("Favorite macro")
        self.favorite.toggled.connect(self._favorite_toggled)
        self.banner = QLabel("")
        self.banner.setObjectName("secretsBanner")
        self.banner.setAccessibleName("Sensitive data in the case")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.parts = PartsBar(lambda: self._offers, self)
        self.parts.addRequested.connect(self.add_macro)
        self.parts.model.partsChanged.connect(self._parts_changed)
        self.parts.voted.connect(self.voted)
        self.language = QComboBox(self)
        self.language.setObjectName("replyLanguage")
        self.language.setAccessibleName("Reply language")
        self.language.setToolTip("The language the reply is written in (amounts and dates follow it)")
        self.language.activated.connect(lambda _i: self.set_language(self.language.currentData()))
        self.preview = ReplyEditor(self)
        self.preview.textChanged.connect(self._update_status)
        self._highlighter = self.preview.highlighter
        self.form = PlaceholderForm(self)
        self.form.fieldChanged.connect(self._field_changed)
        header = QHBoxLayout()
        header.addLayout(title_block(self.title, self.meta), 1)
        header.addWidget(self.language, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.favorite, 0, Qt.AlignmentFlag.AlignTop)
        column(self, header, self.banner, self.parts, (self.preview, 1), self.form, self._build_buttons())
        self._set_enabled(False)

    def _build_buttons(self) -> QHBoxLayout:
        """The status line (what is left to fill), Reset and Copy reply."""
        self.status = QLabel("")
        self.status.setObjectName("macroStatus")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Discard your edits and fill the macros again")
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

    @property
    def reply(self) -> Reply | None:
        return self._reply

    @property
    def ids(self) -> tuple[str, ...]:
        return self.parts.model.ids

    def text(self) -> str:
        return self.preview.text()

    def unfilled(self) -> list[str]:
        return placeholder_names(self.text())

    def edited(self) -> bool:
        return self._reply is not None and self.text() != self._reply.text

    def _set_enabled(self, on: bool) -> None:
        for widget in (self.copy_button, self.reset_button, self.favorite, self.preview, self.language):
            widget.setEnabled(on)
        self.parts.set_enabled(on)

    def set_compose(self, compose: Compose) -> None:
        self._compose = compose

    def set_offers(self, macros: Sequence[Macro]) -> None:
        """The macros "Add macro" offers: the case's suggestions, then the associate's favorites."""
        self._offers = list(macros)

    def set_tab_start(self, widget: QWidget) -> None:
        """Tab goes from ``widget`` (the macro list) to each placeholder field, the reply, then Copy."""
        self._tab_start = widget
        self._tab_chain()

    def _tab_chain(self) -> None:
        chain: list[QWidget] = [*self.form.fields.values(), self.preview, self.copy_button]
        for first, second in pairwise([self._tab_start, *chain] if self._tab_start else chain):
            QWidget.setTabOrder(first, second)

    def set_favorite(self, on: bool) -> None:
        self.favorite.blockSignals(True)
        self.favorite.setChecked(on)
        self.favorite.setIcon(icon("star-filled" if on else "star"))
        self.favorite.blockSignals(False)

    # ------------------------------------------------------------------ what the reply is made of
    def show_macro(self, macro: Macro, favorite: bool = False) -> None:
        """The macro picked in the lists becomes the reply (its edits for this case come back with it)."""
        self._macro = macro
        self.set_favorite(favorite)
        self._keep_edits()
        self.parts.model.set_parts([])
        self._recompose([macro])
        self.previewed.emit(macro.id)

    def add_macro(self, macro: Macro | None = None) -> bool:
        """Add ``macro`` (by default: offer the suggestions) after the reply's parts."""
        if macro is None:
            self.parts.show_offers()
            return False
        if self._reply is None:
            self.show_macro(macro)
            return True
        if macro.id in self.ids:
            return False
        self._keep_edits()
        self._recompose([*self.ids, macro])
        self.previewed.emit(macro.id)
        return True

    def _parts_changed(self) -> None:
        """Moved or taken out in the parts bar."""
        self._keep_edits(self._key(self._reply.ids) if self._reply else None)
        self._recompose(list(self.ids))

    def set_language(self, lang: str | None) -> None:
        if self._reply is None or lang == self._reply.lang:
            return
        self._keep_edits()
        self._lang = lang
        self._recompose(list(self.ids))

    def refresh(self) -> None:
        """The case (or the associate's name) changed: fill again; an associate's own edits are never overwritten."""
        if self._reply is not None:
            self._recompose(list(self.ids), keep_text=True)

    def new_case(self) -> None:
        """A new case: its edits, typed values and language choice start afresh."""
        self._kept.clear()
        self._typed.clear()
        self._lang = None

    def _key(self, ids: Sequence[str] | None = None) -> Key:
        reply = self._reply
        return (tuple(ids if ids is not None else self.ids), reply.lang if reply else "")

    def _keep_edits(self, key: Key | None = None) -> None:
        if self.edited():
            self._kept[key or self._key()] = self.text()

    def _recompose(self, parts: Sequence[str | Macro], *, keep_text: bool = False) -> None:
        """Compose the reply again; ``keep_text``: the associate's edited text stays as it is."""
        if self._compose is None or not parts:
            return
        try:
            reply = self._compose(parts, self._lang, self._typed)
        except LanguageUnavailableError:
            reply = self._compose(parts, None, self._typed)  # a part added that the chosen language lacks
        kept_text = self.text() if keep_text and self.edited() else None
        self._reply = reply
        self.parts.model.set_parts(reply.parts)
        if len(reply.parts) > 1:
            self.title.setText(f"Reply from {len(reply.parts)} macros")
            self.meta.setText("One greeting, one sign-off")
        elif self._macro is not None:
            self.title.setText(reply.parts[0].title)
            self.meta.setText(f"{PRODUCT_LABELS.get(self._macro.product, self._macro.product)} · {self._macro.id}")
        self._show_languages(reply)
        self.preview.replace_text(self._kept.pop(self._key(), "") or kept_text or reply.text)
        self.form.show_fields([f for f in reply.fields if not f.value or f.name in self._typed], self._typed)
        self._tab_chain()
        self._set_enabled(True)
        self._update_status()

    def _show_languages(self, reply: Reply) -> None:
        self.language.blockSignals(True)
        self.language.clear()
        for code in reply.languages:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(max(0, reply.languages.index(reply.lang)))
        self.language.setVisible(len(reply.languages) > 1)
        self.language.blockSignals(False)

    def clear(self) -> None:
        self._macro = None
        self._reply = None
        self.parts.model.set_parts([])
        self.title.setText("No macro selected")
        self.meta.setText("")
        self.preview.clear()
        self.form.clear()
        self.language.clear()
        self._set_enabled(False)
        self.status.setText("")

    def reset(self) -> None:
        """Discard the edits and the typed values: the macros filled from the case again."""
        if self._reply is not None:
            self._typed.clear()
            self._kept.pop(self._key(), "")
            self._recompose(list(self.ids))  # one undoable step, like every change the panel makes

    # ------------------------------------------------------------------ placeholder fields
    def field(self, name: str) -> QWidget | None:
        return self.form.fields.get(name)

    def set_field(self, name: str, value: str) -> None:
        """Fill one placeholder as if typed into its field."""
        editor = self.form.fields.get(name)
        if isinstance(editor, QLineEdit) and editor.text() != value:
            editor.setText(value)
        self._field_changed(name, value.strip())

    def _field_changed(self, name: str, value: str) -> None:
        old = self._reply
        if old is None or self._typed.get(name, "") == value:
            return
        if value:
            self._typed[name] = value
        else:
            self._typed.pop(name, None)
        if not self.edited():
            self._recompose(list(self.ids))
            return
        # The associate edited the text: fill what still waits for a value, and put the new value where the old stood.
        text, before = self.text(), old.filled.filled.get(name, "")
        self._recompose(list(self.ids), keep_text=True)
        assert self._reply is not None
        text = fill(text, self._reply.values, self._reply.lang, self._reply.today).text
        after = self._reply.filled.filled.get(name, "")
        self.preview.replace_text(text.replace(before, after) if before and after else text)
        self._update_status()

    def _update_status(self) -> None:
        missing = self.unfilled()
        if self._reply is None:
            self.status.setText("")
        elif missing:
            self.status.setText(f"⚠ {len(missing)} placeholder(s) to fill (F8: next)")
        else:
            self.status.setText("✓ Ready to copy")

    # ------------------------------------------------------------------ the case's secrets, links
    def show_warnings(self, warnings: Sequence[CaseWarning]) -> None:
        """A live key or a full card number in the case: what it is and what to tell the merchant. Only the
        masked form is shown; nothing of it is kept."""
        lines = [f"<b>⚠ {html.escape(w.message)}</b><br>{html.escape(w.advice)}" for w in warnings]
        self.banner.setText("<br>".join(lines))
        self.banner.setVisible(bool(lines))

    def insert_link(self, title: str, url: str) -> None:
        """An article's public page at the cursor: a link in the HTML copy, the address in the plain one."""
        if self._reply is not None:
            self.preview.insert(f"[{title}]({url})")

    # ------------------------------------------------------------------ copy
    def copy_reply(self, *, confirm: bool = True) -> bool:
        """Plain text and HTML on the clipboard; asks first when placeholders are still unfilled."""
        if self._reply is None:
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
        ratio = edit_ratio(self._reply.text.strip(), final)
        self.status.setText("✓ Copied to the clipboard" + (f" — {len(missing)} unfilled!" if missing else ""))
        self.copied.emit(self._reply.ids, ratio, list(missing))
        return True

    def _favorite_toggled(self, on: bool) -> None:
        self.favorite.setIcon(icon("star-filled" if on else "star"))
        if self._macro is not None:
            self.favoriteToggled.emit(self._macro.id, on)
