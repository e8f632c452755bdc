"""Crash safety: a process recording events is killed with SIGKILL mid-stream; nothing it reported
committed may be missing when the file is opened again, and what survived has no holes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kbassist.usage import UsageStore

# Records events as fast as it can and prints the recorder's committed count whenever it changes.
CHILD = r"""
import sys, time
from pathlib import Path
from kbassist.usage import UsageRecorder

rec = UsageRecorder(Path(sys.argv[1]))
sid = rec.new_session()
last, i = -1, 0
while True:
    rec.suggestion_shown(sid, f"item-{i}", "macro", 1 + i % 5, float(i))
    i += 1
    if i % 50 == 0:
        committed = rec.committed
        if committed != last:
            print(committed, flush=True)
            last = committed
        if rec.pending > 20000:
            time.sleep(0.002)
"""


def _run_and_kill(db: Path, kill_after: int, home: Path, delay: float) -> int:
    """Start the writer, SIGKILL it ``delay`` s after it reports ``kill_after`` committed; the highest count
    it reported."""
    env = {**os.environ, "KBASSIST_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    reported = 0
    # Generous: on a loaded 2-core machine the writer committed 33,000 events in the first 60 s of a run.
    deadline = time.monotonic() + 240
    try:
        for line in proc.stdout:
            reported = max(reported, int(line))
            if reported >= kill_after or time.monotonic() > deadline:
                break
    finally:
        time.sleep(delay)  # let the writer get on with the next batches: the kill lands anywhere in them
        os.kill(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate(timeout=30)
    for line in rest.split():  # lines printed before the kill landed were reported too
        reported = max(reported, int(line))
    assert proc.returncode == -signal.SIGKILL, err
    assert reported >= kill_after, f"writer reported only {reported} committed events: {err}"
    return reported


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_committed_events_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    total_reported = 0
    for round_no, (kill_after, delay) in enumerate(((2_000, 0.0), (15_000, 0.013), (40_000, 0.037))):
        reported = _run_and_kill(db, kill_after, tmp_path / "home", delay)
        with UsageStore(db) as store:
            assert store.moved_aside is None  # the file is healthy, not replaced
            events = list(store.events())
        sessions = list(dict.fromkeys(e.session for e in events))
        assert len(sessions) == round_no + 1
        this_run = [e for e in events if e.session == sessions[-1]]
        assert this_run[0].kind == "session"
        items = [e.item_id for e in this_run[1:]]
        # Every event reported committed is there, in order, with no holes: item-0 .. item-(n-1).
        assert len(this_run) >= reported
        assert items == [f"item-{i}" for i in range(len(items))]
        total_reported += reported
    with UsageStore(db) as store:
        assert store.count() >= total_reported
