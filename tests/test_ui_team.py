"""The window's team mode against a real PostgreSQL server: the sync runs while a team database is set, its
state reaches the status bar on the UI thread, and Settings hold the address without its password."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kbassist.settings import TEAM_DB_ENV, Settings
from kbassist.ui.team_link import TeamLink
from kbassist.usage import UsageRecorder
from postgres import TeamDb

pytestmark = pytest.mark.gui


def test_the_link_uploads_while_a_team_database_is_set(
    team_db: TeamDb, tmp_path: Path, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TEAM_DB_ENV, raising=False)
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    seen: list[object] = []
    with UsageRecorder(db) as recorder:
        link = TeamLink(recorder, db)
        link.stateChanged.connect(seen.append)
        link.apply(Settings(agent_name="Alice Martin", team_db=alice.url, show_name_to_editors=True))
        assert recorder.team_outbox
        session = recorder.new_session()
        recorder.suggestion_shown(session, "macro-a", "macro", 1, 2.0, product="refunds")
        qtbot.waitUntil(lambda: len(team_db.event_ids()) == 2, timeout=20_000)
        qtbot.waitUntil(lambda: bool(seen) and seen[-1] is not None and seen[-1].text() == "Team: synced")  # type: ignore[attr-defined]
        with team_db.admin() as conn:
            assert conn.execute("SELECT display_name FROM kbassist.associates").fetchone() == ("Alice Martin",)
        link.apply(Settings(agent_name="Alice Martin", team_db=""))  # the associate left the team database
        assert seen[-1] is None and link.sync is None and not recorder.team_outbox
        recorder.new_session()
        recorder.flush()
    assert len(team_db.event_ids()) == 2  # what is recorded after leaving stays on this desktop
