"""One window per user and home: a second start, and ``kbassist paste`` from a desktop-wide shortcut, hand
their request to the running window over a local socket instead of opening another window.

The protocol is one JSON line each way. The caller sends ``{"command": "paste", "text": "..."}`` (text
null or missing: the window reads its own clipboard) or ``{"command": "show"}``; the window answers
``{"ok": true}`` once it has taken the request, or ``{"ok": false, "error": "..."}``. Only the user who
started the window can connect (``UserAccessOption``): a case must never arrive from someone else's account.
"""

from __future__ import annotations

import ctypes
import getpass
import hashlib
import json
import logging
import re
import sys
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from kbassist import paths

log = logging.getLogger(__name__)

COMMANDS = ("paste", "show")
# A running window takes a whole request in 2 ms (median; 10 ms at most, bench/bench_summon.py); 500 ms
# leaves room for a loaded machine. With no window there is nothing to wait for: the connect fails at once.
CONNECT_MS = 500
# The window answers from its event loop before it does the work, so only a window that hangs takes long;
# after 5 s the caller gives up and says so.
REPLY_MS = 5000
MAX_LINE = 6 * 1024 * 1024  # a dropped case may be 5 MB (ui/case_input.py); JSON escaping adds a little


@dataclass(frozen=True, slots=True)
class Message:
    command: str
    text: str | None = None  # for "paste": the case; None lets the window read its own clipboard

    def encode(self) -> bytes:
        data: dict[str, object] = {"command": self.command}
        if self.text is not None:
            data["text"] = self.text
        return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"


SHOW = Message("show")
HANDED_OVER = "kbassist: handed over to the KB Assist window already running\n"


def decode(line: bytes) -> Message:
    """A request line as sent by ``send``; ValueError with a sentence a person can act on otherwise."""
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JSON line: {exc}") from None
    if not isinstance(data, dict) or data.get("command") not in COMMANDS:
        raise ValueError(f'expected {{"command": one of {", ".join(COMMANDS)}}}')
    text = data.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError('"text" must be a string')
    return Message(data["command"], text)


def server_name() -> str:
    """Per user and per home: two people on one machine, or a test's throwaway home (``KBASSIST_HOME``),
    never reach each other's window. Short, because a Unix socket's path is limited to about 100 bytes."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment nor the password database
        user = "user"
    digest = hashlib.sha256(f"{user}\0{paths.data_dir()}".encode()).hexdigest()[:12]
    return f"kbassist-{re.sub(r'[^A-Za-z0-9_.-]', '_', user)[:24]}-{digest}"


def _connect(name: str) -> QLocalSocket | None:
    socket = QLocalSocket()
    socket.connectToServer(name)
    if socket.waitForConnected(CONNECT_MS):
        return socket
    return None


def send(message: Message, name: str | None = None) -> bool:
    """Hand ``message`` to the running window; False when none runs (or it did not take the request)."""
    socket = _connect(name or server_name())
    return socket is not None and _exchange(socket, message)


def hand_over(command: str, text: str | None) -> bool:
    """A start that only summons (``launch.py``): the running window takes it, with the clipboard's text for
    a paste without text; False, having done nothing else, when no window runs."""
    socket = _connect(server_name())
    if socket is None:
        return False
    if command == "paste" and text is None:
        text = clipboard_text()
    if not _exchange(socket, Message(command, text)):
        return False
    sys.stderr.write(HANDED_OVER)
    return True


def clipboard_text() -> str | None:
    """The clipboard's text, None when it holds none (the window then reads its own, see ``app.paste``)."""
    from PySide6.QtWidgets import QApplication  # widgets: the window, should it start, needs this application

    if QApplication.instance() is None:
        QApplication(sys.argv[:1])
    return QApplication.clipboard().text() or None


def _exchange(socket: QLocalSocket, message: Message) -> bool:
    _let_window_come_forward()
    socket.write(message.encode())
    socket.waitForBytesWritten(REPLY_MS)
    while not socket.canReadLine():
        if not socket.waitForReadyRead(REPLY_MS):
            log.warning("the running KB Assist window did not answer within %d ms", REPLY_MS)
            return False
    try:
        reply = json.loads(bytes(socket.readLine().data()).decode("utf-8"))
    except ValueError:
        reply = {}
    socket.disconnectFromServer()
    if not (isinstance(reply, dict) and reply.get("ok") is True):
        log.warning("the running KB Assist window refused the request: %s", reply)
        return False
    return True


def _let_window_come_forward() -> None:
    """Windows lets only the foreground program (this one, just started by a shortcut) bring a window to the
    front; it hands that right on, or the window could only flash its taskbar entry."""
    if sys.platform == "win32":
        asfw_any = -1  # any process may take the foreground once
        ctypes.windll.user32.AllowSetForegroundWindow(asfw_any)  # type: ignore[attr-defined,unused-ignore]


class InstanceServer(QObject):
    """The running window's end: emits ``received`` for each well-formed request."""

    received = Signal(object)  # Message

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening. A socket left behind by a window that crashed answers no connection: it is
        removed and listening tried again; a live one means another window got there first (False)."""
        if self._server.listen(self.name):
            return True
        if self._server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
            alive = _connect(self.name)
            if alive is not None:
                alive.disconnectFromServer()
                return False
            QLocalServer.removeServer(self.name)
            if self._server.listen(self.name):
                return True
        log.warning("cannot listen for other starts on %s: %s", self.name, self._server.errorString())
        return False

    def full_name(self) -> str:
        return self._server.fullServerName()

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        # The slots find their socket through sender(): a Python closure holding the socket's wrapper let go of
        # it after Qt had deleted the socket, and the second delete crashed the process (seen in about half of
        # the test runs under gdb: ~QLocalSocket from a deferred delete).
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._ready)
            socket.disconnected.connect(self._gone)
            if socket.canReadLine():  # the line came with the connection, before readyRead was connected
                self._read(socket)

    def _ready(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _gone(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        if not socket.canReadLine():
            if socket.bytesAvailable() > MAX_LINE:
                self._answer(socket, {"ok": False, "error": f"request longer than {MAX_LINE} bytes"})
                socket.abort()
            return
        try:
            message = decode(bytes(socket.readLine().data()))
        except ValueError as exc:
            self._answer(socket, {"ok": False, "error": str(exc)})
            return
        self._answer(socket, {"ok": True})  # taken: the caller may exit while the window does the work
        self.received.emit(message)

    @staticmethod
    def _answer(socket: QLocalSocket, reply: dict[str, object]) -> None:
        socket.write(json.dumps(reply).encode("utf-8") + b"\n")
        socket.flush()
