"""What the team sync says about itself: its state, the line the status bar shows, a round's counts, and
the wait before the next try."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# After a failure the next try waits 1 s, then 2, 4, … up to 5 min; each wait is drawn between half and all
# of that ("equal jitter"), so a team whose server comes back is not reconnected by everyone in the same
# second. A success starts again from 1 s.
BACKOFF_FIRST_S: Final = 1.0
BACKOFF_CAP_S: Final = 300.0


class Phase(StrEnum):
    STARTING = "starting"  # no round has ended yet
    SYNCED = "synced"  # the last round reached the server (events may have been recorded since)
    OFFLINE = "offline"  # the server cannot be reached
    FAILING = "failing"  # it can, but refuses (login, rights, schema): retried, and said


@dataclass(frozen=True, slots=True)
class SyncState:
    phase: Phase = Phase.STARTING
    waiting: int = 0  # events in the local outbox not yet on the server
    offline_since: float | None = None  # when the server was first found unreachable (epoch seconds)
    error: str | None = None  # the last failure, safe to show (team/errors.py)
    label: str | None = None  # a few words for it
    last_synced: float | None = None

    def text(self, now: float | None = None) -> str:
        """The status bar's words: "Team: synced", "Team: 3 waiting", "Team: offline since 14:02 (3 waiting)"."""
        n = self.waiting
        if self.phase is Phase.OFFLINE and self.offline_since is not None:
            return f"Team: offline since {clock_time(self.offline_since, now)} ({n} waiting)"
        if self.phase is Phase.FAILING:
            return f"Team: {self.label or 'error'} ({n} waiting)"
        if self.phase is Phase.STARTING:
            return f"Team: connecting… ({n} waiting)" if n else "Team: connecting…"
        return f"Team: {n} waiting" if n else "Team: synced"

    def detail(self, now: float | None = None) -> str:
        """The status bar's tooltip: the last problem's whole sentence (safe to show), or the last upload."""
        if self.error:
            return f"{self.error}.\nEvents wait on this desktop and go up once the team database takes them."
        if self.last_synced is not None:
            return f"Usage goes to your team's database; last upload at {clock_time(self.last_synced, now)}."
        return "Usage goes to your team's database."


def clock_time(when: float, now: float | None = None) -> str:
    """``14:02`` on the same day as ``now``, ``3 Mar 14:02`` before it."""
    moment = dt.datetime.fromtimestamp(when)
    today = dt.datetime.fromtimestamp(now).date() if now is not None else dt.date.today()
    return moment.strftime("%H:%M") if moment.date() == today else f"{moment.day} {moment:%b %H:%M}"


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One sync's counts, the JSON of `kbassist team sync --json`."""

    uploaded: int  # new on the server
    waiting: int  # still in the outbox afterwards
    duplicates_skipped: int  # sent, but the server had them already

    def to_json(self) -> dict[str, int]:
        return {"uploaded": self.uploaded, "waiting": self.waiting, "duplicates_skipped": self.duplicates_skipped}


class Backoff:
    """The wait before the next try after ``failures`` failures in a row (see ``BACKOFF_FIRST_S``)."""

    def __init__(
        self, first: float = BACKOFF_FIRST_S, cap: float = BACKOFF_CAP_S, rng: Callable[[], float] = random.random
    ) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0
        self._rng = rng

    def next_delay(self) -> float:
        """Count one more failure; the seconds to wait before trying again."""
        self.failures += 1
        full = min(self.cap, self.first * 2.0 ** min(self.failures - 1, 32))
        return full / 2 + self._rng() * full / 2

    def reset(self) -> None:
        self.failures = 0
