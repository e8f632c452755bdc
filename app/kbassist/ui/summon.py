"""Bringing the window to the front with a case, from wherever the associate is: ``kbassist paste`` bound to
a desktop-wide shortcut, a second start, the tray icon's menu, and Ctrl+Shift+V inside the window.

All of them end in ``Summon.paste``: the clipboard's text (or the text sent) replaces the case and is
searched at once, as if the associate had cleared the window and pasted."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from kbassist.ui.single_instance import InstanceServer, Message
from kbassist.ui.theme import icon

if TYPE_CHECKING:
    from kbassist.ui.main_window import MainWindow

EMPTY_CLIPBOARD = "The clipboard holds no text to use as the case."


def bring_to_front(window: QWidget) -> None:
    """Shown, un-minimised, raised and given focus (a desktop may only flash its taskbar entry instead)."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


class Summon(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.server: InstanceServer | None = None
        self.tray: QSystemTrayIcon | None = None
        self.tray_menu: QMenu | None = None

    def paste(self, text: str | None = None) -> bool:
        """``text`` (None: the clipboard's) as a new case, searched now; False, said in the status bar, when
        there is no text (an image or a file on the clipboard): the case on screen is then kept."""
        window = self._window
        bring_to_front(window)
        if text is None:
            text = QGuiApplication.clipboard().text()
        if not text.strip():
            window.status.say(EMPTY_CLIPBOARD, 6000)
            return False
        window.new_case()
        window.case_input.setPlainText(text)
        window.case_input.flush()
        return True

    def paste_clipboard(self) -> None:
        self.paste()

    def slots(self) -> dict[str, Callable[[], object]]:
        """The commands of ``ui/actions.py`` this object runs."""
        return {"paste_case": self.paste_clipboard}

    def show(self) -> None:
        bring_to_front(self._window)

    def handle(self, message: Message) -> None:
        """A request from another start (``ui/single_instance.py``)."""
        if message.command == "paste":
            self.paste(message.text)
        else:
            self.show()

    def attach(self, server: InstanceServer) -> None:
        """Take other starts' requests, and put the tray icon up where the desktop has a tray."""
        self.server = server
        server.received.connect(self.handle)
        self.tray_menu = self.build_menu()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon("app"), self)
            self.tray.setToolTip("KB Assist")
            self.tray.setContextMenu(self.tray_menu)
            self.tray.activated.connect(self._tray_clicked)
            self.tray.show()

    def build_menu(self) -> QMenu:
        menu = QMenu(self._window)
        menu.setObjectName("trayMenu")
        entries = (
            ("Paste case from clipboard", "new-case", self.paste_clipboard),
            ("Show window", "app", self.show),
            ("Quit", "", self._window.close),
        )
        for text, icon_name, slot in entries:
            if text == "Quit":
                menu.addSeparator()
            action = QAction(icon(icon_name), text, menu) if icon_name else QAction(text, menu)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            menu.addAction(action)
        return menu

    def _tray_clicked(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show()
