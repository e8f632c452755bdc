"""The window's one "newest wins" scheme: TaskRunner's latest mode, without a window."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6.QtCore")

from kbassist.ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


def test_only_the_newest_submission_reaches_its_callback(qtbot) -> None:
    runner = TaskRunner(1, latest=True)
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []
    delivered: list[str] = []

    def job(name: str, wait: bool = False) -> str:
        if wait:
            started.set()
            release.wait(10)
        ran.append(name)
        return name

    runner.submit(lambda: job("first", wait=True), delivered.append)
    assert started.wait(10)  # running while the others queue
    runner.submit(lambda: job("second"), delivered.append)  # overtaken in the queue: never runs
    runner.submit(lambda: job("third"), delivered.append)
    release.set()
    qtbot.waitUntil(lambda: runner.dropped == 2 and delivered == ["third"], timeout=10_000)
    assert runner.wait(10_000)
    assert ran == ["first", "third"]


def test_cancel_makes_every_submission_old_but_a_failure_is_still_reported(qtbot) -> None:
    runner = TaskRunner(1, latest=True)
    delivered: list[object] = []
    failures: list[Exception] = []
    runner.submit(lambda: "answer", delivered.append)
    runner.cancel()
    qtbot.waitUntil(lambda: runner.dropped == 1, timeout=10_000)
    started, release = threading.Event(), threading.Event()

    def broken() -> None:
        started.set()
        release.wait(10)
        raise RuntimeError("engine closed")

    runner.submit(broken, delivered.append, failures.append)
    assert started.wait(10)
    runner.cancel()  # while it runs: its failure is news all the same
    release.set()
    qtbot.waitUntil(lambda: len(failures) == 1, timeout=10_000)
    assert delivered == [] and str(failures[0]) == "engine closed"


def test_without_latest_every_result_arrives_in_order(qtbot) -> None:
    runner = TaskRunner(1)
    delivered: list[int] = []
    for n in range(3):
        runner.submit(lambda n=n: n, delivered.append)
    qtbot.waitUntil(lambda: delivered == [0, 1, 2], timeout=10_000)
    assert runner.dropped == 0
