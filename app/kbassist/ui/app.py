"""Start the window: create the services, hand them to MainWindow, run the event loop."""

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


def run(kb: str | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = make_application()
    try:
        window = build_window(kb)
    except IndexUnavailableError as exc:  # an unwritable home: one clear sentence, not a traceback
        QMessageBox.critical(None, "KB Assist cannot start", f"KB Assist cannot start: {exc}.")
        app.shutdown()
        return 2
    window.show()
    code = app.exec()
    if app.platformName() == "offscreen":
        app.clipboard().clear()  # Qt's offscreen clipboard crashes at exit while it owns mime data
    window.engine.close()
    window.recorder.close()
    del window
    app.shutdown()
    return int(code)
