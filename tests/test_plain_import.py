"""The window's modules come in by Python's own import, not PySide6's source-scanning one (ui/plain_import.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kbassist.ui.plain_import import plain_import

pytestmark = pytest.mark.gui

# Qt loaded first, as the launcher loads it to hand a second start over to a running window; then the CLI and
# the window's modules, with or without plain_import; then what PySide read of them, and whether its import is
# back in place and still serves a module that asks for a feature.
_START = textwrap.dedent(
    """
    import builtins, json, linecache, sys, types
    import kbassist.ui.single_instance  # Qt, as the launcher loads it
    from kbassist.ui.plain_import import plain_import
    if sys.argv[1] == "plain":
        with plain_import():
            import kbassist.cli
            import kbassist.ui.app
    else:
        import kbassist.cli
        import kbassist.ui.app
    read = sorted(name for name in linecache.cache if "kbassist" in name)
    featured = types.ModuleType("featured")
    exec("from __feature__ import snake_case\\nfrom PySide6.QtCore import QObject\\n"
         "snake = hasattr(QObject(), 'object_name')", featured.__dict__)
    print(json.dumps({
        "read": [name.rsplit("kbassist", 1)[-1] for name in read],
        "pyside_import_back": builtins.__import__ is getattr(builtins, "__feature_import__", None),
        "feature_served": featured.snake,
    }))
    """
)


def _start(how: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _START, how], capture_output=True, text=True, check=True, env=_offscreen()
    )
    return json.loads(done.stdout.splitlines()[-1])


def _offscreen() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_the_window_s_modules_are_not_read_by_pyside_when_imported_plainly() -> None:
    scanned = _start("pyside")
    # The reason for plain_import: this PySide reads the source of every module imported after Qt.
    assert len(scanned["read"]) > 50 and "/search/engine.py" in scanned["read"]
    plain = _start("plain")
    # Only what the launcher imported before and with Qt (the hand-over, the paths, this module) was read.
    assert set(plain["read"]) <= {"/ui/single_instance.py", "/paths.py", "/ui/plain_import.py", "/__init__.py"}
    assert plain["pyside_import_back"] is True and plain["feature_served"] is True


def test_a_module_imported_plainly_uses_qt_as_any_other(
    qapp: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signals, slots and Qt's own names, from a module PySide never looked at."""
    (tmp_path / "plainly_imported.py").write_text(
        textwrap.dedent(
            """
            from PySide6.QtCore import QObject, Signal
            from PySide6.QtWidgets import QLabel

            class Speaker(QObject):
                said = Signal(str)

            def label(text):
                shown = QLabel()
                shown.setText(text)
                shown.setObjectName("shown")
                return shown
            """
        ),
        "utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with plain_import():
        import plainly_imported  # type: ignore[import-not-found]

    heard: list[str] = []
    speaker = plainly_imported.Speaker()
    speaker.said.connect(heard.append)
    speaker.said.emit("refund")
    shown = plainly_imported.label("Refunds take 5-10 days")
    assert heard == ["refund"]
    assert (shown.text(), shown.objectName()) == ("Refunds take 5-10 days", "shown")
    assert not hasattr(shown, "set_text")  # no feature switched on for it
    sys.modules.pop("plainly_imported", None)
