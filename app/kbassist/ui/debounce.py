"""One debounce helper: run a callback once, ``ms`` after the last of a burst of events."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


def debouncer(parent: QObject, ms: int, callback: Callable[[], object]) -> QTimer:
    """A single-shot timer owned by ``parent``: ``start()`` (re)arms it, ``stop()`` cancels, and
    ``callback`` runs when ``ms`` pass without another start."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(callback)
    return timer
