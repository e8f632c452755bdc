"""Settings, KB problems, keyboard-shortcut and About dialogs, and opening the editors' Stats view."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kbassist import __version__, paths
from kbassist.content.model import KbItem, Problem
from kbassist.settings import TEAM_DB_ENV, Settings, team_url, without_password
from kbassist.ui import text_size
from kbassist.ui.models import ProblemTableModel

if TYPE_CHECKING:
    from kbassist.ui.stats_view import StatsView

TEAM_NOTE = (
    "Your usage also goes to your team's database, for the KB editors. The password is never saved here: "
    "put it in ~/.pgpass or PGPASSWORD."
)
PASSWORD_NOT_SAVED = (
    "The password was taken out of the address: it is never saved here. Put it in ~/.pgpass "
    "(host:port:database:user:password) or in PGPASSWORD, then press OK."
)


def days_box(value: int, fewest: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(fewest, 3650)
    box.setSuffix(" days")
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self._settings = settings
        self.name = QLineEdit(settings.agent_name)
        self.name.setObjectName("agentName")
        self.name.setPlaceholderText("Your name, used for {{agent_name}}")
        self.signature = QPlainTextEdit(settings.agent_signature)
        self.signature.setObjectName("agentSignature")
        self.signature.setPlaceholderText("Optional signature, used for {{agent_signature}}")
        self.signature.setFixedHeight(70)
        self.kb = QLineEdit(settings.kb_folder)
        self.kb.setObjectName("kbFolder")
        self.kb.setPlaceholderText(f"Bundled KB ({paths.bundled_kb()})")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        kb_row = QHBoxLayout()
        kb_row.addWidget(self.kb, 1)
        kb_row.addWidget(browse)
        self.usage = QCheckBox("Record anonymous usage to improve the KB (never the case text)")
        self.usage.setObjectName("usageEnabled")
        self.usage.setChecked(settings.usage_enabled)
        self.retention = days_box(settings.retention_days, 7)
        self.stale = days_box(settings.stale_after_days, 30)
        self.text_size = text_size.spin_box(settings.text_size)
        self._build_team(settings)

        form = QFormLayout()
        form.addRow("Your name", self.name)
        form.addRow("Signature", self.signature)
        form.addRow("KB folder", kb_row)
        form.addRow("", self.usage)
        form.addRow("Keep usage for", self.retention)
        form.addRow("Article is stale after", self.stale)
        form.addRow("Text size", self.text_size)
        team = QVBoxLayout()
        team.setSpacing(2)
        team.addWidget(self.team_db)
        team.addWidget(self.team_note)
        form.addRow("Team database", team)
        form.addRow("", self.show_name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _build_team(self, settings: Settings) -> None:
        """Where this desktop's usage goes besides its own file, and whether editors see the associate's name."""
        self.team_db = QLineEdit(settings.team_db)
        self.team_db.setObjectName("teamDb")
        self.team_db.setPlaceholderText("postgresql://you@server/kbassist (empty: usage stays on this desktop)")
        self.team_note = QLabel(TEAM_NOTE)
        self.team_note.setObjectName("teamNote")
        self.team_note.setWordWrap(True)
        if os.environ.get(TEAM_DB_ENV, "").strip():
            self.team_db.setEnabled(False)
            self.team_note.setText(f"{TEAM_DB_ENV} is set and is used instead of this field.")
        self.show_name = QCheckBox("Show my name to editors (otherwise they see a pseudonym)")
        self.show_name.setObjectName("showNameToEditors")
        self.show_name.setChecked(settings.show_name_to_editors)

    def _accept(self) -> None:
        """A password typed into the address is taken out before anything is saved; the dialog stays open once
        to say where it belongs (OK again saves)."""
        typed = self.team_db.text().strip()
        if typed != without_password(typed):
            self.team_db.setText(without_password(typed))
            self.team_note.setText(PASSWORD_NOT_SAVED)
            self.team_note.setStyleSheet("color: palette(highlight); font-weight: 600;")
            return
        self.accept()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Choose the KB folder", self.kb.text() or str(paths.bundled_kb())
        )
        if folder:
            self.kb.setText(folder)

    def result_settings(self) -> Settings:
        return replace(
            self._settings,
            agent_name=self.name.text().strip(),
            agent_signature=self.signature.toPlainText().strip(),
            kb_folder=self.kb.text().strip(),
            usage_enabled=self.usage.isChecked(),
            retention_days=self.retention.value(),
            stale_after_days=self.stale.value(),
            team_db=without_password(self.team_db.text()),
            show_name_to_editors=self.show_name.isChecked(),
            text_size=self.text_size.value(),
        )


class ProblemsDialog(QDialog):
    """Every KB file that was skipped or has a flaw, with the reason, so an editor can fix it."""

    def __init__(self, problems: Sequence[Problem], kb_root: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Problems in KB files")
        self.setObjectName("problemsDialog")
        self.resize(820, 360)
        self.model = ProblemTableModel(self)
        self.model.set_problems(problems)
        table = QTableView(self)
        table.setObjectName("problemsTable")
        table.setModel(self.model)
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnsToContents()
        table.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"{len(problems)} problem(s) in {kb_root}. Files with errors are skipped; "
                "the rest of the KB works. Fix the file and it is picked up automatically."
            )
        )
        layout.addWidget(table)
        layout.addWidget(buttons)


class ShortcutsDialog(QDialog):
    def __init__(self, shortcuts: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        self.resize(560, 620)
        table = QTableWidget(len(shortcuts), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        for row, (action, keys) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(action))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)


def show_about(parent: QWidget, kb_root: Path, data_dir: Path) -> None:
    where = f"Knowledge base: {kb_root}\nData: {data_dir}"
    QMessageBox.about(parent, "About KB Assist", f"KB Assist {__version__}\n{where}")


def stats_window(
    usage_db: Path, items: Callable[[], list[KbItem]], settings: Callable[[], Settings], parent: QWidget
) -> StatsView:
    """The editors' Stats view, shown; the team database is the one set when the view asks for it."""
    from kbassist.ui.stats_view import StatsView  # QtCharts loads only when an editor opens the view

    view = StatsView(usage_db, items, settings().stale_after_days, parent, team_db=lambda: team_url(settings().team_db))
    view.show()
    return view
