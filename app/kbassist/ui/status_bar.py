"""The window's status bar: which KB, the index's state and progress, KB problems, and usage that is not
being saved. It only shows; the window tells it what happened."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from kbassist.content.model import ItemKind, ItemSummary, Problem
from kbassist.search.index import UpdateReport
from kbassist.ui.theme import icon
from kbassist.ui.widgets import elide

if TYPE_CHECKING:  # the type only: the database driver loads once a team database is set (ui/team_link.py)
    from kbassist.usage.team.state import SyncState


class WindowStatusBar(QStatusBar):
    problemsClicked = Signal()  # noqa: N815 - Qt naming for signals
    usageProblem = Signal(object)  # noqa: N815 - (problem: str | None); emitted on the usage writer thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kb_label = QLabel("")
        self.kb_label.setObjectName("kbLabel")
        self.index_label = elide(QLabel("Opening index…"))  # the progress line never widens the window
        self.index_label.setObjectName("indexState")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("indexProgress")
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.problems_button = QToolButton(self)
        self.problems_button.setObjectName("problemsButton")
        self.problems_button.setIcon(icon("warning"))
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems_button.setAutoRaise(True)
        self.problems_button.clicked.connect(self.problemsClicked)
        self.problems_button.hide()
        # Usage events that are not being saved: said until they are again (the recorder never fails loudly).
        self.usage_warning = QLabel("")
        self.usage_warning.setObjectName("usageWarning")
        self.usage_warning.hide()
        # The team database's sync (ui/team_link.py): shown only while one is set.
        self.team_label = QLabel("")
        self.team_label.setObjectName("teamSync")
        self.team_label.hide()
        self.addWidget(self.kb_label)
        self.addWidget(self.index_label, 1)
        self.addPermanentWidget(self.team_label)
        self.addPermanentWidget(self.usage_warning)
        self.addPermanentWidget(self.problems_button)
        self.addPermanentWidget(self.progress)
        self.usageProblem.connect(self.show_usage_problem)  # queued from the writer thread to this one

    def show_kb(self, kb_root: Path, articles: int | None = None, macros: int | None = None) -> None:
        counts = f" · {articles} articles · {macros} macros" if articles is not None else ""
        self.kb_label.setText(f"KB: {kb_root.name}{counts}")
        self.kb_label.setToolTip(str(kb_root))

    def show_opened(self, kb_root: Path, messages: Sequence[str]) -> None:
        """A KB was opened (its size comes with the first index update); the index's news, if any."""
        self.show_kb(kb_root)
        for message in messages:
            self.say(message, 10_000)

    def show_update(self, kb_root: Path, items: Sequence[ItemSummary], report: UpdateReport) -> None:
        """An index update ended: the KB's size, the files it skipped, and what the index had to say."""
        self.hide_progress()
        articles = sum(i.kind is ItemKind.ARTICLE for i in items)
        self.show_kb(kb_root, articles, len(items) - articles)
        self.show_problems(report.problems)
        for message in report.messages:
            self.say(message)

    def show_index_state(self, text: str) -> None:
        self.index_label.setText(text)

    def show_progress(self, done: int, total: int) -> None:
        if total <= 0:
            self.progress.hide()
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setVisible(done < total)
        self.index_label.setText(f"Indexing {done}/{total}… (search works on what is ready)")

    def hide_progress(self) -> None:
        self.progress.hide()

    def show_problems(self, problems: Sequence[Problem]) -> None:
        if problems:
            self.problems_button.setText(f"{len(problems)} KB problem(s)")
            self.problems_button.setToolTip("Some KB files were skipped; click to see which and why")
            self.problems_button.show()
        else:
            self.problems_button.hide()

    def show_usage_problem(self, problem: str | None) -> None:
        self.usage_warning.setText(f"⚠ {problem}" if problem else "")
        self.usage_warning.setToolTip(problem or "")
        self.usage_warning.setVisible(bool(problem))

    def show_team(self, state: SyncState | None) -> None:
        """ "Team: synced", "Team: 3 waiting", "Team: offline since 14:02 (3 waiting)"; the whole sentence of
        the last problem (never a password) in the tooltip. Hidden when there is no team database."""
        if state is None:
            self.team_label.hide()
            return
        self.team_label.setText(state.text())
        self.team_label.setMinimumWidth(self.team_label.sizeHint().width())  # a longer text is never cut short
        self.team_label.setToolTip(state.detail())
        self.team_label.show()

    def say(self, message: str, ms: int = 10_000) -> None:
        self.showMessage(message, ms)
