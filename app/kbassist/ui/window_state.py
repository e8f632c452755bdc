"""Where the window was and how its panes were split, kept between runs in ``<config>/window.ini``.

QSettings holds only this (the associate's choices are in ``settings.json``); losing it is harmless, the
defaults come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

DEFAULT_SIZE = (1440, 900)


def default_size(window: QMainWindow) -> tuple[int, int]:
    """``DEFAULT_SIZE``, or the screen's free area where that is smaller (a 1366x768 laptop)."""
    screen = window.screen().availableGeometry()
    return min(DEFAULT_SIZE[0], screen.width()), min(DEFAULT_SIZE[1], screen.height())


class WindowState:
    def __init__(self, config_dir: Path, window: QMainWindow, splitters: Sequence[tuple[QSplitter, list[int]]]) -> None:
        """``splitters``: each with its default sizes; it is saved under its object name."""
        self._file = config_dir / "window.ini"
        self._window = window
        self._splitters = splitters

    def _qsettings(self) -> QSettings:
        return QSettings(str(self._file), QSettings.Format.IniFormat)

    def restore(self) -> None:
        state = self._qsettings()
        geometry = state.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self._window.restoreGeometry(geometry)
        else:
            self._window.resize(*default_size(self._window))
        for split, default in self._splitters:
            value = state.value(split.objectName())
            if isinstance(value, QByteArray) and not value.isEmpty():
                split.restoreState(value)
            else:
                split.setSizes(default)

    def save(self) -> None:
        state = self._qsettings()
        state.setValue("geometry", self._window.saveGeometry())
        for split, _default in self._splitters:
            state.setValue(split.objectName(), split.saveState())
        state.sync()
