"""The reply's text editor: it reads as the reply will arrive, and every change the window makes to it (a
field filled, a language switched, a link inserted) is one undoable step, never a reset of the document.

Tab leaves the editor (for Copy) as everywhere else in the window; Ctrl+Tab types a tab. F8 and Shift+F8
(window shortcuts) select the next and the previous placeholder still waiting for a value.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette, QSyntaxHighlighter, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from kbassist.content.placeholders import PLACEHOLDER
from kbassist.content.render import EMPHASIS


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


def changed_span(old: str, new: str) -> tuple[int, int, str]:
    """(start, end in ``old``, replacement): the one stretch that differs between two texts. Replacing only
    it keeps the cursor, the scroll position and the undo history sensible when a field fills one value."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return start, end_old, new[start:end_new]


class ReplyEditor(QPlainTextEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("macroPreview")
        self.setAccessibleName("Reply preview")
        self.setPlaceholderText("Select a macro to see the reply filled from the case.")
        self.setTabChangesFocus(True)
        self.highlighter = ReplyHighlighter(self.document(), self.palette().color(QPalette.ColorRole.PlaceholderText))

    def text(self) -> str:
        """The text as held, no-break spaces kept ("1.250,00\u00a0€" must not break before the €):
        ``toPlainText`` turns them into plain spaces."""
        return self.document().toRawText().replace("\u2029", "\n").replace("\u2028", "\n")

    def replace_text(self, text: str) -> None:
        """Make the editor hold ``text`` as one undoable edit of the stretch that changed."""
        old = self.text()
        if old == text:
            return
        start, end, replacement = changed_span(old, text)
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(replacement)
        cursor.endEditBlock()

    def insert(self, text: str) -> None:
        """Type ``text`` at the cursor (one undoable step)."""
        self.textCursor().insertText(text)
        self.setFocus()

    def jump_to_placeholder(self, *, backward: bool = False) -> bool:
        """Select the next (previous) unfilled placeholder after (before) the cursor, wrapping round; False
        when none is left."""
        text = self.text()
        spans = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
        if not spans:
            return False
        cursor = self.textCursor()
        if backward:
            before = [s for s in spans if s[1] <= cursor.selectionStart()]
            start, end = before[-1] if before else spans[-1]
        else:
            after = [s for s in spans if s[0] >= cursor.selectionEnd()]
            start, end = after[0] if after else spans[0]
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.setTextCursor(cursor)
        self.setFocus()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        if key == Qt.Key.Key_Tab and mods & Qt.KeyboardModifier.ControlModifier:
            self.insertPlainText("\t")
        else:
            super().keyPressEvent(event)
