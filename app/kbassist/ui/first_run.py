"""The first start: the window asks for the associate's name (and signature) once, so ``{{agent_name}}`` is
never left for them to type into every reply. The name is prefilled from the account they signed in with."""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from kbassist.settings import Settings, os_full_name


def default_agent_name(full_name: str, login: str) -> str:
    """The name to offer: the account's full name, else its login made to look like one
    ("robin.park" → "Robin Park"; a login like "rp2" is offered as it is, for the associate to correct)."""
    if full_name.strip():
        return full_name.strip()
    words = [w for w in re.split(r"[._\-\s]+", login.strip()) if w]
    return " ".join(w.capitalize() if w.isalpha() else w for w in words)


def account_name() -> str:
    """The signed-in account's name for :func:`default_agent_name`: its full name, else its login."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        login = ""
    return default_agent_name(os_full_name(), login)


class AgentNameDialog(QDialog):
    def __init__(self, settings: Settings, suggested: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agentNameDialog")
        self.setWindowTitle("Welcome to KB Assist")
        self.setMinimumWidth(440)  # the signature box reads as a box, not a field
        self.settings = settings
        intro = QLabel("Replies are signed with your name. You can change it later in Settings (Ctrl+,).")
        intro.setWordWrap(True)
        self.name = QLineEdit(settings.agent_name.strip() or suggested)
        self.name.setObjectName("agentName")
        self.name.setPlaceholderText("Your name, used for {{agent_name}}")
        self.name.selectAll()
        self.signature = QPlainTextEdit(settings.agent_signature)
        self.signature.setObjectName("agentSignature")
        self.signature.setPlaceholderText("Optional signature (e.g. your name and team), used for {{agent_signature}}")
        self.signature.setFixedHeight(70)
        self.signature.setTabChangesFocus(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name.textChanged.connect(self._check)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow("Your name", self.name)
        form.addRow("Signature", self.signature)
        form.addRow(self.buttons)
        self._check()

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.name.text().strip()))

    def result_settings(self) -> Settings:
        return replace(
            self.settings,
            agent_name=self.name.text().strip(),
            agent_signature=self.signature.toPlainText().strip(),
        )


class FirstStart(QObject):
    """Asks for the name the first time ``window`` is shown with none in Settings (``settings`` reads them
    as they are then). The question is window-modal without a nested event loop (``open``, not ``exec``), so
    nothing waits on it; ``given`` receives the settings with the name once the associate says OK."""

    def __init__(self, window: QWidget, settings: Callable[[], Settings], given: Callable[[Settings], None]) -> None:
        super().__init__(window)
        self.watched, self.settings, self.given = window, settings, given
        self.dialog: AgentNameDialog | None = None
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        first = watched is self.watched and event.type() == QEvent.Type.Show and self.dialog is None
        if first and self.settings().needs_agent_name:
            dialog = self.dialog = AgentNameDialog(self.settings(), account_name(), self.watched)
            dialog.accepted.connect(lambda: self.given(dialog.result_settings()))
            QTimer.singleShot(0, dialog.open)
        return False
