"""Where the associate pastes or drops the case; tells the rest of the window, debounced, what it says."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from kbassist.ui.debounce import debouncer

DEBOUNCE_MS = 350
CASE_SUFFIXES = (".txt", ".eml", ".text", ".md")
MAX_DROP_BYTES = 5 * 1024 * 1024
# Lines the case keeps however small the window: a typical case's greeting, question and IDs. At 1366x768
# with a 1.4x desktop font the pane had shrunk to 2 lines.
MIN_LINES = 6


class CaseInput(QPlainTextEdit):
    """Plain-text case pane; a dropped .txt/.eml file replaces its content."""

    caseChanged = Signal(str)  # noqa: N815 - Qt naming for signals
    fileRejected = Signal(str)  # noqa: N815

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseInput")
        self.setAccessibleName("Case")
        self.setAccessibleDescription("Paste the customer's case here, or drop a .txt or .eml file")
        self.setPlaceholderText("Paste the customer's case here (Ctrl+V), or drop a .txt or .eml file…")
        self.setAcceptDrops(True)
        self.setTabChangesFocus(True)
        self._timer = debouncer(self, DEBOUNCE_MS, self._emit)
        self.textChanged.connect(self._timer.start)
        self._keep_lines()

    def _keep_lines(self) -> None:
        """A minimum height of ``MIN_LINES`` lines in the current font (the text size changes it)."""
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        text = MIN_LINES * self.fontMetrics().lineSpacing() + 2 * self.document().documentMargin()
        self.setMinimumHeight(int(text) + margins + 2 * self.frameWidth())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._keep_lines()

    def _emit(self) -> None:
        self.caseChanged.emit(self.toPlainText())

    def flush(self) -> None:
        """Emit now instead of after the debounce (for 'search now' actions and tests)."""
        self._timer.stop()
        self._emit()

    # ------------------------------------------------------------------ drops
    @staticmethod
    def _file_of(mime: QMimeData) -> Path | None:
        for url in mime.urls():
            if url.isLocalFile():
                return Path(url.toLocalFile())
        return None

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(self._file_of(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        path = self._file_of(source)
        if path is None:
            super().insertFromMimeData(source)
            return
        self.load_file(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._file_of(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._file_of(event.mimeData())
        if path is None:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.load_file(path)

    def load_file(self, path: Path) -> bool:
        """Replace the case with a .txt or .eml file's text (mail headers are kept: the analyser reads them)."""
        if path.suffix.lower() not in CASE_SUFFIXES:
            self.fileRejected.emit(f"{path.name}: only .txt and .eml files can be dropped here")
            return False
        try:
            if path.stat().st_size > MAX_DROP_BYTES:
                self.fileRejected.emit(f"{path.name} is larger than 5 MB")
                return False
            raw = path.read_bytes()
        except OSError as exc:
            self.fileRejected.emit(f"{path.name}: {exc.strerror or exc}")
            return False
        if path.suffix.lower() == ".eml":
            from kbassist.search.mail import eml_to_text

            text = eml_to_text(raw)
        else:
            text = raw.decode("utf-8", errors="replace")
        self.setPlainText(text)
        self.flush()
        return True
