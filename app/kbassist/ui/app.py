"""Start the window: hand over to one already running (``ui/single_instance.py``), or create the services,
hand them to MainWindow, listen for later starts and run the event loop."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from kbassist import __version__, paths
from kbassist.search.engine import SearchEngine
from kbassist.search.index import IndexUnavailableError
from kbassist.settings import choose_kb, load_settings, save_settings, team_url
from kbassist.ui.main_window import MainWindow
from kbassist.ui.services import Services
from kbassist.ui.single_instance import HANDED_OVER, SHOW, InstanceServer, Message, clipboard_text, send
from kbassist.ui.theme import apply_theme, follow_system_scheme, icon
from kbassist.usage import UsageRecorder


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("KB Assist")
    app.setOrganizationName("kbassist")
    app.setApplicationVersion(__version__)
    apply_theme(app)
    follow_system_scheme(app)
    app.setWindowIcon(icon("app"))
    return app


def build_window(kb: str | Path | None = None) -> MainWindow:
    """The window on the chosen KB: --kb, then KBASSIST_KB, then the KB in settings, then the bundled KB."""
    settings = load_settings()
    chosen = kb or None
    root = choose_kb(chosen, settings)
    if not root.is_dir():
        logging.getLogger(__name__).warning("KB folder %s not found; using the bundled KB", root)
        root = paths.bundled_kb()
    if chosen:
        settings.kb_folder = str(root)  # remembered as the last KB
        save_settings(settings)
    recorder = UsageRecorder(
        paths.usage_db(),
        enabled=settings.usage_enabled,
        app_version=__version__,
        retention_days=settings.retention_days,
        team_outbox=team_url(settings.team_db) is not None,  # events not yet uploaded are never pruned
    )
    return MainWindow(SearchEngine(root), settings, services(recorder))


def services(recorder: UsageRecorder, engine_factory: Callable[[Path], SearchEngine] = SearchEngine) -> Services:
    """The window's services on the folders ``paths`` names (``KBASSIST_HOME`` moves them all)."""
    return Services(
        recorder=recorder,
        engine_factory=engine_factory,
        resolve_kb=paths.resolve_kb,
        settings_file=paths.settings_file(),
        usage_db=paths.usage_db(),
        config_dir=paths.config_dir(),
        data_dir=paths.data_dir(),
    )


def open_window(kb: str | Path | None = None, message: Message = SHOW) -> MainWindow:
    """The window, shown, listening for later starts, and doing what this start was asked (a paste)."""
    window = build_window(kb)
    server = InstanceServer(parent=window)
    server.listen()  # when it cannot (another window won a race), this one still works, only alone
    window.summon.attach(server)
    window.show()
    if message.command == "paste":
        window.summon.paste(message.text)
    return window


def run(kb: str | None = None, message: Message = SHOW) -> int:
    """``kbassist`` (``message`` SHOW) and ``kbassist paste``: to the running window when there is one."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = make_application()
    if send(message):
        sys.stderr.write(HANDED_OVER)
        app.shutdown()
        return 0
    try:
        window = open_window(kb, message)
    except IndexUnavailableError as exc:  # an unwritable home: one clear sentence, not a traceback
        QMessageBox.critical(None, "KB Assist cannot start", f"KB Assist cannot start: {exc}.")
        app.shutdown()
        return 2
    code = app.exec()
    if app.platformName() == "offscreen":
        app.clipboard().clear()  # Qt's offscreen clipboard crashes at exit while it owns mime data
    window.engine.close()
    window.recorder.close()
    del window
    app.shutdown()
    return int(code)


def paste(kb: str | None = None, text: str | None = None) -> int:
    """``kbassist paste``: ``text``, else the clipboard's, as the case of the running window or a new one.
    An empty clipboard sends no text: the window then reads its own clipboard once it is in front, which a
    desktop that keeps the clipboard from background programs (Wayland) allows only the window."""
    return run(kb, Message("paste", clipboard_text() if text is None else text))
