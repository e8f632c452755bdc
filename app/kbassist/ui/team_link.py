"""The window's side of team mode: runs the core's upload thread while a team database is set, and says how
it stands.

``apply(settings)`` starts, retargets or stops the ``TeamSync`` thread to match Settings and
``KBASSIST_TEAM_DB``; the recorder pokes it after each commit and keeps waiting events from pruning. The
thread reports on its own thread; ``stateChanged`` delivers each ``SyncState`` on the UI thread (None: no
team database). The database driver is loaded only once a team database is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from kbassist.settings import Settings, team_url
from kbassist.usage import UsageRecorder

if TYPE_CHECKING:
    from kbassist.usage.team import TeamSync


class TeamLink(QObject):
    stateChanged = Signal(object)  # noqa: N815 - a SyncState, or None when there is no team database

    def __init__(self, recorder: UsageRecorder, usage_db: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._recorder = recorder
        self._usage_db = usage_db
        self._sync: TeamSync | None = None

    @property
    def sync(self) -> TeamSync | None:
        return self._sync

    def apply(self, settings: Settings) -> None:
        url = team_url(settings.team_db)
        if url is None:
            self.close()
            self.stateChanged.emit(None)
            return
        name = settings.agent_name.strip() if settings.show_name_to_editors else ""
        self._recorder.team_outbox = True
        if self._sync is not None:
            self._sync.url = url
            self._sync.set_display_name(name or None)
            return
        from kbassist.usage.team import TeamSync

        sync = TeamSync(self._usage_db, url, display_name=name or None)
        sync.on_state = self.stateChanged.emit  # from the sync thread: Qt queues it to this object's thread
        self._recorder.on_committed = sync.poke
        self._sync = sync
        self.stateChanged.emit(sync.state)
        sync.start()

    def close(self, *, upload_first: bool = False) -> None:
        """Stop uploading: the team database was removed (what waits stays waiting), or the window closes
        (``upload_first``: a last upload of what waits, ``FINAL_UPLOAD_S`` at most; the rest goes next time)."""
        sync, self._sync = self._sync, None
        self._recorder.on_committed = None
        self._recorder.team_outbox = False
        if sync is not None:
            sync.on_state = None
            if upload_first:
                sync.finish()
            else:
                sync.stop(timeout=1.0)
