"""Summoning the window with a case: ``kbassist paste`` and a second start reach the running window over a real
local socket, a socket left by a crash is cleared, and Ctrl+Shift+V and the tray menu paste in the window."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import QDir, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QListView

from kbassist.launch import summon_request
from kbassist.ui import single_instance
from kbassist.ui.app import open_window
from kbassist.ui.main_window import MainWindow
from kbassist.ui.single_instance import SHOW, InstanceServer, Message, decode, send, server_name
from kbassist.ui.summon import EMPTY_CLIPBOARD
from test_ui_window import DISPUTE_CASE, PAYOUT_CASE, bundled_index, make_window, row_ids  # noqa: F401 - a fixture

pytestmark = pytest.mark.gui

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
CLI_SECONDS = 60_000  # a cold start of the CLI imports Qt and the core: a few seconds, more on a loaded machine


@pytest.fixture
def window(qtbot, bundled_index: Path) -> Iterator[MainWindow]:  # noqa: F811 - the fixture imported above
    """The window, listening for other starts as the app's does."""
    from conftest import BUNDLED_KB

    w = make_window(qtbot, BUNDLED_KB, bundled_index)
    server = InstanceServer(parent=w)
    assert server.listen()
    w.summon.attach(server)
    yield w
    server.close()
    w.close()
    w.engine.close()
    w.recorder.close()


def run_cli(qtbot, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``kbassist`` in another process, while this one's event loop runs to answer it."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kbassist", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=CLI_SECONDS)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def socket_path() -> Path:
    return Path(QDir.tempPath()) / server_name()  # where QLocalServer puts a plain name on Unix


def ask(qtbot, line: bytes) -> dict[str, object]:
    """Send one request line as any client would and read the answer, from a thread (a plain Unix socket,
    which lets go of the interpreter while it waits) beside the event loop the window answers on."""
    if sys.platform == "win32":
        pytest.skip("a plain Unix socket stands in for the client here")
    result: list[bytes] = []

    def work() -> None:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(str(socket_path()))
            client.sendall(line)
            result.append(client.makefile("rb").readline())

    thread = threading.Thread(target=work)
    thread.start()
    qtbot.waitUntil(lambda: bool(result), timeout=10_000)
    thread.join()
    return json.loads(result[0])


def test_kbassist_paste_from_another_process_becomes_the_case(qtbot, window: MainWindow) -> None:
    window.case_input.setPlainText("an older case")
    done = run_cli(qtbot, "paste", "--text", DISPUTE_CASE)
    assert done.returncode == 0, done.stderr
    assert "handed over" in done.stderr
    qtbot.waitUntil(lambda: window.case_input.toPlainText() == DISPUTE_CASE, timeout=5000)
    articles = window.findChild(QListView, "articleList")
    qtbot.waitUntil(lambda: bool(row_ids(articles)) and row_ids(articles)[0].startswith("disputes-"), timeout=20_000)
    assert "dp_1OkF2aLkdIwHu7ix0Qm3Zt9X" in window.entities.text()


def test_a_second_start_hands_over_and_brings_the_window_up(qtbot, window: MainWindow) -> None:
    window.case_input.setPlainText(PAYOUT_CASE)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    with qtbot.waitSignal(window.summon.server.received, timeout=CLI_SECONDS) as got:
        done = run_cli(qtbot)
    assert done.returncode == 0, done.stderr
    assert got.args == [SHOW]
    assert not window.isMinimized()
    assert window.case_input.toPlainText() == PAYOUT_CASE  # showing the window never replaces the case


def test_a_socket_left_by_a_crashed_window_is_cleared(qtbot, tmp_path: Path) -> None:
    """A window killed outright leaves its socket file: the next start must not take it for a live window."""
    if sys.platform == "win32":
        pytest.skip("named pipes vanish with their process")
    server = InstanceServer()
    stale = socket_path()
    crashed = socket.socket(socket.AF_UNIX)
    crashed.bind(str(stale))
    crashed.close()  # bound, never listening: what a killed process leaves
    assert stale.exists()
    assert send(SHOW) is False  # nobody answers there
    assert server.listen()
    with qtbot.waitSignal(server.received, timeout=10_000) as got:
        assert ask(qtbot, Message("paste", "café refund").encode()) == {"ok": True}
    assert got.args == [Message("paste", "café refund")]
    server.close()


def test_a_garbled_request_is_refused_and_the_window_keeps_listening(qtbot, window: MainWindow) -> None:
    reply = ask(qtbot, b"paste this please\n")
    assert reply["ok"] is False and "not a JSON line" in str(reply["error"])
    assert ask(qtbot, Message("paste", PAYOUT_CASE).encode()) == {"ok": True}
    qtbot.waitUntil(lambda: window.case_input.toPlainText() == PAYOUT_CASE, timeout=5000)


def test_requests_are_checked() -> None:
    assert decode(b'{"command": "paste", "text": "x"}\n') == Message("paste", "x")
    assert decode(Message("paste").encode()) == Message("paste", None)
    for bad in (b"[]", b'{"command": "delete"}', b'{"command": "paste", "text": 3}', b"\xff\xfe"):
        with pytest.raises(ValueError):
            decode(bad)


def test_only_the_starts_that_summon_skip_the_full_command_line() -> None:
    assert summon_request([]) == ("show", None)
    assert summon_request(["gui"]) == ("show", None)
    assert summon_request(["paste"]) == ("paste", None)
    assert summon_request(["paste", "--text", "refund late"]) == ("paste", "refund late")
    assert summon_request(["paste", "--text=-5 EUR missing"]) == ("paste", "-5 EUR missing")
    for other in (["paste", "--text", "-x"], ["--kb", "kb"], ["paste", "--kb", "kb"], ["suggest"], ["gui", "--json"]):
        assert summon_request(other) is None, other


def test_two_users_and_two_homes_never_share_a_window(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    names = set()
    for user, home in (("alice", "a"), ("bob", "a"), ("alice", "b")):
        monkeypatch.setattr(single_instance.getpass, "getuser", lambda user=user: user)
        monkeypatch.setenv("KBASSIST_HOME", str(tmp_path / home))
        names.add(server_name())
    assert len(names) == 3
    assert all(len(name) < 60 for name in names)  # a Unix socket path must stay short


def test_ctrl_shift_v_replaces_the_case_with_the_clipboard_and_searches(qtbot, window: MainWindow) -> None:
    window.case_input.setPlainText("an older case")
    QGuiApplication.clipboard().setText(PAYOUT_CASE)
    window.case_input.setFocus()
    qtbot.keyClick(window.case_input, Qt.Key.Key_V, CTRL_SHIFT)
    assert window.case_input.toPlainText() == PAYOUT_CASE
    articles = window.findChild(QListView, "articleList")
    qtbot.waitUntil(lambda: bool(row_ids(articles)) and row_ids(articles)[0].startswith("payouts-"), timeout=20_000)
    # Nothing to paste (an image, or an empty clipboard): the case on screen stays, and the window says why.
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(window.case_input, Qt.Key.Key_V, CTRL_SHIFT)
    assert window.case_input.toPlainText() == PAYOUT_CASE
    assert window.status.currentMessage() == EMPTY_CLIPBOARD


def test_paste_with_no_window_running_opens_one_with_the_case(qtbot, mini_kb: Path) -> None:
    """``kbassist paste`` when nothing runs: the new window starts with the case, listens for the next start,
    and its tray menu offers paste, show and quit."""
    case = "Refund re_3Nq not on the card statement yet, customer asks where it is."
    window = open_window(mini_kb, Message("paste", case))
    qtbot.addWidget(window)
    try:
        assert window.case_input.toPlainText() == case
        articles = window.findChild(QListView, "articleList")
        qtbot.waitUntil(lambda: "refunds-refund-timeline" in row_ids(articles), timeout=30_000)
        menu = window.summon.tray_menu
        assert menu is not None
        entries = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert entries == ["Paste case from clipboard", "Show window", "Quit"]
        QGuiApplication.clipboard().setText("Dispute fee withdrawn with the chargeback")
        menu.actions()[0].trigger()
        assert window.case_input.toPlainText() == "Dispute fee withdrawn with the chargeback"
        with qtbot.waitSignal(window.summon.server.received, timeout=10_000):
            assert ask(qtbot, SHOW.encode()) == {"ok": True}
    finally:
        window.summon.server.close()
        window.close()
        window.engine.close()
        window.recorder.close()
