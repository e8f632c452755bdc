"""The window's team mode against a real PostgreSQL server: the sync runs while a team database is set, its
state reaches the status bar on the UI thread, and Settings hold the address without its password."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kbassist.settings import TEAM_DB_ENV, Settings
from kbassist.ui.team_link import TeamLink
from kbassist.usage import UsageRecorder
from postgres import TeamDb, with_login

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


def test_settings_take_the_team_database_without_its_password(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from kbassist.ui.dialogs import PASSWORD_NOT_SAVED, SettingsDialog

    monkeypatch.delenv(TEAM_DB_ENV, raising=False)
    dialog = SettingsDialog(Settings(agent_name="Robin"))
    qtbot.addWidget(dialog)
    dialog.team_db.setText("postgresql://robin:s3cret@db.example/kbassist")
    dialog.show_name.setChecked(True)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    ok.click()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted  # not yet: the associate is told first
    assert dialog.team_note.text() == PASSWORD_NOT_SAVED
    assert dialog.team_db.text() == "postgresql://robin@db.example/kbassist"
    ok.click()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    chosen = dialog.result_settings()
    assert (chosen.team_db, chosen.show_name_to_editors) == ("postgresql://robin@db.example/kbassist", True)


def test_the_environment_variable_wins_and_the_field_says_so(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from kbassist.ui.dialogs import SettingsDialog

    monkeypatch.setenv(TEAM_DB_ENV, "postgresql://robin:s3cret@db.example/kbassist")
    dialog = SettingsDialog(Settings(team_db="postgresql://other@host/kb"))
    qtbot.addWidget(dialog)
    assert not dialog.team_db.isEnabled() and TEAM_DB_ENV in dialog.team_note.text()
    assert "s3cret" not in dialog.team_note.text()
    assert dialog.result_settings().team_db == "postgresql://other@host/kb"  # Settings keep their own value


def test_the_window_shows_how_its_uploads_stand(team_db: TeamDb, mini_kb: Path, tmp_path: Path, qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QLabel

    from kbassist import paths
    from kbassist.search.engine import SearchEngine
    from kbassist.ui.app import services
    from kbassist.ui.main_window import MainWindow

    alice = team_db.add_associate()
    recorder = UsageRecorder(paths.usage_db(), team_outbox=True)
    settings = Settings(agent_name="Robin Park", team_db=alice.url)
    window = MainWindow(
        SearchEngine(mini_kb, index_root=tmp_path / "index"),
        settings,
        replace(services(recorder), start_check_delay_ms=0),
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    label = window.findChild(QLabel, "teamSync")
    try:
        qtbot.waitUntil(lambda: label.isVisible() and label.text() == "Team: synced", timeout=20_000)
        window.case_input.setPlainText("My refund is not on the card statement yet, re_3N8 refund timeline")
        with qtbot.waitSignal(window.suggest.suggestionsReady, timeout=30_000):
            window.case_input.flush()
        qtbot.waitUntil(lambda: len(team_db.event_ids()) >= 2, timeout=20_000)  # the case and what it showed
        qtbot.waitUntil(lambda: label.text() == "Team: synced", timeout=20_000)
        assert "last upload at" in label.toolTip()

        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            closed = free.getsockname()[1]
        window.team.apply(replace(settings, team_db=with_login(alice.url, port=closed)))  # the server is gone
        window.mark_none_fit()
        qtbot.waitUntil(lambda: label.text().startswith("Team: offline since "), timeout=20_000)
        assert label.text().endswith("waiting)") and "cannot reach the team database" in label.toolTip()
        assert alice.password not in label.toolTip()
    finally:
        window.close()
        window.engine.close()
        recorder.close()
