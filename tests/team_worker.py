"""A desktop in miniature for the kill test: records events and uploads them at once, until it is killed.

    python tests/team_worker.py USAGE_FILE URL

It records like the window (the recorder's writer thread commits, then pokes the sync), in small batches and
with short pauses, so that a SIGKILL at a random moment lands in every phase of an upload: connecting,
inserting, committing, marking the batch locally. It prints "ready" once the first event is recorded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kbassist.usage import UsageRecorder
from kbassist.usage.team import TeamSync
from kbassist.usage.team.state import Backoff


def main(db: Path, url: str) -> None:
    sync = TeamSync(db, url, batch_size=7, interval=0.05, backoff=Backoff(first=0.05, cap=0.2))
    recorder = UsageRecorder(db, team_outbox=True)
    recorder.on_committed = lambda _count: sync.poke()
    sync.start()
    session = recorder.new_session()
    recorder.flush()
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        recorder.suggestion_shown(session, f"macro-{n % 11}", "macro", 1 + n % 5, 2.5, product="refunds")
        if n % 3 == 0:
            recorder.macro_copied(session, f"macro-{n % 11}", 0.25, ["amount"], "suggestion", product="refunds")
        if n % 40 == 0:
            session = recorder.new_session()
        time.sleep(0.002)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
