"""How long summoning takes: the local socket's round trip to a running window's server, and the whole
`kbassist paste --text ...` process (start, hand over, exit), the wait after the desktop shortcut.

    .venv/bin/python bench/bench_summon.py [--runs N] [--json]

A server (ui/single_instance.py) listens in this process as the window's does, in a temporary KBASSIST_HOME;
clients are a plain Unix socket in a thread here (the round trip; Unix only) and real `kbassist paste`
processes. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDir

from kbassist.ui.single_instance import InstanceServer, Message, server_name


def ask(line: bytes, done: threading.Event) -> None:
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(Path(QDir.tempPath()) / server_name()))
        client.sendall(line)
        client.makefile("rb").readline()
    done.set()


def wait_for(app: QCoreApplication, done: threading.Event | subprocess.Popen[bytes]) -> None:
    """Run this process's event loop (the server answers on it) until the client is done."""
    while not (done.is_set() if isinstance(done, threading.Event) else done.poll() is not None):
        app.processEvents()
        time.sleep(0.0005)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["KBASSIST_HOME"] = tempfile.mkdtemp(prefix="kbassist-bench-")  # the paste processes' too
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QCoreApplication(sys.argv[:1])
    server = InstanceServer()
    assert server.listen()
    got: list[Message] = []
    server.received.connect(got.append)

    round_trips = []
    for _ in range(args.runs):
        done = threading.Event()
        start = time.perf_counter()
        threading.Thread(target=ask, args=(Message("paste", "refund not arrived").encode(), done)).start()
        wait_for(app, done)
        round_trips.append((time.perf_counter() - start) * 1000)

    processes = []
    for _ in range(max(3, args.runs // 5)):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kbassist", "paste", "--text", "refund not arrived"])
        wait_for(app, proc)
        processes.append((time.perf_counter() - start) * 1000)

    figures = {
        "requests_taken": len(got),
        "round_trip_ms_median": round(statistics.median(round_trips), 2),
        "round_trip_ms_max": round(max(round_trips), 2),
        "paste_process_ms_median": round(statistics.median(processes), 1),
        "paste_process_ms_max": round(max(processes), 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")
    server.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
