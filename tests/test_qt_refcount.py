"""The installed PySide6 must not leak references to True or False: the app runs all day.

PySide6 6.12.0 returns a borrowed True from `SignalInstance.emit()`, so every signal emitted from Python
drops one reference to True. On Python 3.11 True is an ordinary object; after a few thousand signals
(a day of cases) its count reaches zero and the interpreter aborts (`bool_dealloc`). pyproject.toml keeps
that version out; this test keeps it out if someone loosens the pin.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import replace

import pytest

pytest.importorskip("PySide6.QtCore")

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    text = Signal(str)
    flag = Signal(bool)
    payload = Signal(int, object)


@pytest.mark.parametrize("constant", [True, False], ids=["True", "False"])
def test_emitting_signals_keeps_bool_references(qapp, constant: bool) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.text.connect(received.append)
    emitter.flag.connect(received.append)
    emitter.payload.connect(lambda n, obj: received.append(obj))
    emitter.plain.connect(lambda: received.append(None))
    gc.collect()
    before = sys.getrefcount(constant)
    for _ in range(200):
        emitter.plain.emit()
        emitter.text.emit("case text")
        emitter.flag.emit(constant)
        emitter.payload.emit(1, constant)
    received.clear()
    gc.collect()
    assert sys.getrefcount(constant) == before


def test_a_window_session_keeps_bool_references(qtbot, bundled_engine) -> None:
    """The real window: pasting cases and searching (each emits several signals) must not drain True."""
    from kbassist import paths
    from kbassist.settings import Settings
    from kbassist.ui.app import services
    from kbassist.ui.main_window import MainWindow
    from kbassist.usage import UsageRecorder

    window = MainWindow(
        bundled_engine,
        Settings(),
        replace(services(UsageRecorder(paths.usage_db(), enabled=False)), start_check_delay_ms=0),
    )
    qtbot.addWidget(window)
    window.show()
    # The window indexes and embeds the KB in the background at start; let that settle first, so the
    # caches it builds (and the objects it frees) are not counted as signals' references.
    qtbot.waitUntil(lambda: window.index.last_report is not None and not window.index.running, timeout=60_000)
    cases = [
        "My payout po_1NvXq2LkdIwHu7ixq8pVbR4s failed, bank says account_closed.",
        "Customer disputed dp_1OkF2aLkdIwHu7ix0Qm3Zt9X, what evidence do I send?",
    ]
    for text in cases:  # warm-up: first renders create caches that legitimately hold True
        window.case_input.setPlainText(text)
        window.case_input.flush()
        qtbot.waitUntil(lambda: window.article_model.rowCount() > 0, timeout=10_000)
    gc.collect()
    before = sys.getrefcount(True)
    for i in range(20):
        window.case_input.setPlainText(cases[i % 2] + f" (ticket {i})")
        window.case_input.flush()
        qtbot.wait(250)
    gc.collect()
    # Objects freed along the way may release a few references; the 6.12 leak loses 3 or more per case (60+).
    assert sys.getrefcount(True) > before - 20
    window.close()
